// Command dd-app is a small HTTP service instrumented with the real, unmodified
// dd-trace-go v2 tracer and profiler. Hotspots' tests point it at the API with
// DD_TRACE_AGENT_URL (the only thing that tells it where "the agent" is) and
// check that its traces and code-hotspots CPU profiles arrive and join.
//
// Usage:
//
//	DD_TRACE_AGENT_URL=http://127.0.0.1:3000/k/<key> dd-app [-listen 127.0.0.1:0]
//
// It prints one line "listening on http://<addr>" to stdout once it accepts
// connections, and on SIGTERM/SIGINT shuts the server down, then stops the
// profiler (which uploads the last profile when DD_PROFILING_FLUSH_ON_EXIT=true)
// and the tracer (which flushes the last traces).
//
// Routes:
//
//	GET /work?n=<encodes>&workers=<k>  burns CPU: k goroutines spawned by the
//	     handler each JSON-encode a large structure n times while the handler
//	     waits; they inherit the handler's pprof labels (span id, trace
//	     endpoint). Answers {"span_id","trace_id","n","workers","elapsed_ns",
//	     "gomaxprocs"} so a test knows which span to look for.
//	GET /hello                          answers at once (a span with ~no CPU).
//
// Everything else is standard dd-trace-go configuration through DD_* variables
// (DD_SERVICE, DD_ENV, DD_VERSION, DD_PROFILING_*): see the defaults below.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	httptrace "github.com/DataDog/dd-trace-go/contrib/net/http/v2"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"github.com/DataDog/dd-trace-go/v2/profiler"
)

// order and item make a payload whose encoding is CPU-heavy (reflection,
// string escaping, float formatting) and allocation-heavy, like a real API
// response.
type item struct {
	SKU      string            `json:"sku"`
	Name     string            `json:"name"`
	Price    float64           `json:"price"`
	Quantity int               `json:"quantity"`
	Tags     []string          `json:"tags"`
	Attrs    map[string]string `json:"attrs"`
}

type order struct {
	ID       int64     `json:"id"`
	Customer string    `json:"customer"`
	Created  time.Time `json:"created"`
	Items    []item    `json:"items"`
	Notes    string    `json:"notes"`
}

func bigPayload() []order {
	orders := make([]order, 40)
	for i := range orders {
		items := make([]item, 25)
		for j := range items {
			items[j] = item{
				SKU:      fmt.Sprintf("SKU-%05d-%03d", i, j),
				Name:     fmt.Sprintf("Item \"%d\" <%d> & co", i, j),
				Price:    float64(i*j) + 0.99,
				Quantity: j,
				Tags:     []string{"red", "blue", "größe-xl", "sale"},
				Attrs:    map[string]string{"color": "red", "size": "xl", "origin": "café"},
			}
		}
		orders[i] = order{
			ID:       int64(i),
			Customer: fmt.Sprintf("customer-%d@example.com", i),
			Created:  time.Unix(1_700_000_000+int64(i), 0).UTC(),
			Items:    items,
			Notes:    "deliver to the back door; ring twice",
		}
	}
	return orders
}

var payload = bigPayload()

// encodeMany is the hot function a flame graph of /work should show.
//
//go:noinline
func encodeMany(n int) int {
	total := 0
	for range n {
		b, err := json.Marshal(payload)
		if err != nil {
			panic(err)
		}
		total += len(b)
	}
	return total
}

func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%s must be an integer in [%d, %d]", name, lo, hi)
	}
	return v, nil
}

func work(w http.ResponseWriter, r *http.Request) {
	n, err := intParam(r, "n", 20, 0, 100_000)
	if err == nil {
		var workers int
		workers, err = intParam(r, "workers", 1, 1, 64)
		if err == nil {
			doWork(w, r, n, workers)
			return
		}
	}
	http.Error(w, err.Error(), http.StatusBadRequest)
}

func doWork(w http.ResponseWriter, r *http.Request, n, workers int) {
	started := time.Now()
	// The classic code-hotspots shape: the handler hands the CPU work to
	// goroutines it spawns and waits for them. The runtime copies the
	// handler goroutine's pprof labels to each child at `go`, so their CPU
	// samples carry the request span's labels.
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			encodeMany(n)
		}()
	}
	wg.Wait()
	elapsed := time.Since(started)

	span, _ := tracer.SpanFromContext(r.Context())
	var spanID, traceID string
	if span != nil {
		spanID = strconv.FormatUint(span.Context().SpanID(), 10)
		traceID = span.Context().TraceID()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"span_id":    spanID,
		"trace_id":   traceID,
		"n":          n,
		"workers":    workers,
		"elapsed_ns": elapsed.Nanoseconds(),
		"gomaxprocs": runtime.GOMAXPROCS(0),
	})
}

func main() {
	listen := flag.String("listen", cmp.Or(os.Getenv("DD_APP_LISTEN"), "127.0.0.1:0"), "address to listen on (port 0: any free port)")
	flag.Parse()

	service := cmp.Or(os.Getenv("DD_SERVICE"), "hotspots-dd-app")
	env := cmp.Or(os.Getenv("DD_ENV"), "test")
	version := cmp.Or(os.Getenv("DD_VERSION"), "1.0.0")

	// The agent URL is read by both from DD_TRACE_AGENT_URL; nothing here
	// names it.
	if err := tracer.Start(
		tracer.WithService(service),
		tracer.WithEnv(env),
		tracer.WithServiceVersion(version),
		tracer.WithProfilerCodeHotspots(true),
		tracer.WithProfilerEndpoints(true),
	); err != nil {
		log.Fatalf("dd-app: tracer: %v", err)
	}
	period := 3 * time.Second
	if s := os.Getenv("DD_APP_PROFILING_PERIOD"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			log.Fatalf("dd-app: DD_APP_PROFILING_PERIOD: not a positive duration: %q", s)
		}
		period = d
	}
	if err := profiler.Start(
		profiler.WithService(service),
		profiler.WithEnv(env),
		profiler.WithVersion(version),
		profiler.WithPeriod(period),
		profiler.CPUDuration(period),
		profiler.WithProfileTypes(profiler.CPUProfile, profiler.HeapProfile, profiler.GoroutineProfile),
	); err != nil {
		log.Fatalf("dd-app: profiler: %v", err)
	}

	mux := httptrace.NewServeMux()
	mux.HandleFunc("GET /work", work)
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("hello\n"))
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("dd-app: listen: %v", err)
	}
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- server.Serve(ln) }()
	fmt.Printf("listening on http://%s\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	select {
	case <-ctx.Done():
	case err := <-served:
		log.Fatalf("dd-app: serve: %v", err)
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Printf("dd-app: shutdown: %v", err)
	}
	// Profiler first: its last CPU profile then covers the last requests,
	// and with DD_PROFILING_FLUSH_ON_EXIT=true Stop uploads it before
	// returning. tracer.Stop flushes the buffered traces.
	profiler.Stop()
	tracer.Stop()
	fmt.Println("stopped")
}
