/**
 * Records real payloads of the dd-trace-js and ddtrace test apps into test/fixtures/agents/:
 *
 *   node --import tsx test/support/record-runtime-fixtures.ts
 *
 * Runs test/node/dd-app (dd-trace-js) and test/python/dd-app (ddtrace) against the capture server
 * (a stand-in agent answering like the real receivers, test/support/capture-server.ts) with the
 * API root as agent URL and DD_EXTERNAL_ENV=hk-hotspots-fixture-key, drives a few `GET /work`
 * requests, waits for a profile upload and a traces payload, stops the app and writes them byte
 * for byte with JSON sidecars (record-agent-fixtures.ts does the same for the Go clients). Needs
 * what infra/scripts/install-prereqs.sh installs for those apps; no part of the Hotspots stack.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CapturedRequest, startCaptureServer } from './capture-server.js';
import { describeParts, eventOf, requestSidecar } from './fixture-sidecar.js';
import {
  drive,
  pythonAppVenv,
  type RequestIds,
  type RuntimeAppName,
  runtimeAppEnv,
  startRuntimeApp,
} from './runtime-apps.js';

const fixturesDir = fileURLToPath(new URL('../fixtures/agents/', import.meta.url));
const key = 'hotspots-fixture-key';

const describe = (request: CapturedRequest, client: string, extra: Record<string, unknown> = {}) =>
  requestSidecar(
    request,
    'node --import tsx test/support/record-runtime-fixtures.ts',
    client,
    { path: request.path },
    extra,
  );

const multipartSidecar = (request: CapturedRequest) => ({
  content_type: request.headers['content-type'],
  parts: describeParts(request),
  event: eventOf(request),
});

async function save(dir: string, file: string, body: Buffer | string, sidecar?: object): Promise<void> {
  await mkdir(path.join(fixturesDir, dir), { recursive: true });
  await writeFile(path.join(fixturesDir, dir, file), body);
  if (sidecar) {
    const stem = file.replace(/\.[^.]+$/, '');
    await writeFile(path.join(fixturesDir, dir, `${stem}.json`), `${JSON.stringify(sidecar, null, 2)}\n`);
  }
  console.log(`wrote ${dir}/${file}`);
}

async function record(name: RuntimeAppName, dir: string, client: string, tracesPath: string): Promise<void> {
  const capture = await startCaptureServer();
  const app = await startRuntimeApp(
    name,
    runtimeAppEnv(name, { agentUrl: capture.url, key, service: `fixture-${name}`, periodSeconds: 2 }),
  );
  try {
    // ddtrace span ids cover the whole uint64 range: keep going until one is 2^63 or above (a
    // negative Label.num in the profile), which the golden tests read.
    const results: RequestIds[] = [];
    while (results.length < 3 || (name === 'python-dd-app' && !results.some((r) => BigInt(r.span_id) >= 2n ** 63n))) {
      if (results.length >= 20) throw new Error(`${name}: no span id of 2^63 or above in 20 requests`);
      results.push(...(await drive(app, '/work?n=150', { count: 1 })));
    }
    const ids = new Set(results.map((r) => r.span_id));
    const [profile] = await capture.waitFor(
      'a profile upload with endpoint counts',
      (r) => r.path === '/profiling/v1/input' && eventOf(r)?.endpoint_counts !== undefined,
    );
    const [traces] = await capture.waitFor('a traces payload', (r) => r.path === tracesPath && r.body.length > 1);
    const exit = await app.stop();
    if (exit.code !== 0) throw new Error(`${name} exited with ${exit.code ?? exit.signal}\n${app.stderr()}`);
    if (!profile || !traces) throw new Error(`${name}: missing payloads`);
    await save(dir, 'profiling-input.multipart', profile.body, describe(profile, client, multipartSidecar(profile)));
    const tracesFile = `${tracesPath.split('/')[1]}-traces.msgpack`;
    await save(
      dir,
      tracesFile,
      traces.body,
      describe(traces, client, { content_type: traces.headers['content-type'] }),
    );
    const note =
      'The GET /work answers of the run that recorded these fixtures (decimal span ids, 32-hex trace ids); the profile carries CPU samples of those that fell in its window.';
    await save(
      dir,
      'requests.json',
      `${JSON.stringify({ note, client, requests: results, span_ids: [...ids] }, null, 2)}\n`,
    );
  } finally {
    await app.stop();
    await capture.close();
  }
}

const ddTraceJs = (
  JSON.parse(
    readFileSync(fileURLToPath(new URL('../node/dd-app/node_modules/dd-trace/package.json', import.meta.url)), 'utf8'),
  ) as { version: string }
).version;
const ddtrace = /ddtrace==(\S+)/.exec(
  readFileSync(fileURLToPath(new URL('../python/dd-app/requirements.txt', import.meta.url)), 'utf8'),
)?.[1];
await record('node-dd-app', 'dd-trace-js', `dd-trace-js ${ddTraceJs} (Node ${process.version})`, '/v0.4/traces');
const python = execFileSync(path.join(pythonAppVenv(), 'bin', 'python'), ['--version'], { encoding: 'utf8' }).trim();
await record('python-dd-app', 'ddtrace-py', `ddtrace ${ddtrace} (${python})`, '/v0.5/traces');
