import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../infra/local/settings.js';
import type { Deps } from '../../shared/app/deps.js';
import { sql, tuple } from '../../shared/platform/sql.js';
import { ExportProfilesServiceRequest } from '../../shared/profiles/otlp/otlp-schema.js';
import { buildMultipart, eventPart, filePart } from '../support/multipart-builder.js';
import { buildCpuProfile, type ProfileSpec } from '../support/pprof-builder.js';
import { testDeps, uniqueService, waitForCommittedProfiles, waitUntil } from '../support/services.js';
import { ddSpan, encodeV04 } from '../support/trace-payloads.js';

/**
 * Tenancy through HTTP: a key of tenant B can never read, infer or overwrite tenant A's data. B
 * asks every query route about A's service, span, request and trace — ids that exist only in A —
 * and gets exactly what it gets for ids that exist nowhere. Both tenants upload the same bytes to
 * every ingest route; each is counted once, in its own tenant (content-derived ids include the
 * tenant). Query routes refuse requests without a valid key.
 */
const keyA = 'hotspots-test-key-a';
const keyB = 'hotspots-test-key-b';

interface Reply {
  status: number;
  text: string;
}

async function get(path: string, key: string | null): Promise<Reply> {
  const answer = await fetch(`${inject('apiUrl')}${path}`, {
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  });
  return { status: answer.status, text: await answer.text() };
}

async function send(method: string, path: string, body: Uint8Array, headers: Record<string, string>): Promise<Reply> {
  const answer = await fetch(`${inject('apiUrl')}${path}`, { method, headers, body });
  return { status: answer.status, text: await answer.text() };
}

/** A random non-zero 63-bit id, as decimal text: unique to this run on a shared stack. */
const randomId = () => (BigInt(`0x${randomBytes(8).toString('hex')}`) >> 1n || 1n).toString();

const totalOf = (reply: Reply) => BigInt((JSON.parse(reply.text) as { total_cpu_ns: number | string }).total_cpu_ns);

let deps: Deps;
const service = uniqueService('tenant-a-only');
const spanId = randomId();
const childId = randomId();
const traceLow = BigInt(randomId());
const traceId = traceLow.toString(16).padStart(32, '0');
const now = Math.floor(Date.now() / 1000);
const window = `from=${now - 3600}&to=${now + 3600}`;
/** A's committed upload, and an upload of A's that the consumer dead-lettered. */
let committedIdA: string;
let deadLetteredIdA: string;
const deadLetteredService = uniqueService('tenant-a-refused');

const spec: ProfileSpec = {
  samples: [
    {
      stack: ['secret.handler', 'main.main'],
      cpuNs: 90_000_000n,
      labels: { 'trace endpoint': 'GET /secret', 'span id': spanId, 'local root span id': spanId },
    },
    {
      stack: ['secret.child', 'main.main'],
      cpuNs: 40_000_000n,
      labels: { 'trace endpoint': 'GET /secret', 'span id': childId, 'local root span id': spanId },
    },
  ],
};
const specTotal = 130_000_000n;

/** Every query route, about A's service, span, request and trace. */
function queriesAbout(ids: { service: string; span: string; trace: string }): string[] {
  return [
    `/v1/endpoints?service=${ids.service}&${window}`,
    `/v1/endpoints/cpu?service=${ids.service}&${window}`,
    `/v1/endpoints/timeseries?service=${ids.service}&${window}&step=600`,
    `/v1/flamegraph?service=${ids.service}&${window}`,
    `/v1/flamegraph?service=${ids.service}&${window}&format=collapsed`,
    `/v1/flamegraph?span_id=${ids.span}`,
    `/v1/flamegraph?local_root_span_id=${ids.span}`,
    `/v1/flamegraph?trace_id=${ids.trace}`,
    `/v1/flamegraph/diff?service=${ids.service}&${window}&b.span_id=${ids.span}`,
    `/v1/flamegraph/diff?a.local_root_span_id=${ids.span}&b.trace_id=${ids.trace}&format=collapsed`,
    `/v1/flamegraph/diff?service=${ids.service}&${window}&b.trace_id=${ids.trace}&normalize=share`,
    `/v1/endpoints/requests?service=${ids.service}&endpoint=GET%20/secret&${window}`,
    `/v1/changes?service=${ids.service}&${window}`,
    `/v1/spans/${ids.span}/hotspots`,
    `/v1/traces/${ids.trace}`,
    // Other measures read their own lookups (measures_by_span / measures_by_root) and the sample
    // types of the scope (a type/unit the scope lacks is a 400 naming what it holds).
    `/v1/endpoints/cpu?service=${ids.service}&${window}&measure=samples/count`,
    `/v1/flamegraph?span_id=${ids.span}&measure=samples/count`,
    `/v1/flamegraph?local_root_span_id=${ids.span}&measure=samples/count`,
    `/v1/flamegraph?trace_id=${ids.trace}&measure=wall`,
    `/v1/spans/${ids.span}/hotspots?measure=wall`,
    `/v1/traces/${ids.trace}?measure=samples/count`,
  ];
}

beforeAll(async () => {
  deps = testDeps();
  const upload = await send('POST', `/v1/profiles?service=${service}`, buildCpuProfile(spec), {
    authorization: `Bearer ${keyA}`,
    'content-type': 'application/octet-stream',
  });
  expect(upload.status).toBe(202);
  const spans = encodeV04([
    [
      ddSpan({ trace_id: traceLow, span_id: BigInt(spanId), service, resource: 'GET /secret' }),
      ddSpan({ trace_id: traceLow, span_id: BigInt(childId), parent_id: BigInt(spanId), service, name: 'db' }),
    ],
  ]);
  const traces = await send('PUT', '/v0.4/traces', spans, {
    'dd-api-key': keyA,
    'content-type': 'application/msgpack',
  });
  expect(traces.status).toBe(200);
  committedIdA = (JSON.parse(upload.text) as { profile_id: string }).profile_id;
  const refused = await send(
    'POST',
    `/v1/profiles?service=${deadLetteredService}`,
    readFileSync(join(repoRoot, 'test', 'fixtures', 'bad', 'truncated.pprof')),
    { authorization: `Bearer ${keyA}`, 'content-type': 'application/octet-stream' },
  );
  deadLetteredIdA = (JSON.parse(refused.text) as { profile_id: string }).profile_id;
  await waitForCommittedProfiles(deps, 'test-a', [committedIdA]);
  await waitUntil(`tenant A's profile ${deadLetteredIdA} to be dead-lettered`, async () =>
    (await get(`/v1/profiles/${deadLetteredIdA}`, keyA)).text.includes('"dead_lettered"') ? true : undefined,
  );
  await waitUntil(`trace ${traceId} to be readable by tenant A`, async () =>
    (await get(`/v1/traces/${traceId}`, keyA)).status === 200 ? true : undefined,
  );
});
afterAll(async () => {
  await deps?.close();
});

describe("tenant B asking about tenant A's data", () => {
  it('sees it with tenant A’s key (the data the other tests look for exists)', async () => {
    expect(totalOf(await get(`/v1/endpoints/cpu?service=${service}&${window}`, keyA))).toBe(specTotal);
    expect(totalOf(await get(`/v1/flamegraph?trace_id=${traceId}`, keyA))).toBe(specTotal);
    const versions = JSON.parse((await get(`/v1/changes?service=${service}&${window}`, keyA)).text);
    expect(versions).toMatchObject({ versions: [{ profiles: 1 }], changes: [] });
    const requests = await get(`/v1/endpoints/requests?service=${service}&endpoint=GET%20/secret&${window}`, keyA);
    expect(JSON.parse(requests.text)).toMatchObject({ request_count: 1, requests: [{ local_root_span_id: spanId }] });
    const diff = await get(`/v1/flamegraph/diff?a.service=${service}&${window}&b.trace_id=${traceId}`, keyA);
    const diffRoot = (JSON.parse(diff.text) as { tree: { a_total: number; b_total: number } }).tree;
    expect([diff.status, BigInt(diffRoot.a_total), BigInt(diffRoot.b_total)]).toEqual([200, specTotal, specTotal]);
    expect((await get(`/v1/spans/${spanId}/hotspots`, keyA)).status).toBe(200);
    const counts = await get(`/v1/flamegraph?local_root_span_id=${spanId}&measure=samples/count`, keyA);
    expect([counts.status, (JSON.parse(counts.text) as { total_value: number }).total_value]).toEqual([200, 13]);
  });

  it('gets from every query route exactly what it gets for ids that exist nowhere', async () => {
    const nowhere = { service: uniqueService('nowhere'), span: randomId(), trace: randomId() };
    nowhere.trace = BigInt(nowhere.trace).toString(16).padStart(32, '0');
    const mine = queriesAbout({ service, span: spanId, trace: traceId });
    const absent = queriesAbout(nowhere);

    for (const [index, path] of mine.entries()) {
      const [about, control] = [await get(path, keyB), await get(absent[index] ?? '', keyB)];
      const neutral = (reply: Reply, ids: string[]) =>
        ids.reduce((text, id) => text.replaceAll(id, '<id>'), reply.text).replace(/"(from|to)":\d+/g, '');
      expect({ path, status: about.status, body: neutral(about, [service, spanId, traceId]) }).toEqual({
        path,
        status: control.status,
        body: neutral(control, [nowhere.service, nowhere.span, nowhere.trace]),
      });
    }
  });

  it('does not see tenant A’s service in its service list', async () => {
    const reply = await get(`/v1/services?${window}`, keyB);

    expect(reply.status).toBe(200);
    expect(reply.text).not.toContain(service);
  });

  it('gets for tenant A’s profile ids, committed and dead-lettered, the 404 of an id that exists nowhere', async () => {
    const nowhere = randomUUID();
    const control = await get(`/v1/profiles/${nowhere}`, keyB);

    for (const id of [committedIdA, deadLetteredIdA]) {
      const about = await get(`/v1/profiles/${id}`, keyB);
      expect({ status: about.status, body: about.text.replaceAll(id, '<id>') }).toEqual({
        status: 404,
        body: control.text.replaceAll(nowhere, '<id>'),
      });
    }
    expect((await get(`/v1/profiles/${committedIdA}`, keyA)).status).toBe(200);
  });

  it('sees none of tenant A’s ingest errors, for A’s service or for all services', async () => {
    const listed = async (query: string, key: string) => {
      const reply = await get(`/v1/ingest-errors?${query}`, key);
      expect(reply.status).toBe(200);
      return (JSON.parse(reply.text) as { errors: { profile_id: string }[] }).errors.map((e) => e.profile_id);
    };

    expect(await listed(`service=${deadLetteredService}`, keyA)).toEqual([deadLetteredIdA]);
    expect(await listed(`service=${deadLetteredService}`, keyB)).toEqual([]);
    expect(await listed('limit=200', keyB)).not.toContain(deadLetteredIdA);
  });

  it('gets 404 for tenant A’s span and trace, like for unknown ones', async () => {
    expect((await get(`/v1/spans/${spanId}/hotspots`, keyB)).status).toBe(404);
    expect((await get(`/v1/traces/${traceId}`, keyB)).status).toBe(404);
  });
});

// Before B uploads A's bytes under A's service name (below).
describe('the Pyroscope query API (Connect) across tenants', () => {
  const cpu = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
  const samples = 'process_cpu:samples:count:cpu:nanoseconds';
  const range = { start: String((now - 3600) * 1000), end: String((now + 3600) * 1000) };
  const hex = (decimal: string) => BigInt(decimal).toString(16).padStart(16, '0');

  /** Every method, about a service and a span. */
  function callsAbout(ids: { service: string; span: string; trace: string }): [string, Record<string, unknown>][] {
    const selector = `{service_name="${ids.service}"}`;
    return [
      ['LabelNames', { matchers: [selector], ...range }],
      ['LabelValues', { name: 'trace_endpoint', matchers: [selector], ...range }],
      ['LabelValues', { name: 'span_id', matchers: [selector], ...range }],
      ['Series', { matchers: [selector], labelNames: ['service_name', 'trace_endpoint'], ...range }],
      ['SelectMergeStacktraces', { profileTypeID: cpu, labelSelector: selector, ...range }],
      ['SelectMergeStacktraces', { profileTypeID: cpu, labelSelector: '{}', spanSelector: [hex(ids.span)], ...range }],
      [
        'SelectMergeSpanProfile',
        { profileTypeID: cpu, labelSelector: selector, spanSelector: [hex(ids.span)], ...range },
      ],
      [
        'SelectSeries',
        { profileTypeID: cpu, labelSelector: selector, step: 60, groupBy: ['trace_endpoint'], ...range },
      ],
      ['SelectMergeProfile', { profileTypeID: cpu, labelSelector: selector, ...range }],
      ['SelectMergeStacktraces', { profileTypeID: cpu, labelSelector: '{}', traceIdSelector: [ids.trace], ...range }],
      ['SelectMergeProfile', { profileTypeID: samples, labelSelector: '{}', traceIdSelector: [ids.trace], ...range }],
      ['SelectMergeStacktraces', { profileTypeID: samples, labelSelector: selector, ...range }],
    ];
  }

  async function call(method: string, request: Record<string, unknown>, headers: Record<string, string>) {
    return send('POST', `/querier.v1.QuerierService/${method}`, Buffer.from(JSON.stringify(request)), {
      'content-type': 'application/json',
      ...headers,
    });
  }

  it("gives tenant B for A's service and span exactly what it gives for ones that exist nowhere", async () => {
    const ids = { service, span: spanId, trace: traceId };
    const aSees = await call('SelectMergeStacktraces', callsAbout(ids)[4]?.[1] ?? {}, {
      authorization: `Bearer ${keyA}`,
    });
    expect(BigInt((JSON.parse(aSees.text) as { flamegraph: { total: string } }).flamegraph.total)).toBe(specTotal);
    // A reads its trace's samples and its sample counts: B must read none of them.
    for (const index of [9, 11]) {
      const aReads = await call('SelectMergeStacktraces', callsAbout(ids)[index]?.[1] ?? {}, {
        authorization: `Bearer ${keyA}`,
      });
      expect(BigInt((JSON.parse(aReads.text) as { flamegraph: { total: string } }).flamegraph.total)).toBeGreaterThan(
        0n,
      );
    }

    const nowhere = { service: uniqueService('nowhere'), span: randomId(), trace: randomBytes(16).toString('hex') };
    const mine = callsAbout(ids);
    const absent = callsAbout(nowhere);
    for (const [index, [method, request]] of mine.entries()) {
      const [controlMethod, controlRequest] = absent[index] ?? ['', {}];
      const about = await call(method, request, { authorization: `Bearer ${keyB}` });
      const control = await call(controlMethod, controlRequest, { authorization: `Bearer ${keyB}` });
      expect({ method, status: about.status, body: about.text }).toEqual({
        method,
        status: control.status,
        body: control.text,
      });
    }
  });

  it('answers 401 (unauthenticated) without a key, for an unknown key and for a wrong Basic password', async () => {
    const request = callsAbout({ service, span: spanId, trace: traceId })[4]?.[1] ?? {};
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer hotspots-test-key-c' },
      { authorization: `Basic ${Buffer.from(`${keyA}:wrong`).toString('base64')}` },
      { authorization: `Basic ${Buffer.from(`${keyA}:`).toString('base64')}` },
    ];
    for (const headers of attempts) {
      const reply = await call('SelectMergeStacktraces', request, headers);
      expect([reply.status, (JSON.parse(reply.text) as { code: string }).code]).toEqual([401, 'unauthenticated']);
    }
    const basic = await call('SelectMergeStacktraces', request, {
      authorization: `Basic ${Buffer.from(`grafana:${keyA}`).toString('base64')}`,
    });
    expect(BigInt((JSON.parse(basic.text) as { flamegraph: { total: string } }).flamegraph.total)).toBe(specTotal);
  });
});

describe('the same content ingested by both tenants', () => {
  const profile = buildCpuProfile({ ...spec, startNs: BigInt(now) * 1_000_000_000n });

  async function committedTotal(tenant: string, svc: string): Promise<bigint> {
    const key = tenant === 'test-a' ? keyA : keyB;
    return totalOf(await get(`/v1/endpoints/cpu?service=${svc}&${window}`, key));
  }

  it('gives a Datadog agent upload different profile ids per tenant, and counts it once in each', async () => {
    const shared = uniqueService('dd-both');
    const event = {
      start: new Date((now - 60) * 1000).toISOString(),
      end: new Date(now * 1000).toISOString(),
      attachments: ['cpu.pprof'],
      tags_profiler: `service:${shared},env:prod,runtime-id:${randomUUID()}`,
      family: 'go',
      version: '4',
    };
    const upload = (key: string) => {
      const body = buildMultipart([filePart('cpu.pprof', profile), eventPart(event)]);
      return send('POST', '/profiling/v1/input', body.body, { 'dd-api-key': key, 'content-type': body.contentType });
    };
    const idsOf = (reply: Reply) =>
      (JSON.parse(reply.text) as { profiles: { profile_id: string }[] }).profiles.map((p) => p.profile_id);

    const [a, b, aAgain] = [await upload(keyA), await upload(keyB), await upload(keyA)];

    expect([a.status, b.status, aAgain.status]).toEqual([202, 202, 202]);
    expect(idsOf(aAgain)).toEqual(idsOf(a));
    expect(idsOf(b).some((id) => idsOf(a).includes(id))).toBe(false);
    await waitForCommittedProfiles(deps, 'test-a', idsOf(a));
    await waitForCommittedProfiles(deps, 'test-b', idsOf(b));
    expect([await committedTotal('test-a', shared), await committedTotal('test-b', shared)]).toEqual([
      specTotal,
      specTotal,
    ]);
  });

  it('gives a Pyroscope upload different profile ids per tenant, and counts it once in each', async () => {
    const shared = uniqueService('pyro-both');
    const path = `/ingest?${new URLSearchParams({ name: `${shared}{env=prod}`, from: String(now - 10), until: String(now), format: 'pprof' })}`;
    const upload = (key: string) =>
      send('POST', path, profile, { authorization: `Bearer ${key}`, 'content-type': 'application/octet-stream' });
    const idOf = (reply: Reply) => (JSON.parse(reply.text) as { profile_id: string }).profile_id;

    const [a, b] = [await upload(keyA), await upload(keyB)];

    expect([a.status, b.status]).toEqual([200, 200]);
    expect(idOf(a)).not.toBe(idOf(b));
    await waitForCommittedProfiles(deps, 'test-a', [idOf(a)]);
    await waitForCommittedProfiles(deps, 'test-b', [idOf(b)]);
    expect([await committedTotal('test-a', shared), await committedTotal('test-b', shared)]).toEqual([
      specTotal,
      specTotal,
    ]);
  });

  it('gives an OTLP profiles request different ids per tenant, counts it once in each, and hides each from the other', async () => {
    const shared = uniqueService('otlp-both');
    const body = ExportProfilesServiceRequest.encode(
      ExportProfilesServiceRequest.fromObject({
        resourceProfiles: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: shared } }] },
            scopeProfiles: [
              {
                profiles: [
                  {
                    sampleType: { typeStrindex: 1, unitStrindex: 2 },
                    timeUnixNano: String(BigInt(now) * 1_000_000_000n),
                    samples: [{ stackIndex: 1, values: [String(specTotal)] }],
                  },
                ],
              },
            ],
          },
        ],
        dictionary: {
          stringTable: ['', 'cpu', 'nanoseconds', 'main.work'],
          functionTable: [{}, { nameStrindex: 3 }],
          locationTable: [{}, { lines: [{ functionIndex: 1 }] }],
          stackTable: [{}, { locationIndices: [1] }],
        },
      }),
    ).finish();
    const post = async (path: string, headers: Record<string, string>) => {
      const answer = await fetch(`${inject('apiUrl')}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', ...headers },
        body,
      });
      return { status: answer.status, uploadId: answer.headers.get('x-hotspots-upload-id') ?? '' };
    };

    // A with its key as a bearer token, B with its key in the path (as a Collector's endpoint).
    const a = await post('/v1development/profiles', { authorization: `Bearer ${keyA}` });
    const b = await post(`/k/${keyB}/v1development/profiles`, {});

    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.uploadId).not.toBe(b.uploadId);
    const profilesOf = async (uploadId: string, key: string) => {
      const reply = await get(`/v1/profiles/${uploadId}`, key);
      return reply.status === 200 ? (JSON.parse(reply.text) as { profiles: { profile_id: string }[] }) : undefined;
    };
    const [idA] = (await profilesOf(a.uploadId, keyA))?.profiles.map((p) => p.profile_id) ?? [];
    const [idB] = (await profilesOf(b.uploadId, keyB))?.profiles.map((p) => p.profile_id) ?? [];
    await waitForCommittedProfiles(deps, 'test-a', [idA ?? '']);
    await waitForCommittedProfiles(deps, 'test-b', [idB ?? '']);
    expect([await committedTotal('test-a', shared), await committedTotal('test-b', shared)]).toEqual([
      specTotal,
      specTotal,
    ]);
    const unknown = await get(`/v1/profiles/${randomUUID()}`, keyB);
    for (const id of [a.uploadId, idA]) {
      const reply = await get(`/v1/profiles/${id}`, keyB);
      expect([reply.status, reply.text.replace(id ?? '', 'ID')]).toEqual([
        unknown.status,
        unknown.text.replace(/[0-9a-f-]{36}/, 'ID'),
      ]);
    }
  });

  it('keeps each tenant’s version of spans with the same trace and span ids', async () => {
    const trace = BigInt(randomId());
    const span = BigInt(randomId());
    const post = (key: string, resource: string) =>
      send('PUT', '/v0.4/traces', encodeV04([[ddSpan({ trace_id: trace, span_id: span, service, resource })]]), {
        'dd-api-key': key,
        'content-type': 'application/msgpack',
      });
    const traceHex = trace.toString(16).padStart(32, '0');
    const resourceSeenBy = async (key: string) => {
      const reply = await get(`/v1/traces/${traceHex}`, key);
      return reply.status === 200
        ? (JSON.parse(reply.text) as { spans: { resource: string }[] }).spans.map((s) => s.resource)
        : undefined;
    };

    await post(keyA, 'GET /from-a');
    await post(keyB, 'GET /from-b');

    expect(await waitUntil('tenant A to see its span', () => resourceSeenBy(keyA))).toEqual(['GET /from-a']);
    expect(await waitUntil('tenant B to see its span', () => resourceSeenBy(keyB))).toEqual(['GET /from-b']);
  });

  it('writes B’s /v1/profiles upload of A’s bytes under B only', async () => {
    const reply = await send('POST', `/v1/profiles?service=${service}`, buildCpuProfile(spec), {
      authorization: `Bearer ${keyB}`,
      'content-type': 'application/octet-stream',
    });
    const id = (JSON.parse(reply.text) as { profile_id: string }).profile_id;
    await waitForCommittedProfiles(deps, 'test-b', [id]);

    const rows = await deps.db.query<{ tenant: string }>(
      sql`SELECT DISTINCT tenant FROM samples WHERE profile_id = ${id}`,
    );
    expect(rows.map((r) => r.tenant)).toEqual(['test-b']);
    expect(totalOf(await get(`/v1/endpoints/cpu?service=${service}&${window}`, keyA))).toBe(specTotal);
  });
});

describe('agents keyed by Datadog-External-Env (DD_EXTERNAL_ENV=hk-<key>, for tracers that drop the URL path)', () => {
  const event = (svc: string) => ({
    start: new Date((now - 60) * 1000).toISOString(),
    end: new Date(now * 1000).toISOString(),
    attachments: ['cpu.pprof'],
    tags_profiler: `service:${svc},env:prod,runtime-id:${randomUUID()}`,
    family: 'node',
    version: '4',
  });
  const profile = buildCpuProfile({ ...spec, startNs: BigInt(now) * 1_000_000_000n });
  const uploadProfile = (svc: string, headers: Record<string, string>) => {
    const body = buildMultipart([filePart('cpu.pprof', profile), eventPart(event(svc))]);
    return send('POST', '/profiling/v1/input', body.body, { ...headers, 'content-type': body.contentType });
  };

  it('writes a profile and spans into the tenant of the key, and only there', async () => {
    const svc = uniqueService('hk-a');
    const reply = await uploadProfile(svc, { 'datadog-external-env': `it-false,hk-${keyA}` });
    expect(reply.status).toBe(202);
    const ids = (JSON.parse(reply.text) as { profiles: { profile_id: string }[] }).profiles.map((p) => p.profile_id);
    await waitForCommittedProfiles(deps, 'test-a', ids);
    expect(totalOf(await get(`/v1/endpoints/cpu?service=${svc}&${window}`, keyA))).toBe(specTotal);
    expect(totalOf(await get(`/v1/endpoints/cpu?service=${svc}&${window}`, keyB))).toBe(0n);

    const trace = BigInt(randomId());
    const spans = encodeV04([[ddSpan({ trace_id: trace, span_id: BigInt(randomId()), service: svc })]]);
    const traces = await send('PUT', '/v0.4/traces', spans, {
      'datadog-external-env': `hk-${keyA}`,
      'content-type': 'application/msgpack',
    });
    expect(traces.status).toBe(200);
    const traceHex = trace.toString(16).padStart(32, '0');
    await waitUntil('tenant A to see the span', async () =>
      (await get(`/v1/traces/${traceHex}`, keyA)).status === 200 ? true : undefined,
    );
    expect((await get(`/v1/traces/${traceHex}`, keyB)).status).toBe(404);
  });

  it('lets tenant B’s key write only into B, even for A’s service name', async () => {
    const reply = await uploadProfile(service, { 'datadog-external-env': `hk-${keyB}` });
    expect(reply.status).toBe(202);
    const ids = (JSON.parse(reply.text) as { profiles: { profile_id: string }[] }).profiles.map((p) => p.profile_id);
    await waitForCommittedProfiles(deps, 'test-b', ids);

    const rows = await deps.db.query<{ tenant: string }>(
      sql`SELECT DISTINCT tenant FROM samples WHERE profile_id IN ${tuple(ids)}`,
    );
    expect(rows.map((r) => r.tenant)).toEqual(['test-b']);
    expect(totalOf(await get(`/v1/endpoints/cpu?service=${service}&${window}`, keyA))).toBe(specTotal);
  });

  it.each([
    ['POST', '/profiling/v1/input'],
    ['POST', '/ingest?name=x'],
    ['PUT', '/v0.4/traces'],
    ['POST', '/v0.5/traces'],
    ['POST', '/v1/traces'],
  ])('answers %s %s with 401 for an unknown, prefixed or doubled hk- key', async (method, path) => {
    const statuses = [];
    for (const header of ['hk-hotspots-test-key-c', 'hk-hotspots-test-key-', `hk-${keyA},hk-${keyB}`, 'hk-']) {
      const reply = await send(method, path, new Uint8Array([0x90]), {
        'content-type': 'application/octet-stream',
        'datadog-external-env': header,
      });
      expect(reply.text).not.toContain('hotspots-test-key');
      statuses.push(reply.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401]);
  });
});

describe('authentication of the query routes', () => {
  const paths = [
    `/v1/services?${window}`,
    ...queriesAbout({ service, span: spanId, trace: traceId }),
    `/v1/profiles/${randomUUID()}`,
    `/v1/ingest-errors?service=${service}`,
  ];

  it.each(paths)('answers %s with 401 without a key', async (path) => {
    const reply = await get(path, null);

    expect([reply.status, (JSON.parse(reply.text) as { error: { code: string } }).error.code]).toEqual([
      401,
      'unauthorized',
    ]);
  });

  it.each(paths)('answers %s with 401 for an unknown key, a key prefix and another scheme', async (path) => {
    const statuses = [];
    const attempts: Record<string, string>[] = [
      { authorization: 'Bearer hotspots-test-key-c' },
      { authorization: 'Bearer hotspots-test-key-' },
      { authorization: `Basic ${Buffer.from(`x:${keyA}`).toString('base64')}` },
      { 'dd-api-key': `${keyA} `.repeat(2) },
    ];
    for (const headers of attempts) {
      statuses.push((await fetch(`${inject('apiUrl')}${path}`, { headers })).status);
    }

    expect(statuses).toEqual([401, 401, 401, 401]);
  });

  it.each([
    ['GET', '/info'],
    ['POST', '/v0.7/config'],
    ['POST', '/dogstatsd/v2/proxy'],
    ['PUT', '/v0.6/stats'],
    ['POST', '/debugger/v1/input'],
    ['POST', '/telemetry/proxy/api/v2/apmtelemetry'],
  ])(
    'answers %s %s alike for either tenant’s key, a wrong key and none: it reads and writes no tenant data',
    async (method, path) => {
      const replies = [];
      for (const headers of [
        { 'dd-api-key': keyA },
        { 'datadog-external-env': `hk-${keyB}` },
        { 'datadog-external-env': 'hk-hotspots-test-key-c' },
        {},
      ] as Record<string, string>[]) {
        const answer = await fetch(`${inject('apiUrl')}${path}`, {
          method,
          headers: { ...headers, 'content-type': 'application/json' },
          ...(method === 'GET' ? {} : { body: '{}' }),
        });
        replies.push(`${answer.status} ${await answer.text()}`);
      }
      expect(new Set(replies).size).toBe(1);
    },
  );

  it.each([
    ['POST', '/profiling/v1/input'],
    ['POST', '/ingest?name=x'],
    ['PUT', '/v0.4/traces'],
    ['POST', '/v0.5/traces'],
    ['POST', '/v1/traces'],
    ['POST', '/v1/profiles?service=x'],
    ['POST', '/v1development/profiles'],
    ['POST', '/k/not-a-key/v1development/profiles'],
  ])('answers %s %s with 401 without a key (no trusted tenant is configured)', async (method, path) => {
    const reply = await send(method, path, new Uint8Array([0x90]), { 'content-type': 'application/octet-stream' });

    expect(reply.status).toBe(401);
  });
});
