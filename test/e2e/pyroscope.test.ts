import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { sql } from '../../shared/platform/sql.js';
import { buildHeapProfile } from '../support/datadog-profiles.js';
import { objectsStoredDuring, post, sampleTypesOf } from '../support/datadog-profiling-store.js';
import { pprofTotalsByLabel } from '../support/go-pprof.js';
import { buildMultipart } from '../support/multipart-builder.js';
import { buildCpuProfile, expectedTotalsByLabel, type ProfileSpec } from '../support/pprof-builder.js';
import { getJson, testDeps, uniqueService, waitForCommittedProfiles } from '../support/services.js';

/**
 * Pyroscope's POST /ingest as pyroscope-go (with otel-profiling-go labels) and raw-pprof clients
 * send it, through serverless offline and the real services, read back with GET /v1/endpoints/cpu.
 */
const tenant = 'test-a';
const key = 'hotspots-test-key-a';
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'agents', 'pyroscope');

interface IngestAnswer {
  profile_id: string;
  upload_id: string;
}

let deps: Deps;
beforeAll(() => {
  deps = testDeps();
});
afterAll(async () => {
  await deps.close();
});

async function endpointCpu(query: Record<string, string>): Promise<Map<string | null, bigint>> {
  const { status, body } = await getJson<{ endpoints: { endpoint: string | null; cpu_ns: number | string }[] }>(
    `/v1/endpoints/cpu?${new URLSearchParams(query)}`,
  );
  expect(status).toBe(200);
  return new Map(body.endpoints.map((e) => [e.endpoint, BigInt(e.cpu_ns)]));
}

const window = () => ({
  from: String(Math.floor(Date.now() / 1000) - 3600),
  to: String(Math.floor(Date.now() / 1000) + 3600),
});

/** Samples labelled as otel-profiling-go labels them: span_id (16 hex), span_name, trace_id. */
function otelSpec(marker: string): ProfileSpec {
  return {
    samples: [
      {
        stack: ['main.checkout', 'main.main'],
        cpuNs: 90_000_000n,
        labels: {
          span_id: 'fedcba9876543210',
          span_name: 'POST /checkout',
          trace_id: '0af7651916cd43dd8448eb211c80319c',
        },
      },
      {
        stack: ['main.cart', 'main.main'],
        cpuNs: 50_000_000n,
        labels: { span_id: '00000000000000ff', span_name: `GET /cart ${marker}` },
      },
      { stack: ['runtime.mallocgc'], cpuNs: 20_000_000n },
    ],
  };
}

describe('POST /ingest with a raw pprof body (format=pprof)', () => {
  const service = uniqueService('pyro-raw');
  const spec = otelSpec(randomUUID());
  let answer: Awaited<ReturnType<typeof post<IngestAnswer>>>;

  beforeAll(async () => {
    const nowS = Math.floor(Date.now() / 1000);
    const query = new URLSearchParams({
      name: `${service}{env=staging,version=2.0.1,region=eu-west-1}`,
      from: String(nowS - 10),
      until: String(nowS),
      format: 'pprof',
      spyName: 'gospy',
      sampleRate: '100',
    });
    answer = await post<IngestAnswer>(`/ingest?${query}`, gzipSync(buildCpuProfile(spec)), {
      'content-type': 'application/octet-stream',
      authorization: `Bearer ${key}`,
    });
    await waitForCommittedProfiles(deps, tenant, [answer.body.profile_id]);
  });

  it('answers 200, the only success status Pyroscope SDKs accept', () => {
    expect(answer.status).toBe(200);
  });

  it('reports CPU per span_name equal to the profile’s totals, env and version taken from the name', async () => {
    const result = await endpointCpu({ service, env: 'staging', version: '2.0.1', ...window() });

    expect(result).toEqual(expectedTotalsByLabel(spec, 'span_name'));
  });

  it('normalises the 16-hex span_id and the trace_id labels', async () => {
    const rows = await deps.db.query<{ span: string; trace: string }>(
      sql`SELECT DISTINCT toString(span_id) AS span, trace_id AS trace FROM samples
        WHERE tenant = ${tenant} AND service = ${service} AND sample_type = 'cpu' ORDER BY span`,
    );

    expect(rows).toEqual([
      { span: '0', trace: '' },
      { span: '18364758544493064720', trace: '0af7651916cd43dd8448eb211c80319c' },
      { span: '255', trace: '' },
    ]);
  });
});

describe('POST /k/{key}/ingest with the multipart body pyroscope-go sends', () => {
  it('accepts profile and sample_type_config parts, nanosecond from/until and Basic auth', async () => {
    const service = uniqueService('pyro-multipart');
    const spec = otelSpec(randomUUID());
    const body = buildMultipart([
      { name: 'profile', filename: 'profile.pprof', body: gzipSync(buildCpuProfile(spec)) },
      {
        name: 'sample_type_config',
        filename: 'sample_type_config.json',
        body: '{"cpu":{"units":"nanoseconds","display-name":"cpu"}}',
      },
    ]);
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const query = new URLSearchParams({
      name: `${service}{__session_id__=77e425ea48b3919f,otel.scope.name=com.grafana.pyroscope/go}`,
      from: String(nowNs - 10_000_000_000n),
      until: String(nowNs),
      spyName: 'gospy',
    });

    const answer = await post<IngestAnswer>(`/ingest?${query}`, body.body, {
      'content-type': body.contentType,
      authorization: `Basic ${Buffer.from(`123456:${key}`).toString('base64')}`,
    });
    await waitForCommittedProfiles(deps, tenant, [answer.body.profile_id]);

    expect(answer.status).toBe(200);
    expect(await endpointCpu({ service, ...window() })).toEqual(expectedTotalsByLabel(spec, 'span_name'));
  });
});

describe('POST /ingest, the uploads recorded from pyroscope-go v1.4 with otel-profiling-go', () => {
  const cpuMeta = JSON.parse(readFileSync(join(fixtures, 'ingest-cpu.json'), 'utf8')) as {
    raw_query: string;
    content_type: string;
    query: { from: string; until: string };
  };
  const memoryMeta = JSON.parse(readFileSync(join(fixtures, 'ingest-memory.json'), 'utf8')) as typeof cpuMeta;
  const cpuBody = readFileSync(join(fixtures, 'ingest-cpu.bin'));
  const requests = JSON.parse(readFileSync(join(fixtures, 'requests.json'), 'utf8')) as {
    requests: { span_id: string }[];
  };
  const service = 'fixture-pyroscope-app';
  const range = {
    from: String(Math.floor(Number(BigInt(cpuMeta.query.from) / 1_000_000_000n)) - 600),
    to: String(Math.ceil(Number(BigInt(cpuMeta.query.until) / 1_000_000_000n)) + 600),
  };
  const ids: string[] = [];

  beforeAll(async () => {
    for (const [meta, file] of [
      [cpuMeta, 'ingest-cpu.bin'],
      [memoryMeta, 'ingest-memory.bin'],
    ] as const) {
      const answer = await post<IngestAnswer>(
        `/k/${key}/ingest?${meta.raw_query}`,
        readFileSync(join(fixtures, file)),
        {
          'content-type': meta.content_type,
        },
      );
      expect(answer.status).toBe(200);
      ids.push(answer.body.profile_id);
    }
    await waitForCommittedProfiles(deps, tenant, ids);
  });

  it('matches go tool pprof per span_name on the CPU profile, the heap profile not mixed in', async () => {
    const form = await new Response(cpuBody, { headers: { 'content-type': cpuMeta.content_type } }).formData();
    const profile = Buffer.from(await (form.get('profile') as Blob).arrayBuffer());
    const file = join(mkdtempSync(join(tmpdir(), 'hotspots-pyro-fixture-')), 'cpu.pprof');
    writeFileSync(file, gunzipSync(profile));

    const expected = await pprofTotalsByLabel(file, 'span_name');

    expect(await endpointCpu({ service, ...range })).toEqual(expected);
    expect(await sampleTypesOf(deps, tenant, ids[1] ?? '')).toEqual([
      'alloc_objects/count',
      'alloc_space/bytes',
      'inuse_objects/count',
      'inuse_space/bytes',
    ]);
  });

  it('joins the recorded requests’ spans (16-hex span_id) to CPU samples', async () => {
    const spanIds = requests.requests.map((r) => BigInt(`0x${r.span_id}`).toString());

    const rows = await deps.db.query<{ id: string }>(
      sql`SELECT DISTINCT toString(span_id) AS id FROM samples
        WHERE tenant = ${tenant} AND service = ${service} AND sample_type = 'cpu' AND has(${spanIds}, toString(span_id))`,
    );

    expect(rows.map((r) => r.id).sort()).toEqual([...spanIds].sort());
  });
});

describe('POST /ingest refusals: a 4xx and nothing stored', () => {
  const unique = () => gzipSync(buildCpuProfile(otelSpec(randomUUID())));
  const headers = { 'content-type': 'application/octet-stream', authorization: `Bearer ${key}` };

  it.each([
    ['format=jfr', { name: 'app', format: 'jfr' }, 415],
    ['a name with an unterminated label set', { name: 'app{env=prod', format: 'pprof' }, 400],
    ['no name', { format: 'pprof' }, 400],
  ])('refuses %s, storing nothing', async (_what, query, status) => {
    const profile = unique();
    let answer: Awaited<ReturnType<typeof post>> | undefined;

    const stored = await objectsStoredDuring(deps, tenant, [profile], async () => {
      answer = await post(`/ingest?${new URLSearchParams(query)}`, profile, headers);
    });

    expect([answer?.status, answer?.body.error?.code, stored]).toEqual([status, expect.any(String), []]);
  });

  it('refuses an obsolete prev_profile part with 400, storing nothing', async () => {
    const profile = unique();
    const body = buildMultipart([
      { name: 'profile', filename: 'profile.pprof', body: profile },
      { name: 'prev_profile', filename: 'profile.pprof', body: profile },
    ]);
    let status = 0;

    const stored = await objectsStoredDuring(deps, tenant, [profile], async () => {
      status = (
        await post('/ingest?name=app', body.body, { 'content-type': body.contentType, authorization: `Bearer ${key}` })
      ).status;
    });

    expect([status, stored]).toEqual([400, []]);
  });

  it('refuses a heap profile sent as text with 415 (it arrives decoded, so corrupted)', async () => {
    const answer = await post('/ingest?name=app&format=pprof', gzipSync(buildHeapProfile()), {
      'content-type': 'text/plain',
      authorization: `Bearer ${key}`,
    });

    expect(answer.status).toBe(415);
  });

  it('refuses a request without a key with 401', async () => {
    const answer = await post('/ingest?name=app&format=pprof', unique(), {
      'content-type': 'application/octet-stream',
    });

    expect(answer.status).toBe(401);
  });
});
