// Command pyroscope-query-client calls Hotspots' Pyroscope query API through the official
// Connect client of github.com/grafana/pyroscope/api, built as Grafana's Pyroscope datasource
// builds it (pkg/tsdb/grafana-pyroscope-datasource: querierv1connect.NewQuerierServiceClient with
// the datasource's HTTP client and URL, no options): binary protobuf, Connect unary.
//
// It reads a JSON array of calls from stdin, each {"method": "...", "request": {...}} with the
// request in the protobuf JSON mapping, and writes a JSON array of results: {"response": {...}}
// (protobuf JSON) or {"error": {"code": "...", "message": "..."}} (the Connect error code the
// client read from the server's answer).
//
// Authentication is set on the HTTP client, as Grafana's datasource HTTP client does: -bearer
// sends `Authorization: Bearer <key>` (a custom header in Grafana), -basic-user/-basic-password
// send HTTP Basic (Grafana's "Basic auth" setting).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"connectrpc.com/connect"
	querierv1 "github.com/grafana/pyroscope/api/gen/proto/go/querier/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/querier/v1/querierv1connect"
	typesv1 "github.com/grafana/pyroscope/api/gen/proto/go/types/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

type authTransport struct {
	bearer, user, password string
	basic                  bool
}

func (t authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if t.bearer != "" {
		r.Header.Set("Authorization", "Bearer "+t.bearer)
	}
	if t.basic {
		r.SetBasicAuth(t.user, t.password)
	}
	return http.DefaultTransport.RoundTrip(r)
}

type call struct {
	Method  string          `json:"method"`
	Request json.RawMessage `json:"request"`
}

type callError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type result struct {
	Response json.RawMessage `json:"response,omitempty"`
	Error    *callError      `json:"error,omitempty"`
}

func unary[Req, Res any](ctx context.Context, raw json.RawMessage, req *Req, do func(context.Context, *connect.Request[Req]) (*connect.Response[Res], error)) (proto.Message, error) {
	if len(raw) > 0 {
		if err := protojson.Unmarshal(raw, any(req).(proto.Message)); err != nil {
			return nil, fmt.Errorf("bad request JSON: %w", err)
		}
	}
	res, err := do(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	return any(res.Msg).(proto.Message), nil
}

func run(ctx context.Context, client querierv1connect.QuerierServiceClient, c call) (proto.Message, error) {
	switch c.Method {
	case "ProfileTypes":
		return unary(ctx, c.Request, &querierv1.ProfileTypesRequest{}, client.ProfileTypes)
	case "LabelNames":
		return unary(ctx, c.Request, &typesv1.LabelNamesRequest{}, client.LabelNames)
	case "LabelValues":
		return unary(ctx, c.Request, &typesv1.LabelValuesRequest{}, client.LabelValues)
	case "Series":
		return unary(ctx, c.Request, &querierv1.SeriesRequest{}, client.Series)
	case "SelectMergeStacktraces":
		return unary(ctx, c.Request, &querierv1.SelectMergeStacktracesRequest{}, client.SelectMergeStacktraces)
	case "SelectMergeSpanProfile":
		return unary(ctx, c.Request, &querierv1.SelectMergeSpanProfileRequest{}, client.SelectMergeSpanProfile)
	case "SelectMergeProfile":
		return unary(ctx, c.Request, &querierv1.SelectMergeProfileRequest{}, client.SelectMergeProfile)
	case "SelectSeries":
		return unary(ctx, c.Request, &querierv1.SelectSeriesRequest{}, client.SelectSeries)
	case "GetProfileStats":
		return unary(ctx, c.Request, &typesv1.GetProfileStatsRequest{}, client.GetProfileStats)
	case "SelectHeatmap":
		return unary(ctx, c.Request, &querierv1.SelectHeatmapRequest{}, client.SelectHeatmap)
	}
	return nil, fmt.Errorf("unknown method %q", c.Method)
}

func main() {
	url := flag.String("url", "", "base URL of the API (the datasource URL)")
	bearer := flag.String("bearer", "", "API key sent as Authorization: Bearer")
	basicUser := flag.String("basic-user", "", "HTTP Basic user")
	basicPassword := flag.String("basic-password", "", "HTTP Basic password")
	basic := flag.Bool("basic", false, "send HTTP Basic auth")
	flag.Parse()

	var calls []call
	if err := json.NewDecoder(os.Stdin).Decode(&calls); err != nil {
		fmt.Fprintln(os.Stderr, "reading calls:", err)
		os.Exit(2)
	}
	httpClient := &http.Client{
		Timeout:   60 * time.Second,
		Transport: authTransport{bearer: *bearer, user: *basicUser, password: *basicPassword, basic: *basic},
	}
	client := querierv1connect.NewQuerierServiceClient(httpClient, *url)

	results := make([]result, 0, len(calls))
	for _, c := range calls {
		msg, err := run(context.Background(), client, c)
		if err != nil {
			results = append(results, result{Error: &callError{Code: connect.CodeOf(err).String(), Message: err.Error()}})
			continue
		}
		out, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(msg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "encoding a response:", err)
			os.Exit(1)
		}
		results = append(results, result{Response: out})
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "writing results:", err)
		os.Exit(1)
	}
}
