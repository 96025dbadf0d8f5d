module hotspots/test/go/labelled-cpu

go 1.22
