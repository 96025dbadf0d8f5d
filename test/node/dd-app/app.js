'use strict';
// A small HTTP service traced and profiled by the real, unmodified dd-trace-js 5.x. Hotspots'
// tests start it with `node --require dd-trace/init app.js` and standard DD_* settings
// (DD_TRACE_AGENT_URL, DD_EXTERNAL_ENV, DD_PROFILING_*), nothing else.
//
// It prints one line "listening on http://<addr>" once it accepts connections, and on SIGTERM
// closes the server and exits (dd-trace flushes traces and the last profile on exit).
//
// Routes:
//   GET /work?n=<rounds>   burns CPU on the event loop (JSON-encodes a large structure n times)
//   GET /sleep?ms=<ms>     awaits a timer: wall time without CPU
// Both answer {"span_id","trace_id","local_root_span_id"} (decimal span ids, 32-hex trace id).
const http = require('node:http');
const tracer = require('dd-trace');

const payload = Array.from({ length: 40 }, (_, i) => ({
  id: i,
  customer: `customer-${i}`,
  items: Array.from({ length: 25 }, (_, j) => ({
    sku: `SKU-${i}-${j}`,
    name: `Item "${i}" <${j}>`,
    price: i * j + 0.99,
  })),
}));

function burn(rounds) {
  let bytes = 0;
  for (let i = 0; i < rounds; i++) bytes += JSON.stringify(payload).length;
  return bytes;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function ids() {
  const span = tracer.scope().active();
  const context = span.context();
  return {
    span_id: context.toSpanId(),
    trace_id: context.toTraceId(true),
    local_root_span_id: context._trace.started[0].context().toSpanId(),
  };
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://app');
  const span = tracer.scope().active();
  // A bare http.server span is named by its method only; a router would name the route.
  if (span) span.setTag('resource.name', `${req.method} ${url.pathname}`);
  if (url.pathname === '/work') {
    const rounds = Number(url.searchParams.get('n') ?? '50');
    const bytes = burn(rounds);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...ids(), bytes }));
    return;
  }
  if (url.pathname === '/sleep') {
    await sleep(Number(url.searchParams.get('ms') ?? '100'));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ids()));
    return;
  }
  res.writeHead(404).end();
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
});
