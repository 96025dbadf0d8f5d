"""A small HTTP service traced and profiled by the real, unmodified ddtrace 4.x.

Hotspots' tests start it with `ddtrace-run python app.py` and standard DD_* settings
(DD_TRACE_AGENT_URL, DD_EXTERNAL_ENV, DD_PROFILING_*), nothing else. It prints one line
"listening on http://<addr>" once it accepts connections; SIGTERM stops the server and exits
(ddtrace flushes traces and the last profile at exit).

Routes (each request is a `web` span whose resource is "GET <path>", as web frameworks name it):
  GET /work?n=<rounds>   burns CPU (JSON-encodes a large structure n times)
  GET /lock?ms=<ms>      waits up to ms for a lock another thread holds: lock wait without CPU
Both answer {"span_id","trace_id","local_root_span_id"} (decimal span ids, 32-hex trace id).
"""

import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from ddtrace.trace import tracer

PAYLOAD = [
    {
        "id": i,
        "customer": f"customer-{i}",
        "items": [{"sku": f"SKU-{i}-{j}", "name": f'Item "{i}" <{j}>', "price": i * j + 0.99} for j in range(25)],
    }
    for i in range(40)
]

held = threading.Lock()


def burn(rounds: int) -> int:
    return sum(len(json.dumps(PAYLOAD)) for _ in range(rounds))


def wait_for_lock(ms: int) -> None:
    def hold() -> None:
        with held:
            time.sleep(ms / 1000)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.01)
    with held:
        pass
    holder.join()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path not in ("/work", "/lock"):
            self.send_error(404)
            return
        with tracer.trace("http.request", service=None, resource=f"GET {url.path}", span_type="web") as span:
            span.set_tag("http.method", "GET")
            span.set_tag("http.route", url.path)
            if url.path == "/work":
                burn(int(query.get("n", ["50"])[0]))
            else:
                wait_for_lock(int(query.get("ms", ["100"])[0]))
            body = json.dumps(
                {
                    "span_id": str(span.span_id),
                    "trace_id": f"{span.trace_id:032x}",
                    "local_root_span_id": str(span._local_root.span_id if span._local_root else span.span_id),
                }
            ).encode()
            span.set_tag("http.status_code", "200")
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()
    server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
