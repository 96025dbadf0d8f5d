// Command pyroscope-app is a small HTTP service profiled by the real,
// unmodified Grafana Pyroscope Go SDK, traced by the OpenTelemetry Go SDK
// (exporting OTLP/HTTP protobuf), with otel-profiling-go linking the two: it
// labels CPU samples with the local root span's id (span_id, 16 hex), name
// (span_name) and trace id (trace_id, 32 hex). Hotspots' tests point it at the
// API and check that profiles and spans arrive and join.
//
// Usage:
//
//	PYROSCOPE_SERVER_ADDRESS=http://127.0.0.1:3000/k/<key> \
//	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:3000/k/<key> \
//	pyroscope-app [-listen 127.0.0.1:0]
//
// Configuration (environment only):
//
//	PYROSCOPE_SERVER_ADDRESS    where profiles go (POST <address>/ingest); required
//	PYROSCOPE_APPLICATION_NAME  application name (default: the service name)
//	PYROSCOPE_UPLOAD_RATE       profile period, a Go duration (default 3s; the SDK's own default is 15s)
//	PYROSCOPE_BASIC_AUTH_USER / PYROSCOPE_BASIC_AUTH_PASSWORD  optional basic auth
//	OTEL_SERVICE_NAME           service (default hotspots-pyroscope-app)
//	OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and the
//	other OTEL_* variables are read by the OpenTelemetry SDK itself
//	APP_ENV, APP_VERSION        deployment.environment / service.version and
//	                            the profile's env/version tags (default test, 1.0.0)
//
// It prints "listening on http://<addr>" once it accepts connections, and on
// SIGTERM/SIGINT shuts the server down, flushes and stops the profiler (the
// last CPU profile is uploaded) and shuts the tracer provider down (the last
// spans are exported).
//
// Routes are those of dd-app: GET /work?n=&workers= burns CPU in goroutines
// the handler spawns and waits for (they inherit its pprof labels), and
// answers {"span_id","trace_id","n","workers","elapsed_ns","gomaxprocs"};
// GET /hello answers at once.
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

	otelpyroscope "github.com/grafana/otel-profiling-go"
	"github.com/grafana/pyroscope-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

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
	// Goroutines spawned here inherit the handler goroutine's pprof labels
	// (span_id, span_name, trace_id), which otel-profiling-go set when the
	// server span started.
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

	sc := trace.SpanContextFromContext(r.Context())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"span_id":    sc.SpanID().String(),
		"trace_id":   sc.TraceID().String(),
		"n":          n,
		"workers":    workers,
		"elapsed_ns": elapsed.Nanoseconds(),
		"gomaxprocs": runtime.GOMAXPROCS(0),
	})
}

// stderrLogger shows the SDK's errors and notices (never its debug chatter),
// so a test can tell a failed upload from a quiet run.
type stderrLogger struct{}

func (stderrLogger) Infof(format string, args ...any) { log.Printf("pyroscope: "+format, args...) }
func (stderrLogger) Debugf(string, ...any)            {}
func (stderrLogger) Errorf(format string, args ...any) {
	log.Printf("pyroscope ERROR: "+format, args...)
}

func main() {
	listen := flag.String("listen", cmp.Or(os.Getenv("APP_LISTEN"), "127.0.0.1:0"), "address to listen on (port 0: any free port)")
	flag.Parse()

	service := cmp.Or(os.Getenv("OTEL_SERVICE_NAME"), "hotspots-pyroscope-app")
	appName := cmp.Or(os.Getenv("PYROSCOPE_APPLICATION_NAME"), service)
	env := cmp.Or(os.Getenv("APP_ENV"), "test")
	version := cmp.Or(os.Getenv("APP_VERSION"), "1.0.0")
	serverAddress := os.Getenv("PYROSCOPE_SERVER_ADDRESS")
	if serverAddress == "" {
		log.Fatal("pyroscope-app: PYROSCOPE_SERVER_ADDRESS is required")
	}
	uploadRate := 3 * time.Second
	if s := os.Getenv("PYROSCOPE_UPLOAD_RATE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			log.Fatalf("pyroscope-app: PYROSCOPE_UPLOAD_RATE: not a positive duration: %q", s)
		}
		uploadRate = d
	}

	ctx := context.Background()
	// The exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS,
	// _COMPRESSION, _TIMEOUT itself; nothing here names the endpoint.
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		log.Fatalf("pyroscope-app: otlp exporter: %v", err)
	}
	res, err := resource.New(ctx,
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
		resource.WithAttributes(
			attribute.String("service.name", service),
			attribute.String("service.version", version),
			attribute.String("deployment.environment.name", env),
		),
	)
	if err != nil {
		log.Fatalf("pyroscope-app: resource: %v", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exporter, sdktrace.WithBatchTimeout(time.Second)),
		sdktrace.WithResource(res),
	)
	// otel-profiling-go wraps the provider: every span start sets pprof
	// labels on the goroutine, restored when the span ends.
	otel.SetTracerProvider(otelpyroscope.NewTracerProvider(tp))

	profiler, err := pyroscope.Start(pyroscope.Config{
		ApplicationName:   appName,
		ServerAddress:     serverAddress,
		BasicAuthUser:     os.Getenv("PYROSCOPE_BASIC_AUTH_USER"),
		BasicAuthPassword: os.Getenv("PYROSCOPE_BASIC_AUTH_PASSWORD"),
		Tags:              map[string]string{"env": env, "version": version},
		UploadRate:        uploadRate,
		Logger:            stderrLogger{},
		ProfileTypes: []pyroscope.ProfileType{
			pyroscope.ProfileCPU,
			pyroscope.ProfileAllocObjects,
			pyroscope.ProfileAllocSpace,
			pyroscope.ProfileInuseObjects,
			pyroscope.ProfileInuseSpace,
		},
	})
	if err != nil {
		log.Fatalf("pyroscope-app: profiler: %v", err)
	}

	// Wrapped per route, not around the mux: otelhttp names the span from
	// r.Pattern, which the mux sets only when it routes. Wrapping the mux
	// would start the span as "GET" (renamed to "GET /work" at its end), and
	// otel-profiling-go takes the span_name label at the start.
	mux := http.NewServeMux()
	mux.Handle("GET /work", otelhttp.NewHandler(http.HandlerFunc(work), "GET /work"))
	mux.Handle("GET /hello", otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("hello\n"))
	}), "GET /hello"))

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("pyroscope-app: listen: %v", err)
	}
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- server.Serve(ln) }()
	fmt.Printf("listening on http://%s\n", ln.Addr())

	sigCtx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	select {
	case <-sigCtx.Done():
	case err := <-served:
		log.Fatalf("pyroscope-app: serve: %v", err)
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Printf("pyroscope-app: shutdown: %v", err)
	}
	// Flush(true) cuts the current profile and waits for its upload; Stop
	// alone may close the upload queue before the last job is sent.
	profiler.Flush(true)
	if err := profiler.Stop(); err != nil {
		log.Printf("pyroscope-app: profiler stop: %v", err)
	}
	if err := tp.Shutdown(shutdownCtx); err != nil {
		log.Printf("pyroscope-app: tracer provider shutdown: %v", err)
	}
	fmt.Println("stopped")
}
