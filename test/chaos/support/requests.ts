import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { buildMultipart, eventPart, filePart } from '../../support/multipart-builder.js';
import { buildCpuProfile, type ProfileSpec } from '../../support/pprof-builder.js';
import { ddSpan, encodeV04, hrTime, otelSpans, otlpJson } from '../../support/trace-payloads.js';

/** Requests like the agents' and users', timed, tolerant of non-JSON answers (outages). */
export const chaosKey = 'hotspots-test-key-a';
export const chaosTenant = 'test-a';

export interface Timed {
  status: number;
  ms: number;
  retryAfter: string | null;
  body: { profile_id?: string; error?: { code: string; message: string } } & Record<string, unknown>;
  text: string;
}

export async function request(
  method: string,
  path: string,
  body: Uint8Array | undefined,
  headers: Record<string, string>,
): Promise<Timed> {
  const started = performance.now();
  try {
    const answer = await fetch(`${inject('apiUrl')}${path}`, {
      method,
      headers: { authorization: `Bearer ${chaosKey}`, ...headers },
      ...(body ? { body } : {}),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await answer.text();
    let parsed: Timed['body'] = {};
    try {
      parsed = JSON.parse(text) as Timed['body'];
    } catch {
      // not JSON (protobuf answers, gateway errors)
    }
    return {
      status: answer.status,
      ms: performance.now() - started,
      retryAfter: answer.headers.get('retry-after'),
      body: parsed,
      text,
    };
  } catch (error) {
    // No answer at all (connection refused/reset): reported as status 0.
    return { status: 0, ms: performance.now() - started, retryAfter: null, body: {}, text: String(error) };
  }
}

/** Two endpoints and some unlabelled CPU: 230 ms of CPU per profile. */
export const chaosSpec: ProfileSpec = {
  samples: [
    {
      stack: ['main.handler', 'main.main'],
      cpuNs: 120_000_000n,
      labels: { 'trace endpoint': 'GET /a', 'span id': '1' },
    },
    {
      stack: ['json.Marshal', 'main.main'],
      cpuNs: 80_000_000n,
      labels: { 'trace endpoint': 'POST /b', 'span id': '2' },
    },
    { stack: ['runtime.gcBgMarkWorker'], cpuNs: 30_000_000n },
  ],
};
export const chaosSpecTotal = 230_000_000n;

export function uploadProfile(service: string, bytes: Uint8Array = buildCpuProfile(chaosSpec)): Promise<Timed> {
  return request('POST', `/v1/profiles?service=${encodeURIComponent(service)}`, bytes, {
    'content-type': 'application/octet-stream',
  });
}

/** One valid request per ingest route, each for `service`. */
export async function ingestRequests(
  service: string,
): Promise<{ route: string; method: string; path: string; body: Uint8Array; headers: Record<string, string> }[]> {
  const profile = buildCpuProfile(chaosSpec);
  const now = Date.now();
  const multipart = buildMultipart([
    filePart('cpu.pprof', profile),
    eventPart({
      start: new Date(now - 60_000).toISOString(),
      end: new Date(now).toISOString(),
      attachments: ['cpu.pprof'],
      tags_profiler: `service:${service},env:chaos,runtime-id:${randomUUID()}`,
      family: 'go',
      version: '4',
    }),
  ]);
  const trace = BigInt(`0x${randomBytes(7).toString('hex')}`);
  const otlp = otlpJson(
    await otelSpans(randomBytes(16).toString('hex'), { 'service.name': service }, [
      { name: 'GET /x', spanId: randomBytes(8).toString('hex'), startTime: hrTime(1000), endTime: hrTime(900) },
    ]),
  );
  const octet = { 'content-type': 'application/octet-stream' };
  return [
    { route: '/v1/profiles', method: 'POST', path: `/v1/profiles?service=${service}`, body: profile, headers: octet },
    {
      route: '/profiling/v1/input',
      method: 'POST',
      path: '/profiling/v1/input',
      body: multipart.body,
      headers: { 'content-type': multipart.contentType },
    },
    { route: '/ingest', method: 'POST', path: `/ingest?name=${service}&format=pprof`, body: profile, headers: octet },
    {
      route: '/v0.4/traces',
      method: 'PUT',
      path: '/v0.4/traces',
      body: encodeV04([[ddSpan({ trace_id: trace, span_id: trace + 1n, service })]]),
      headers: { 'content-type': 'application/msgpack' },
    },
    {
      route: '/v1/traces',
      method: 'POST',
      path: '/v1/traces',
      body: otlp,
      headers: { 'content-type': 'application/json' },
    },
  ];
}

/** Appends a measured figure to <chaos data dir>/chaos-report.jsonl (and the test output). */
export function report(name: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ at: new Date().toISOString(), name, ...figures });
  console.log(`[chaos figure] ${line}`);
  appendFileSync(join(inject('chaosSettings').dataDir, 'chaos-report.jsonl'), `${line}\n`);
}

export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};
