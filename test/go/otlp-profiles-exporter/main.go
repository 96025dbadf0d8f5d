// Command otlp-profiles-exporter sends real Go CPU profiles to an OTLP/HTTP profiles endpoint
// through the OpenTelemetry Collector's own otlphttp exporter (created by its factory with the
// profiles signal, as a Collector pipeline would), so Hotspots' intake is tested against the
// reference client, not against our own idea of the format.
//
// Each -profile flag adds one resource (one service) holding one profile, converted from a pprof
// file written by the Go runtime (test/go/labelled-cpu) in one of two shapes:
//
//   - values: sample type cpu/nanoseconds with the pprof's CPU value, every pprof label as a sample
//     attribute and no links, as the Collector's pprof translator makes them;
//   - ebpf: the eBPF profiler's shape: sample type samples/count with period type cpu/nanoseconds,
//     no values but one timestamp per sample counted, the span id in a Link (with a trace id), and
//     the other Go labels as attributes cut as the profiler cuts them (keys to 15 bytes, values to
//     47 bytes).
//
// Usage:
//
//	otlp-profiles-exporter -endpoint http://127.0.0.1:3000 -header 'Authorization=Bearer k' \
//	  [-encoding proto|json] -profile values:svc-a:cpu1.pprof -profile ebpf:svc-b:cpu2.pprof
//
// It exits non-zero if the exporter reports an error (the exporter's retries are off, so an
// answer other than 200 is an error).
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/pprof/profile"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/exporter/xexporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.uber.org/zap"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

const (
	ebpfKeyBytes   = 15
	ebpfValueBytes = 47
)

// dictionary builds the request-level tables with index 0 the zero entry of each, deduplicating
// through maps (pprofile's Set* helpers search linearly).
type dictionary struct {
	d          pprofile.ProfilesDictionary
	strings    map[string]int32
	functions  map[string]int32
	locations  map[uint64]int32
	mappings   map[uint64]int32
	stacks     map[string]int32
	attributes map[string]int32
	links      map[string]int32
}

func newDictionary(d pprofile.ProfilesDictionary) *dictionary {
	x := &dictionary{d: d, strings: map[string]int32{}, functions: map[string]int32{}, locations: map[uint64]int32{},
		mappings: map[uint64]int32{}, stacks: map[string]int32{}, attributes: map[string]int32{}, links: map[string]int32{}}
	x.str("")
	d.FunctionTable().AppendEmpty()
	d.LocationTable().AppendEmpty()
	d.MappingTable().AppendEmpty()
	d.StackTable().AppendEmpty()
	d.AttributeTable().AppendEmpty()
	d.LinkTable().AppendEmpty()
	return x
}

func (x *dictionary) str(s string) int32 {
	if i, ok := x.strings[s]; ok {
		return i
	}
	i := int32(x.d.StringTable().Len())
	x.d.StringTable().Append(s)
	x.strings[s] = i
	return i
}

func (x *dictionary) function(f *profile.Function) int32 {
	key := fmt.Sprintf("%s\x00%s\x00%s\x00%d", f.Name, f.SystemName, f.Filename, f.StartLine)
	if i, ok := x.functions[key]; ok {
		return i
	}
	fn := x.d.FunctionTable().AppendEmpty()
	fn.SetNameStrindex(x.str(f.Name))
	fn.SetSystemNameStrindex(x.str(f.SystemName))
	fn.SetFilenameStrindex(x.str(f.Filename))
	fn.SetStartLine(f.StartLine)
	i := int32(x.d.FunctionTable().Len() - 1)
	x.functions[key] = i
	return i
}

func (x *dictionary) mapping(m *profile.Mapping) int32 {
	if m == nil {
		return 0
	}
	if i, ok := x.mappings[m.ID]; ok {
		return i
	}
	mp := x.d.MappingTable().AppendEmpty()
	mp.SetMemoryStart(m.Start)
	mp.SetMemoryLimit(m.Limit)
	mp.SetFileOffset(m.Offset)
	mp.SetFilenameStrindex(x.str(m.File))
	i := int32(x.d.MappingTable().Len() - 1)
	x.mappings[m.ID] = i
	return i
}

func (x *dictionary) location(l *profile.Location) int32 {
	if i, ok := x.locations[l.ID]; ok {
		return i
	}
	mappingIndex := x.mapping(l.Mapping)
	loc := x.d.LocationTable().AppendEmpty()
	loc.SetMappingIndex(mappingIndex)
	loc.SetAddress(l.Address)
	// pprof and OTLP agree: lines[0] is the innermost inlined frame, the last one its caller.
	for _, line := range l.Line {
		ln := loc.Lines().AppendEmpty()
		ln.SetFunctionIndex(x.function(line.Function))
		ln.SetLine(line.Line)
		ln.SetColumn(line.Column)
	}
	i := int32(x.d.LocationTable().Len() - 1)
	x.locations[l.ID] = i
	return i
}

func (x *dictionary) stack(locations []*profile.Location) int32 {
	indices := make([]int32, len(locations))
	var key strings.Builder
	for j, l := range locations { // leaf first in both formats
		indices[j] = x.location(l)
		fmt.Fprintf(&key, "%d,", indices[j])
	}
	if i, ok := x.stacks[key.String()]; ok {
		return i
	}
	st := x.d.StackTable().AppendEmpty()
	st.LocationIndices().FromRaw(indices)
	i := int32(x.d.StackTable().Len() - 1)
	x.stacks[key.String()] = i
	return i
}

func (x *dictionary) attribute(key, value string) int32 {
	k := key + "\x00" + value
	if i, ok := x.attributes[k]; ok {
		return i
	}
	a := x.d.AttributeTable().AppendEmpty()
	a.SetKeyStrindex(x.str(key))
	a.Value().SetStr(value)
	i := int32(x.d.AttributeTable().Len() - 1)
	x.attributes[k] = i
	return i
}

func (x *dictionary) link(traceID [16]byte, spanID [8]byte) int32 {
	k := string(traceID[:]) + string(spanID[:])
	if i, ok := x.links[k]; ok {
		return i
	}
	l := x.d.LinkTable().AppendEmpty()
	l.SetTraceID(pcommon.TraceID(traceID))
	l.SetSpanID(pcommon.SpanID(spanID))
	i := int32(x.d.LinkTable().Len() - 1)
	x.links[k] = i
	return i
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func addProfile(x *dictionary, profiles pprofile.Profiles, shape, service, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	src, err := profile.Parse(f)
	if err != nil {
		return err
	}
	cpu, count := -1, -1
	for i, st := range src.SampleType {
		switch {
		case st.Type == "cpu" && st.Unit == "nanoseconds":
			cpu = i
		case st.Type == "samples" && st.Unit == "count":
			count = i
		}
	}
	if cpu < 0 || count < 0 {
		return fmt.Errorf("%s: not a Go CPU profile (needs samples/count and cpu/nanoseconds)", file)
	}

	rp := profiles.ResourceProfiles().AppendEmpty()
	rp.Resource().Attributes().PutStr("service.name", service)
	rp.Resource().Attributes().PutStr("deployment.environment.name", "test")
	sp := rp.ScopeProfiles().AppendEmpty()
	sp.Scope().SetName("hotspots/test/go/otlp-profiles-exporter")
	p := sp.Profiles().AppendEmpty()
	p.SetTime(pcommon.Timestamp(src.TimeNanos))
	p.SetDurationNano(uint64(src.DurationNanos))
	p.PeriodType().SetTypeStrindex(x.str("cpu"))
	p.PeriodType().SetUnitStrindex(x.str("nanoseconds"))
	p.SetPeriod(src.Period)
	if shape == "values" {
		p.SampleType().SetTypeStrindex(x.str("cpu"))
		p.SampleType().SetUnitStrindex(x.str("nanoseconds"))
	} else {
		p.SampleType().SetTypeStrindex(x.str("samples"))
		p.SampleType().SetUnitStrindex(x.str("count"))
	}

	for _, s := range src.Sample {
		out := p.Samples().AppendEmpty()
		out.SetStackIndex(x.stack(s.Location))
		for key, values := range s.Label {
			for _, value := range values {
				if shape == "ebpf" {
					if key == "span id" {
						continue // carried by the link below
					}
					key, value = cut(key, ebpfKeyBytes), cut(value, ebpfValueBytes)
				}
				out.AttributeIndices().Append(x.attribute(key, value))
			}
		}
		switch shape {
		case "values":
			out.Values().Append(s.Value[cpu])
		case "ebpf":
			if ids := s.Label["span id"]; len(ids) == 1 {
				var spanID [8]byte
				var traceID [16]byte
				var id uint64
				if _, err := fmt.Sscan(ids[0], &id); err != nil {
					return fmt.Errorf("span id %q: %w", ids[0], err)
				}
				binary.BigEndian.PutUint64(spanID[:], id)
				binary.BigEndian.PutUint64(traceID[:8], 0x686f7473706f7473) // "hotspots"
				binary.BigEndian.PutUint64(traceID[8:], id)
				out.SetLinkIndex(x.link(traceID, spanID))
			}
			if s.Value[cpu] != s.Value[count]*src.Period {
				return fmt.Errorf("%s: cpu %d is not count %d × period %d", file, s.Value[cpu], s.Value[count], src.Period)
			}
			// One timestamp per observation, spread over the profile's window.
			for i := int64(0); i < s.Value[count]; i++ {
				out.TimestampsUnixNano().Append(uint64(src.TimeNanos + (i*src.Period)%max(src.DurationNanos, 1)))
			}
		default:
			return fmt.Errorf("unknown shape %q (values or ebpf)", shape)
		}
	}
	return nil
}

func main() {
	endpoint := flag.String("endpoint", "", "base URL; the exporter posts to <endpoint>/v1development/profiles")
	encoding := flag.String("encoding", "proto", "proto or json")
	var headers, specs multiFlag
	flag.Var(&headers, "header", "name=value header sent with every request (repeatable)")
	flag.Var(&specs, "profile", "shape:service:file.pprof (repeatable; one resource each)")
	flag.Parse()
	if *endpoint == "" || len(specs) == 0 {
		flag.Usage()
		os.Exit(2)
	}

	profiles := pprofile.NewProfiles()
	x := newDictionary(profiles.Dictionary())
	for _, spec := range specs {
		parts := strings.SplitN(spec, ":", 3)
		if len(parts) != 3 {
			fmt.Fprintf(os.Stderr, "bad -profile %q\n", spec)
			os.Exit(2)
		}
		if err := addProfile(x, profiles, parts[0], parts[1], parts[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}

	factory := otlphttpexporter.NewFactory().(xexporter.Factory)
	cfg := factory.CreateDefaultConfig().(*otlphttpexporter.Config)
	cfg.ClientConfig.Endpoint = *endpoint
	for _, h := range headers {
		name, value, ok := strings.Cut(h, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "bad -header %q\n", h)
			os.Exit(2)
		}
		cfg.ClientConfig.Headers.Set(name, configopaque.String(value))
	}
	cfg.Encoding = otlphttpexporter.EncodingType(*encoding)
	cfg.RetryConfig.Enabled = false
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()

	settings := exportertest.NewNopSettings(factory.Type())
	logger, _ := zap.NewDevelopment()
	settings.Logger = logger
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	exp, err := factory.CreateProfiles(ctx, settings, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "create exporter:", err)
		os.Exit(1)
	}
	if err := exp.Start(ctx, componentHost{}); err != nil {
		fmt.Fprintln(os.Stderr, "start exporter:", err)
		os.Exit(1)
	}
	sendErr := exp.ConsumeProfiles(ctx, profiles)
	if err := exp.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "shutdown exporter:", err)
	}
	if sendErr != nil {
		fmt.Fprintln(os.Stderr, "export:", sendErr)
		os.Exit(1)
	}
	fmt.Printf("{\"profiles\":%d,\"samples\":%d}\n", profiles.ResourceProfiles().Len(), profiles.SampleCount())
}

type componentHost struct{}

func (componentHost) GetExtensions() map[component.ID]component.Component { return nil }
