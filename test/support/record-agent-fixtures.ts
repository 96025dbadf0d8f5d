/**
 * Records real payloads from the real clients into test/fixtures/agents/:
 *
 *   node --import tsx test/support/record-agent-fixtures.ts
 *
 * Builds and runs test/go/dd-app and test/go/pyroscope-app against the capture server (a stand-in
 * agent that answers like the real receivers), drives a few `GET /work` requests through each,
 * stops them with SIGTERM so they flush, and writes one payload of each kind, byte for byte as
 * received, with a JSON sidecar holding the request line, headers and what is inside. Needs Go
 * (and the Go module proxy on a cold module cache); no part of the Hotspots stack.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AgentAppName,
  agentAppDir,
  ddAppEnv,
  driveRequests,
  pyroscopeAppEnv,
  startAgentApp,
  type WorkResult,
} from './agent-apps.js';
import { type CapturedRequest, splitMultipart, startCaptureServer } from './capture-server.js';
import { describeParts, eventOf, requestSidecar } from './fixture-sidecar.js';
import { findGo } from './go-pprof.js';

const fixturesDir = fileURLToPath(new URL('../fixtures/agents/', import.meta.url));
// The key-in-path form Hotspots documents; the capture server ignores it, the paths keep it.
const pathPrefix = '/k/hotspots-fixture-key';

function moduleVersion(app: AgentAppName, module: string): string {
  const goMod = readFileSync(path.join(agentAppDir(app), 'go.mod'), 'utf8');
  const line = goMod.split('\n').find((l) => l.trim().startsWith(`${module} `));
  return line?.trim().split(/\s+/)[1] ?? 'unknown';
}

async function goVersion(): Promise<string> {
  const { execFileSync } = await import('node:child_process');
  return execFileSync(await findGo(), ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
}

/** The request as a sidecar, with its query as sent. */
function describe(request: CapturedRequest, client: string, extra: Record<string, unknown> = {}) {
  const url = new URL(request.url, 'http://capture');
  const where = { path: url.pathname, query: Object.fromEntries(url.searchParams), raw_query: url.search.slice(1) };
  return requestSidecar(request, 'node --import tsx test/support/record-agent-fixtures.ts', client, where, extra);
}

async function save(dir: string, file: string, request: CapturedRequest, sidecar: object): Promise<void> {
  await mkdir(path.join(fixturesDir, dir), { recursive: true });
  await writeFile(path.join(fixturesDir, dir, file), request.body);
  const stem = file.replace(/\.[^.]+$/, '');
  await writeFile(path.join(fixturesDir, dir, `${stem}.json`), `${JSON.stringify(sidecar, null, 2)}\n`);
  console.log(`wrote ${dir}/${file} (${request.body.length} bytes) and ${dir}/${stem}.json`);
}

async function saveJson(dir: string, file: string, value: unknown): Promise<void> {
  await mkdir(path.join(fixturesDir, dir), { recursive: true });
  await writeFile(path.join(fixturesDir, dir, file), `${JSON.stringify(value, null, 2)}\n`);
}

function requestsFile(client: string, results: WorkResult[]) {
  return {
    note: 'The GET /work answers of the run that recorded these fixtures: span ids of the requests whose spans and CPU samples the payloads carry.',
    client,
    requests: results.map(({ client_ms: _ms, ...rest }) => rest),
  };
}

async function recordDdTraceGo(go: string): Promise<void> {
  const client = `dd-trace-go ${moduleVersion('dd-app', 'github.com/DataDog/dd-trace-go/v2')} (${go})`;
  const capture = await startCaptureServer();
  const app = await startAgentApp(
    'dd-app',
    ddAppEnv({ agentUrl: `${capture.url}${pathPrefix}`, service: 'fixture-dd-app', periodSeconds: 2 }),
  );
  try {
    // A short burst at the start of the first period: its spans and its CPU land in the first
    // traces payload and the first profile, so the fixtures join.
    const results = await driveRequests(app, { count: 3, n: 60 });
    const [profile] = await capture.waitFor('a profile upload with endpoint counts', (r) => {
      return r.path.endsWith('/profiling/v1/input') && eventOf(r)?.endpoint_counts !== undefined;
    });
    const [traces] = await capture.waitFor(
      'a non-empty v0.4 traces payload',
      (r) => r.path.endsWith('/v0.4/traces') && Number(r.headers['x-datadog-trace-count']) > 0,
    );
    const exit = await app.stop();
    if (exit.code !== 0) throw new Error(`dd-app exited with ${exit.code ?? exit.signal}\n${app.stderr()}`);
    const empty = capture.requests.find((r) => r.path.endsWith('/v0.4/traces') && r.body.length === 1);
    if (!profile || !traces || !empty) throw new Error('dd-app: missing payloads');

    await save(
      'dd-trace-go',
      'profiling-input.multipart',
      profile,
      describe(profile, client, {
        content_type: profile.headers['content-type'],
        boundary: /boundary=(\S+)/.exec(String(profile.headers['content-type']))?.[1],
        parts: describeParts(profile),
        event: eventOf(profile),
      }),
    );
    await save('dd-trace-go', 'v0.4-traces.msgpack', traces, describe(traces, client));
    await save('dd-trace-go', 'v0.4-traces-empty.msgpack', empty, describe(empty, client));
    await saveJson('dd-trace-go', 'requests.json', requestsFile(client, results));
  } finally {
    await app.stop();
    await capture.close();
  }
}

async function recordPyroscope(go: string): Promise<void> {
  const client =
    `pyroscope-go ${moduleVersion('pyroscope-app', 'github.com/grafana/pyroscope-go')}, ` +
    `otel-profiling-go ${moduleVersion('pyroscope-app', 'github.com/grafana/otel-profiling-go')}, ` +
    `OpenTelemetry Go ${moduleVersion('pyroscope-app', 'go.opentelemetry.io/otel/sdk')} (${go})`;
  const capture = await startCaptureServer();
  const address = `${capture.url}${pathPrefix}`;
  const app = await startAgentApp(
    'pyroscope-app',
    pyroscopeAppEnv({
      serverAddress: address,
      otlpEndpoint: address,
      service: 'fixture-pyroscope-app',
      periodSeconds: 2,
    }),
  );
  const isCpu = (r: CapturedRequest) => r.path.endsWith('/ingest') && r.url.includes('units=samples');
  try {
    const results = await driveRequests(app, { count: 3, n: 60 });
    const [cpu] = await capture.waitFor('a Pyroscope CPU ingest', isCpu);
    const [memory] = await capture.waitFor(
      'a Pyroscope memory ingest (godeltaprof, with sample_type_config)',
      (r) => r.path.endsWith('/ingest') && !isCpu(r),
    );
    const [otlp] = await capture.waitFor('an OTLP traces export', (r) => r.path.endsWith('/v1/traces'));
    const exit = await app.stop();
    if (exit.code !== 0) throw new Error(`pyroscope-app exited with ${exit.code ?? exit.signal}\n${app.stderr()}`);
    if (!cpu || !memory || !otlp) throw new Error('pyroscope-app: missing payloads');

    for (const [file, request] of [
      ['ingest-cpu.bin', cpu],
      ['ingest-memory.bin', memory],
    ] as const) {
      const parts = splitMultipart(request.body, String(request.headers['content-type']));
      const config = parts.find((p) => p.name === 'sample_type_config');
      await save(
        'pyroscope',
        file,
        request,
        describe(request, client, {
          content_type: request.headers['content-type'],
          boundary: /boundary=(\S+)/.exec(String(request.headers['content-type']))?.[1],
          parts: describeParts(request),
          sample_type_config: config ? JSON.parse(config.body.toString('utf8')) : undefined,
        }),
      );
    }
    await save('otlp', 'traces.pb', otlp, describe(otlp, client, { content_type: otlp.headers['content-type'] }));
    await saveJson('pyroscope', 'requests.json', requestsFile(client, results));
  } finally {
    await app.stop();
    await capture.close();
  }
}

const go = await goVersion();
await recordDdTraceGo(go);
await recordPyroscope(go);
