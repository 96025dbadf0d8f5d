// Command labelled-cpu burns CPU under dd-trace-go style pprof labels and
// writes a real Go runtime CPU profile. Hotspots' tests use it so the
// label/trace join is exercised on bytes the Go runtime itself produced,
// not on hand-built fixtures that might share our own assumptions.
//
// Usage:
//
//	labelled-cpu -out cpu.pprof [-duration 3s] [-scenario mixed]
//
// After the profile is written it prints one JSON line to stdout describing
// every label set it used, so tests need not hard-code the values.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Label keys exactly as dd-trace-go's profiler code hotspots sets them
// (note the spaces: they are part of the key).
const (
	keySpanID     = "span id"
	keyLocalRoot  = "local root span id"
	keyEndpoint   = "trace endpoint"
	defaultScenar = "mixed"
)

// spanDesc describes one label set. Pointers are null in the JSON when the
// label is deliberately absent from the samples.
type spanDesc struct {
	SpanID          string  `json:"span_id"`
	LocalRootSpanID *string `json:"local_root_span_id"`
	Endpoint        *string `json:"endpoint"`
	// ParentSpanID is set for the in-process child span.
	ParentSpanID *string `json:"parent_span_id,omitempty"`
	// Role says how the CPU under this label set was produced; tests can
	// use it to pick e.g. the child span without relying on ordering.
	Role string `json:"role"`
}

type description struct {
	Scenario   string `json:"scenario"`
	DurationMs int64  `json:"duration_ms"`
	// Unlabelled is true when some CPU was burnt with no labels at all.
	Unlabelled bool       `json:"unlabelled"`
	Spans      []spanDesc `json:"spans"`
	// Requests served per endpoint (the deploy scenario), as dd-trace-go reports endpoint_counts.
	EndpointCounts map[string]int64 `json:"endpoint_counts,omitempty"`
}

// sink keeps the compiler from proving the hash loops dead.
var sink atomic.Uint64

// spin is the pure-ALU leaf every worker runs: xorshift + multiply, no
// allocation, no syscalls besides the periodic clock read, no sleeping.
// It is kept out of line so stacks always end in main.spin under a
// role-specific caller.
//
//go:noinline
func spin(deadline time.Time, seed uint64) {
	h := seed | 1
	for {
		for i := 0; i < 1<<14; i++ {
			h ^= h << 13
			h ^= h >> 7
			h ^= h << 17
			h *= 0x9E3779B97F4A7C15
		}
		if !time.Now().Before(deadline) {
			sink.Add(h)
			return
		}
	}
}

// One function per role so stacks tell the roles apart even when label
// values are equal (the inherited-label child vs. its parent, for instance).

//go:noinline
func handleRequest(deadline time.Time, seed uint64) { spin(deadline, seed) }

//go:noinline
func childGoroutineWork(deadline time.Time, seed uint64) { spin(deadline, seed) }

//go:noinline
func childSpanWork(deadline time.Time, seed uint64) { spin(deadline, seed) }

//go:noinline
func backgroundWork(deadline time.Time, seed uint64) { spin(deadline, seed) }

//go:noinline
func spanOnlyWork(deadline time.Time, seed uint64) { spin(deadline, seed) }

func strp(s string) *string { return &s }

// mixed runs every label shape concurrently until deadline and returns the
// label sets it used.
func mixed(deadline time.Time, start time.Time) []spanDesc {
	// Endpoint strings chosen to stress printers/parsers: non-ASCII, both
	// quote kinds, and square brackets plus a space (pprof -raw wraps values
	// in [...] and separates them with spaces).
	const (
		epCafe   = `GET /café/"quoted"/it's`
		epOrders = `POST /api/orders`
		epItems  = `GET /items/[id] v2`
	)
	// Span ids are decimal uint64 like dd-trace-go prints them. Values above
	// 2^53 break float64 (JSON numbers in JS); above 2^63 break int64.
	// -id-salt flips low bits so each run labels with fresh ids (real span ids are random, and
	// tests share one ClickHouse), while keeping each id above the same power of two.
	var (
		cafeSpan   = salted("9007199254740993")     // 2^53 + 1
		ordersRoot = salted("18446744073709551557") // largest 64-bit prime, > 2^63
		ordersKid  = salted("9223372036854775809")  // 2^63 + 1
		itemsSpan  = salted("4242")
		spanOnly   = salted("777")
	)
	spans := []spanDesc{
		{SpanID: cafeSpan, LocalRootSpanID: strp(cafeSpan), Endpoint: strp(epCafe), Role: "root"},
		{SpanID: ordersRoot, LocalRootSpanID: strp(ordersRoot), Endpoint: strp(epOrders), Role: "root"},
		{SpanID: ordersKid, LocalRootSpanID: strp(ordersRoot), Endpoint: strp(epOrders), ParentSpanID: strp(ordersRoot), Role: "child"},
		{SpanID: itemsSpan, LocalRootSpanID: strp(itemsSpan), Endpoint: strp(epItems), Role: "root"},
		{SpanID: spanOnly, Role: "span-only"},
	}

	var wg sync.WaitGroup
	run := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	rootLabels := func(span, ep string) pprof.LabelSet {
		return pprof.Labels(keySpanID, span, keyLocalRoot, span, keyEndpoint, ep)
	}

	// Two plain requests sharing the same code path, so only labels
	// separate them.
	run(func() {
		pprof.Do(context.Background(), rootLabels(cafeSpan, epCafe), func(context.Context) {
			handleRequest(deadline, 1)
		})
	})
	run(func() {
		pprof.Do(context.Background(), rootLabels(itemsSpan, epItems), func(context.Context) {
			handleRequest(deadline, 2)
		})
	})

	// A request whose goroutine fans out: the child goroutine inherits the
	// root's labels (the runtime copies them at `go`), burns for half the
	// time, then opens a child span that overrides only "span id".
	run(func() {
		pprof.Do(context.Background(), rootLabels(ordersRoot, epOrders), func(ctx context.Context) {
			var kid sync.WaitGroup
			kid.Add(1)
			go func() {
				defer kid.Done()
				half := start.Add(deadline.Sub(start) / 2)
				childGoroutineWork(half, 3)
				pprof.Do(ctx, pprof.Labels(keySpanID, ordersKid), func(context.Context) {
					childSpanWork(deadline, 4)
				})
			}()
			handleRequest(deadline, 5)
			kid.Wait()
		})
	})

	// CPU with no labels at all (GC, background jobs in a real service).
	run(func() { backgroundWork(deadline, 6) })

	// Only "span id": set the way dd-trace-go's tracer does when it starts
	// a span (WithLabels + SetGoroutineLabels, not pprof.Do), and with no
	// endpoint, as when endpoint collection is disabled.
	run(func() {
		pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels(keySpanID, spanOnly)))
		spanOnlyWork(deadline, 7)
	})

	wg.Wait()
	return spans
}

var scenarios = map[string]func(deadline, start time.Time) []spanDesc{
	"mixed":  mixed,
	"deploy": deploy,
}

// The deploy scenario: two endpoints serving requests one after another until the deadline, each
// request a fixed amount of work under its own local root span. -slow-factor multiplies the work
// of priceItems (POST /checkout only), making that handler slower per request, as a bad release
// would; GET /catalog is unchanged whatever the factor.
var (
	slowFactor     = 1
	endpointCounts = map[string]int64{}
)

const workUnit = 1 << 19

// Each function burns its own CPU in its own loop (no shared helper), so that a profile puts
// the self time of a request in the function that does the work.

//go:noinline
func renderCatalog(seed uint64) {
	h := seed | 1
	for i := 0; i < 2*workUnit; i++ {
		h ^= h << 13
		h ^= h >> 7
		h ^= h << 17
	}
	sink.Add(h)
}

//go:noinline
func priceItems(seed uint64) {
	h := seed | 1
	for i := 0; i < slowFactor*workUnit; i++ {
		h ^= h << 13
		h ^= h >> 7
		h ^= h << 17
	}
	sink.Add(h)
}

//go:noinline
func encodeReceipt(seed uint64) {
	h := seed | 1
	for i := 0; i < workUnit; i++ {
		h ^= h << 13
		h ^= h >> 7
		h ^= h << 17
	}
	sink.Add(h)
}

//go:noinline
func handleCatalog(seed uint64) { renderCatalog(seed) }

//go:noinline
func handleCheckout(seed uint64) {
	priceItems(seed)
	encodeReceipt(seed)
}

func deploy(deadline time.Time, _ time.Time) []spanDesc {
	endpoints := []struct {
		name    string
		handler func(uint64)
		base    uint64
	}{
		{`GET /catalog`, handleCatalog, 1 << 40},
		{`POST /checkout`, handleCheckout, 2 << 40},
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, ep := range endpoints {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var served int64
			for ; time.Now().Before(deadline); served++ {
				span := salted(strconv.FormatUint(ep.base+uint64(served)+1, 10))
				labels := pprof.Labels(keySpanID, span, keyLocalRoot, span, keyEndpoint, ep.name)
				pprof.Do(context.Background(), labels, func(context.Context) { ep.handler(uint64(served)) })
			}
			mu.Lock()
			endpointCounts[ep.name] = served
			mu.Unlock()
		}()
	}
	wg.Wait()
	return []spanDesc{}
}

var idSalt uint64

// salted XORs the low 32 bits of a decimal id with -id-salt (0 leaves it unchanged).
func salted(id string) string {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		panic(err)
	}
	return strconv.FormatUint(n^(idSalt&0xffffffff), 10)
}

func main() {
	salt := flag.Uint64("id-salt", 0, "XOR the low 32 bits of every span id with this value")
	out := flag.String("out", "", "path to write the CPU profile to (gzipped protobuf, as the runtime writes it)")
	duration := flag.Duration("duration", 3*time.Second, "total time to burn CPU for")
	scenario := flag.String("scenario", defaultScenar, "workload to run (mixed, deploy)")
	flag.IntVar(&slowFactor, "slow-factor", 1, "deploy scenario: work of priceItems (POST /checkout) per request, in units")
	flag.Parse()
	idSalt = *salt

	if *out == "" || *duration <= 0 {
		fmt.Fprintln(os.Stderr, "labelled-cpu: -out is required and -duration must be positive")
		flag.Usage()
		os.Exit(2)
	}
	work, ok := scenarios[*scenario]
	if !ok {
		fmt.Fprintf(os.Stderr, "labelled-cpu: unknown scenario %q\n", *scenario)
		os.Exit(2)
	}

	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "labelled-cpu:", err)
		os.Exit(1)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "labelled-cpu:", err)
		os.Exit(1)
	}
	start := time.Now()
	spans := work(start.Add(*duration), start)
	pprof.StopCPUProfile() // flushes the final samples before returning
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "labelled-cpu:", err)
		os.Exit(1)
	}

	// Printed only after the profile is complete, so a reader that sees the
	// line knows the file is ready.
	line, err := json.Marshal(description{
		Scenario:   *scenario,
		DurationMs: duration.Milliseconds(),
		Unlabelled: true,
		Spans:      spans,
		EndpointCounts: func() map[string]int64 {
			if len(endpointCounts) == 0 {
				return nil
			}
			return endpointCounts
		}(),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "labelled-cpu:", err)
		os.Exit(1)
	}
	fmt.Println(string(line))
}
