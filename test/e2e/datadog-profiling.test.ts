import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { sql } from '../../shared/platform/sql.js';
import { buildGoroutineProfile, buildHeapProfile } from '../support/datadog-profiles.js';
import {
  committedEndpointCounts,
  objectsStoredDuring,
  post,
  sampleTypesOf,
} from '../support/datadog-profiling-store.js';
import { pprofTotalsByLabel } from '../support/go-pprof.js';
import { buildMultipart, eventPart, filePart, type PartSpec } from '../support/multipart-builder.js';
import { buildCpuProfile, expectedTotalsByLabel, type ProfileSpec } from '../support/pprof-builder.js';
import { getJson, testDeps, uniqueService, waitForCommittedProfiles } from '../support/services.js';

/**
 * POST /profiling/v1/input as dd-trace-go sends it, through serverless offline, S3, Kafka, the
 * consumer and ClickHouse, then read back with GET /v1/endpoints/cpu and straight from ClickHouse.
 */
const tenant = 'test-a';
const key = 'hotspots-test-key-a';
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'agents', 'dd-trace-go');

interface IntakeAnswer {
  upload_id: string;
  profiles: { profile_id: string; attachment: string }[];
  stored_raw: string[];
}

interface EndpointCpuBody {
  total_cpu_ns: number | string;
  endpoints: { endpoint: string | null; cpu_ns: number | string }[];
}

let deps: Deps;
beforeAll(() => {
  deps = testDeps();
});
afterAll(async () => {
  await deps.close();
});

const zstd = (bytes: Uint8Array): Buffer => execFileSync('/usr/bin/zstd', ['-c', '-q'], { input: bytes });
const unzstd = (bytes: Uint8Array): Buffer => execFileSync('/usr/bin/zstd', ['-d', '-c', '-q'], { input: bytes });

function cpuSpec(marker: string): ProfileSpec {
  return {
    samples: [
      {
        stack: ['main.handler', 'main.main'],
        cpuNs: 120_000_000n,
        labels: { 'trace endpoint': 'GET /cart', 'span id': '11', 'local root span id': '11' },
      },
      {
        stack: ['json.Marshal', 'main.handler', 'main.main'],
        cpuNs: 40_000_000n,
        labels: { 'trace endpoint': 'GET /cart', 'span id': '12', 'local root span id': '11' },
      },
      {
        stack: ['sql.Query', 'main.main'],
        cpuNs: 70_000_000n,
        labels: { 'trace endpoint': `POST /orders ${marker}`, 'span id': '9223372036854775809' },
      },
      { stack: ['runtime.gcBgMarkWorker'], cpuNs: 30_000_000n },
    ],
  };
}

function tagsProfiler(service: string, extra = ''): string {
  return `service:${service},env:e2e,version:1.0.0,host:ci,runtime-id:${randomUUID()},profile_seq:0,runtime:go${extra}`;
}

function datadogEvent(service: string, attachments: string[], endpointCounts?: Record<string, number>) {
  const now = Date.now();
  return {
    start: new Date(now - 60_000).toISOString(),
    // dd-trace-go writes end in local time: an offset must be read as the same instant.
    end: new Date(now + 2 * 3600_000).toISOString().replace('Z', '+02:00'),
    attachments,
    tags_profiler: tagsProfiler(service),
    family: 'go',
    version: '4',
    ...(endpointCounts ? { endpoint_counts: endpointCounts } : {}),
  };
}

async function endpointCpu(service: string, from: number, to: number): Promise<Map<string | null, bigint>> {
  const { status, body } = await getJson<EndpointCpuBody>(
    `/v1/endpoints/cpu?${new URLSearchParams({ service, from: String(from), to: String(to) })}`,
  );
  expect(status).toBe(200);
  return new Map(body.endpoints.map((e) => [e.endpoint, BigInt(e.cpu_ns)]));
}

const aroundNow = (): [number, number] => [Math.floor(Date.now() / 1000) - 3600, Math.floor(Date.now() / 1000) + 3600];

function postIntake(body: { body: Buffer; contentType: string }, headers: Record<string, string> = {}, path?: string) {
  return post<IntakeAnswer>(path ?? '/profiling/v1/input', body.body, {
    'content-type': body.contentType,
    'dd-api-key': key,
    ...headers,
  });
}

describe('POST /profiling/v1/input (dd-trace-go v1.42+ layout)', () => {
  const service = uniqueService('dd-intake');
  const spec = cpuSpec(randomUUID());
  const cpu = gzipSync(buildCpuProfile(spec));
  const heap = zstd(buildHeapProfile());
  const goroutines = zstd(buildGoroutineProfile());
  const metrics = zstd(Buffer.from('[["go_num_goroutine",12],["go_gc_cpu_fraction",0.01]]'));
  const counts = { 'GET /cart': 17, [spec.samples[2]?.labels?.['trace endpoint'] ?? '']: 4 };
  const names = ['metrics.json', 'goroutines.pprof', 'delta-heap.pprof', 'cpu.pprof'];
  const parts: PartSpec[] = [
    filePart('metrics.json', metrics),
    filePart('goroutines.pprof', goroutines),
    filePart('delta-heap.pprof', heap),
    filePart('cpu.pprof', cpu),
    eventPart(datadogEvent(service, names, counts)),
  ];
  let answer: Awaited<ReturnType<typeof postIntake>>;

  beforeAll(async () => {
    answer = await postIntake(buildMultipart(parts));
    expect(answer.status).toBe(202);
    await waitForCommittedProfiles(
      deps,
      tenant,
      answer.body.profiles.map((p) => p.profile_id),
    );
  });

  it('answers 202 with one profile per pprof attachment and the others stored raw', () => {
    expect(answer.body.profiles.map((p) => p.attachment)).toEqual([
      'goroutines.pprof',
      'delta-heap.pprof',
      'cpu.pprof',
    ]);
    expect(answer.body.stored_raw).toEqual(['metrics.json']);
  });

  it('reports per-endpoint CPU equal to the CPU attachment’s totals, with no heap or goroutine value in it', async () => {
    expect(await endpointCpu(service, ...aroundNow())).toEqual(expectedTotalsByLabel(spec, 'trace endpoint'));
  });

  it('keeps each attachment’s sample types apart', async () => {
    const idOf = (name: string) => answer.body.profiles.find((p) => p.attachment === name)?.profile_id ?? '';

    expect({
      cpu: await sampleTypesOf(deps, tenant, idOf('cpu.pprof')),
      heap: await sampleTypesOf(deps, tenant, idOf('delta-heap.pprof')),
      goroutines: await sampleTypesOf(deps, tenant, idOf('goroutines.pprof')),
    }).toEqual({
      cpu: ['cpu/nanoseconds', 'samples/count'],
      heap: ['alloc_objects/count', 'alloc_space/bytes', 'inuse_objects/count', 'inuse_space/bytes'],
      goroutines: ['goroutine/count'],
    });
  });

  it('writes the event’s endpoint_counts once, committed with the CPU profile', async () => {
    expect(await committedEndpointCounts(deps, tenant, service)).toEqual(counts);
  });

  it('takes service, env, version and runtime-id from tags_profiler', async () => {
    const rows = await deps.db.query<{ env: string; version: string; runtime_id: string }>(
      sql`SELECT DISTINCT env, version, runtime_id FROM profiles WHERE tenant = ${tenant} AND service = ${service}`,
    );

    expect(rows.map((r) => [r.env, r.version, /^[0-9a-f-]{36}$/.test(r.runtime_id)])).toEqual([['e2e', '1.0.0', true]]);
  });

  it('stores the attachments unchanged in S3', async () => {
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    const profileId = answer.body.profiles.find((p) => p.attachment === 'delta-heap.pprof')?.profile_id;

    const storedHeap = await deps.rawStore.get(`raw/profiles/${tenant}/${day}/${profileId}.pprof.zst`);
    const storedMetrics = await deps.rawStore.get(
      `raw/attachments/${tenant}/${day}/${answer.body.upload_id}/metrics.json`,
    );

    expect([Buffer.from(storedHeap).equals(heap), Buffer.from(storedMetrics).equals(metrics)]).toEqual([true, true]);
  });

  it('answers a retried upload (same parts, new boundary) with the same profile ids, and counts it once', async () => {
    const retry = await postIntake(buildMultipart(parts));
    await waitForCommittedProfiles(
      deps,
      tenant,
      retry.body.profiles.map((p) => p.profile_id),
    );

    expect(retry.body.profiles).toEqual(answer.body.profiles);
    expect(await endpointCpu(service, ...aroundNow())).toEqual(expectedTotalsByLabel(spec, 'trace endpoint'));
    expect(await committedEndpointCounts(deps, tenant, service)).toEqual(counts);
  });
});

describe('POST /profiling/v1/input with the documented maximum of endpoint counts', () => {
  // 10,000 entries (HOTSPOTS_MAX_ENDPOINT_COUNTS' default) of 110-character names: ~1.3 MB of
  // JSON, above the broker's 1 MB max.message.bytes if it travelled in the envelope.
  const service = uniqueService('dd-many-endpoints');
  const endpointName = (i: number) => `GET /api/v1/catalogue/${String(i).padStart(5, '0')}/`.padEnd(110, 'x');
  const counts: Record<string, number> = {};
  for (let i = 0; i < 10_000; i++) counts[endpointName(i)] = (i % 7) + 1;
  const spec: ProfileSpec = {
    samples: [
      { stack: ['main.list', 'main.main'], cpuNs: 140_000_000n, labels: { 'trace endpoint': endpointName(0) } },
      { stack: ['main.item', 'main.main'], cpuNs: 60_000_000n, labels: { 'trace endpoint': endpointName(9_999) } },
    ],
  };
  let answer: Awaited<ReturnType<typeof postIntake>>;

  beforeAll(async () => {
    answer = await postIntake(
      buildMultipart([
        filePart('cpu.pprof', gzipSync(buildCpuProfile(spec))),
        eventPart(datadogEvent(service, ['cpu.pprof'], counts)),
      ]),
    );
    if (answer.status === 202) {
      await waitForCommittedProfiles(
        deps,
        tenant,
        answer.body.profiles.map((p) => p.profile_id),
      );
    }
  });

  it('answers 202 and commits every count', async () => {
    expect(answer.status).toBe(202);
    expect(await committedEndpointCounts(deps, tenant, service)).toEqual(counts);
  });

  it('reports CPU per request from those counts', async () => {
    const { status, body } = await getJson<{
      endpoints: {
        endpoint: string | null;
        cpu_ns: string | number;
        requests?: string | number;
        cpu_ns_per_request?: number;
      }[];
    }>(
      `/v1/endpoints/cpu?${new URLSearchParams({ service, from: String(aroundNow()[0]), to: String(aroundNow()[1]) })}`,
    );

    expect(status).toBe(200);
    expect(body.endpoints.map((e) => [e.endpoint, Number(e.requests), e.cpu_ns_per_request])).toEqual([
      [endpointName(0), 1, 140_000_000],
      [endpointName(9_999), 4, 15_000_000],
    ]);
  });
});

describe('POST /k/{key}/profiling/v1/input', () => {
  it('takes the key from the path, for agents that send no key header (dd-trace-go in agent mode)', async () => {
    const service = uniqueService('dd-path-key');
    const spec = cpuSpec('path');
    const body = buildMultipart([
      filePart('cpu.pprof', zstd(buildCpuProfile(spec))),
      eventPart(datadogEvent(service, ['cpu.pprof'])),
    ]);

    const answer = await post<IntakeAnswer>(`/k/${key}/profiling/v1/input`, body.body, {
      'content-type': body.contentType,
    });
    await waitForCommittedProfiles(
      deps,
      tenant,
      answer.body.profiles.map((p) => p.profile_id),
    );

    expect(answer.status).toBe(202);
    expect(await endpointCpu(service, ...aroundNow())).toEqual(expectedTotalsByLabel(spec, 'trace endpoint'));
  });

  it('answers 401 for an unknown key in the path', async () => {
    const body = buildMultipart([filePart('cpu.pprof', gzipSync(buildCpuProfile(cpuSpec('x'))))]);

    const answer = await post('/k/not-a-known-key/profiling/v1/input', body.body, { 'content-type': body.contentType });

    expect([answer.status, answer.body.error?.code]).toEqual([401, 'unauthorized']);
  });
});

describe('POST /profiling/v1/input, older dd-trace-go layouts', () => {
  it('accepts v1.29–1.41 form fields with data[<file name>] parts', async () => {
    const service = uniqueService('dd-v3');
    const spec = cpuSpec('v3');
    const now = Date.now();

    const answer = await postIntake(
      buildMultipart([
        { name: 'version', body: '3' },
        { name: 'family', body: 'go' },
        { name: 'start', body: new Date(now - 60_000).toISOString().replace(/\.\d+Z$/, 'Z') },
        { name: 'end', body: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z') },
        { name: 'tags[]', body: 'runtime:go' },
        { name: 'tags[]', body: `service:${service}` },
        { name: 'data[cpu.pprof]', filename: 'pprof-data', body: gzipSync(buildCpuProfile(spec)) },
        { name: 'data[heap.pprof]', filename: 'pprof-data', body: gzipSync(buildHeapProfile()) },
      ]),
    );
    await waitForCommittedProfiles(
      deps,
      tenant,
      answer.body.profiles.map((p) => p.profile_id),
    );

    expect([answer.status, answer.body.profiles.map((p) => p.attachment)]).toEqual([202, ['cpu.pprof', 'heap.pprof']]);
    expect(await endpointCpu(service, ...aroundNow())).toEqual(expectedTotalsByLabel(spec, 'trace endpoint'));
  });

  it('accepts v1.23–1.28 form fields with types[i] and data[i] parts', async () => {
    const service = uniqueService('dd-legacy');
    const spec = cpuSpec('legacy');
    const now = Date.now();

    const answer = await postIntake(
      buildMultipart([
        { name: 'format', body: 'pprof' },
        { name: 'runtime', body: 'go' },
        { name: 'recording-start', body: new Date(now - 60_000).toISOString().replace(/\.\d+Z$/, 'Z') },
        { name: 'recording-end', body: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z') },
        { name: 'tags[]', body: `service:${service}` },
        { name: 'types[0]', body: 'samples,cpu' },
        { name: 'data[0]', filename: 'pprof-data', body: gzipSync(buildCpuProfile(spec)) },
      ]),
    );
    await waitForCommittedProfiles(
      deps,
      tenant,
      answer.body.profiles.map((p) => p.profile_id),
    );

    expect(answer.status).toBe(202);
    expect(await endpointCpu(service, ...aroundNow())).toEqual(expectedTotalsByLabel(spec, 'trace endpoint'));
  });
});

describe('POST /profiling/v1/input, the upload recorded from dd-trace-go v2.12', () => {
  const meta = JSON.parse(readFileSync(join(fixtures, 'profiling-input.json'), 'utf8')) as {
    content_type: string;
    event: { start: string; end: string; endpoint_counts: Record<string, number> };
  };
  const recorded = readFileSync(join(fixtures, 'profiling-input.multipart'));
  const requests = JSON.parse(readFileSync(join(fixtures, 'requests.json'), 'utf8')) as {
    requests: { span_id: string }[];
  };
  const service = 'fixture-dd-app';
  const from = Math.floor(Date.parse(meta.event.start) / 1000) - 600;
  const to = Math.ceil(Date.parse(meta.event.end) / 1000) + 600;
  let answer: Awaited<ReturnType<typeof postIntake>>;

  beforeAll(async () => {
    answer = await post<IntakeAnswer>(`/k/${key}/profiling/v1/input`, recorded, { 'content-type': meta.content_type });
    expect(answer.status).toBe(202);
    await waitForCommittedProfiles(
      deps,
      tenant,
      answer.body.profiles.map((p) => p.profile_id),
    );
  });

  it('matches go tool pprof on the CPU attachment, per endpoint, to the nanosecond', async () => {
    // The attachment is split out with undici's multipart parser, independent of the intake's.
    const form = await new Response(recorded, { headers: { 'content-type': meta.content_type } }).formData();
    const cpuPart = form.get('cpu.pprof') as Blob;
    const file = join(mkdtempSync(join(tmpdir(), 'hotspots-dd-fixture-')), 'cpu.pprof');
    writeFileSync(file, unzstd(Buffer.from(await cpuPart.arrayBuffer())));

    const expected = await pprofTotalsByLabel(file, 'trace endpoint');

    expect(await endpointCpu(service, from, to)).toEqual(expected);
  });

  it('stores the recorded endpoint_counts', async () => {
    expect(await committedEndpointCounts(deps, tenant, service)).toEqual(meta.event.endpoint_counts);
  });

  it('joins the recorded requests’ spans to CPU samples through the span id label', async () => {
    // dd-trace-go v2.12 labels samples with `span id` and `trace endpoint` only (no `local root
    // span id`); these requests are root spans, so their own span ids carry the CPU.
    const spanIds = requests.requests.map((r) => r.span_id);

    const rows = await deps.db.query<{ id: string }>(
      sql`SELECT DISTINCT toString(span_id) AS id FROM samples
        WHERE tenant = ${tenant} AND service = ${service} AND sample_type = 'cpu'
          AND has(${spanIds}, toString(span_id))`,
    );

    expect(rows.map((r) => r.id).sort()).toEqual([...spanIds].sort());
  });
});

describe('POST /profiling/v1/input refusals: a 4xx and nothing stored', () => {
  /** A CPU attachment no other request carries, so finding its bytes in S3 proves it was stored. */
  const uniqueCpu = () => gzipSync(buildCpuProfile(cpuSpec(randomUUID())));

  it('refuses a multipart body cut short with 400', async () => {
    const cpu = uniqueCpu();
    const body = buildMultipart([filePart('cpu.pprof', cpu), eventPart(datadogEvent('x', ['cpu.pprof']))]);
    let status = 0;

    const stored = await objectsStoredDuring(deps, tenant, [cpu], async () => {
      status = (await postIntake({ body: body.body.subarray(0, body.body.length - 40), contentType: body.contentType }))
        .status;
    });

    expect([status, stored]).toEqual([400, []]);
  });

  it('refuses an upload whose second attachment is in an unknown compression with 415, storing not even the first', async () => {
    const cpu = uniqueCpu();
    const xz = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04]);
    const body = buildMultipart([
      filePart('cpu.pprof', cpu),
      filePart('delta-heap.pprof', xz),
      eventPart(datadogEvent('x', ['cpu.pprof', 'delta-heap.pprof'])),
    ]);
    let answer: Awaited<ReturnType<typeof postIntake>> | undefined;

    const stored = await objectsStoredDuring(deps, tenant, [cpu, xz], async () => {
      answer = await postIntake(body);
    });

    expect([answer?.status, answer?.body.error?.message, stored]).toEqual([415, expect.stringContaining('xz'), []]);
  });

  it('refuses an upload without the event part with 400, storing nothing', async () => {
    const cpu = uniqueCpu();
    let answer: Awaited<ReturnType<typeof postIntake>> | undefined;

    const stored = await objectsStoredDuring(deps, tenant, [cpu], async () => {
      answer = await postIntake(buildMultipart([filePart('cpu.pprof', cpu)]));
    });

    expect([answer?.status, answer?.body.error?.message, stored]).toEqual([400, expect.stringContaining('event'), []]);
  });

  it('refuses an event without a service tag with 400, storing nothing', async () => {
    const cpu = uniqueCpu();
    const event = { ...datadogEvent('x', ['cpu.pprof']), tags_profiler: 'env:prod,host:a' };
    let status = 0;

    const stored = await objectsStoredDuring(deps, tenant, [cpu], async () => {
      status = (await postIntake(buildMultipart([filePart('cpu.pprof', cpu), eventPart(event)]))).status;
    });

    expect([status, stored]).toEqual([400, []]);
  });

  it('refuses a body that is not multipart with 415', async () => {
    const answer = await post('/profiling/v1/input', uniqueCpu(), {
      'content-type': 'application/octet-stream',
      'dd-api-key': key,
    });

    expect([answer.status, answer.body.error?.message]).toEqual([415, expect.stringContaining('multipart/form-data')]);
  });

  it('refuses a request without any key with 401', async () => {
    const body = buildMultipart([filePart('cpu.pprof', uniqueCpu())]);

    const answer = await post('/profiling/v1/input', body.body, { 'content-type': body.contentType });

    expect(answer.status).toBe(401);
  });

  it('refuses a body above the configured limit with 413', async () => {
    const body = buildMultipart([filePart('cpu.pprof', Buffer.alloc(2 * 1024 * 1024 + 1, 0x0a))]);

    const answer = await postIntake(body);

    expect([answer.status, answer.body.error?.code]).toEqual([413, 'payload_too_large']);
  });
});
