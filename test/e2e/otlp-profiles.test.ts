import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { sql } from '../../shared/platform/sql.js';
import { ExportProfilesServiceRequest } from '../../shared/profiles/otlp/otlp-schema.js';
import type { ProfileStatus, UploadStatus } from '../../shared/query/ingest-answers.js';
import { buildAgentApp } from '../support/agent-apps.js';
import { big, getExact } from '../support/api.js';
import { waitForConsumerToCatchUp } from '../support/consumer-progress.js';
import { generateLabelledCpuProfile, pprofTotalsByLabel } from '../support/go-pprof.js';
import { testDeps, uniqueService, waitUntil } from '../support/services.js';

/**
 * OTLP profiles sent by the OpenTelemetry Collector's own OTLP/HTTP exporter (test/go/
 * otlp-profiles-exporter: `otlphttpexporter` v0.165.0 made by its factory for the profiles signal)
 * from real Go runtime CPU profiles, in the two shapes producers send: cpu/nanoseconds values with
 * labels as attributes (the Collector's pprof translator), and the eBPF profiler's counted
 * timestamps × period with the span id in a Link and label keys cut to 15 bytes. Per span, per
 * request (local root) and per endpoint, Hotspots must answer what `go tool pprof -raw` computes
 * on the source profile, to the nanosecond.
 */
const run = promisify(execFile);
const tenant = 'test-a';
const key = 'hotspots-test-key-a';
let deps: Deps;
let exporter: string;
const files: string[] = [];

beforeAll(async () => {
  deps = testDeps();
  const dir = mkdtempSync(join(tmpdir(), 'hotspots-otlp-'));
  exporter = await buildAgentApp('otlp-profiles-exporter');
  for (let i = 0; i < 3; i += 1) {
    const file = join(dir, `cpu-${i}.pprof`);
    // Fresh span ids per profile: per-span answers are per tenant, whatever the service.
    await generateLabelledCpuProfile(file, { durationMs: 2000, idSalt: Math.floor(Math.random() * 2 ** 32) });
    files.push(file);
  }
}, 900_000);

afterAll(async () => {
  await deps.close();
});

/** Runs the exporter; its log (zap, on stderr) is returned. */
async function exportProfiles(args: string[]): Promise<string> {
  const { stderr } = await run(exporter, args, { timeout: 120_000 });
  return stderr;
}

async function waitForService(service: string): Promise<string[]> {
  return waitUntil(`a committed profile of ${service}`, async () => {
    const rows = await deps.db.query<{ profile_id: string }>(
      sql`SELECT DISTINCT profile_id FROM profiles WHERE tenant = ${tenant} AND service = ${service}`,
    );
    return rows.length > 0 ? rows.map((r) => r.profile_id) : undefined;
  });
}

function window() {
  const now = Math.floor(Date.now() / 1000);
  return new URLSearchParams({ from: String(now - 3600), to: String(now + 3600) });
}

async function endpointTotals(service: string): Promise<Map<string | null, bigint>> {
  const query = window();
  query.set('service', service);
  const { status, body } = await getExact<{ endpoints: { endpoint: string | null; cpu_ns: bigint | number }[] }>(
    `/v1/endpoints/cpu?${query}`,
  );
  expect(status).toBe(200);
  return new Map(body.endpoints.map((e) => [e.endpoint, big(e.cpu_ns)]));
}

async function expectSpansExact(file: string): Promise<void> {
  const spans = await pprofTotalsByLabel(file, 'span id');
  spans.delete(null);
  expect(spans.size).toBeGreaterThanOrEqual(4);
  for (const [spanId, cpu] of spans) {
    const { status, body } = await getExact<{ cpu_ns: bigint | number }>(`/v1/spans/${spanId}/hotspots`);
    expect(status).toBe(200);
    expect({ spanId, cpu: big(body.cpu_ns) }).toEqual({ spanId, cpu });
  }
  const roots = await pprofTotalsByLabel(file, 'local root span id');
  roots.delete(null);
  expect(roots.size).toBeGreaterThanOrEqual(1);
  for (const [rootId, cpu] of roots) {
    const { body } = await getExact<{ cpu_ns_with_children: bigint | number; is_local_root: boolean }>(
      `/v1/spans/${rootId}/hotspots`,
    );
    expect({ rootId, root: body.is_local_root, cpu: big(body.cpu_ns_with_children) }).toEqual({
      rootId,
      root: true,
      cpu,
    });
  }
}

describe('the Collector otlphttp exporter → POST /v1development/profiles', () => {
  it('gives exact per-span, per-request and per-endpoint CPU for both shapes in one protobuf request', async () => {
    const [valuesFile, ebpfFile] = files as [string, string];
    const valuesService = uniqueService('otlp-values');
    const ebpfService = uniqueService('otlp-ebpf');
    // The exporter's defaults: protobuf, gzip; one request holding two resources.
    await exportProfiles([
      '-endpoint',
      inject('apiUrl'),
      '-header',
      `Authorization=Bearer ${key}`,
      '-profile',
      `values:${valuesService}:${valuesFile}`,
      '-profile',
      `ebpf:${ebpfService}:${ebpfFile}`,
    ]);
    await waitForService(valuesService);
    await waitForService(ebpfService);

    expect(await endpointTotals(valuesService)).toEqual(await pprofTotalsByLabel(valuesFile, 'trace endpoint'));
    expect(await endpointTotals(ebpfService)).toEqual(await pprofTotalsByLabel(ebpfFile, 'trace endpoint'));
    await expectSpansExact(valuesFile);
    await expectSpansExact(ebpfFile);
  }, 300_000);

  it('takes OTLP/JSON at the /k/{key}/ prefix, with the same exact answers', async () => {
    const file = files[2] as string;
    const service = uniqueService('otlp-json');
    await exportProfiles([
      '-endpoint',
      `${inject('apiUrl')}/k/${key}`,
      '-encoding',
      'json',
      '-profile',
      `ebpf:${service}:${file}`,
    ]);
    const [profileId] = await waitForService(service);
    expect(await endpointTotals(service)).toEqual(await pprofTotalsByLabel(file, 'trace endpoint'));
    const { body } = await getExact<ProfileStatus>(`/v1/profiles/${profileId}`);
    expect(body).toMatchObject({ status: 'committed', service, sample_types: ['samples/count', 'cpu/nanoseconds'] });
  }, 300_000);

  it('answers a partial success the exporter reads, and keeps the accepted resource', async () => {
    const file = files[0] as string;
    const service = uniqueService('otlp-partial');
    const log = await exportProfiles([
      '-endpoint',
      inject('apiUrl'),
      '-header',
      `Authorization=Bearer ${key}`,
      '-profile',
      `values:${service}:${file}`,
      '-profile',
      `values:bad\u0007service:${file}`,
    ]);
    expect(log).toContain('Partial success response');
    expect(log).toContain('1 of 2 profiles refused: resource_profiles[1].scope_profiles[0].profiles[0]');
    expect(log).toContain('control characters');
    await waitForService(service);
    expect(await endpointTotals(service)).toEqual(await pprofTotalsByLabel(file, 'trace endpoint'));
  }, 300_000);

  it('counts each sample-level service.name as its service when the resource names none (eBPF profiler)', async () => {
    const [api, worker] = [uniqueService('otlp-sample-api'), uniqueService('otlp-sample-worker')];
    // OTLP/JSON as the specification writes it: camelCase, 64-bit integers as strings.
    const request = {
      resourceProfiles: [
        {
          resource: { attributes: [{ key: 'container.id', value: { stringValue: 'c0ffee' } }] },
          scopeProfiles: [
            {
              profiles: [
                {
                  sampleType: { typeStrindex: 1, unitStrindex: 2 },
                  periodType: { typeStrindex: 3, unitStrindex: 4 },
                  period: '50000000',
                  timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                  samples: [
                    { stackIndex: 1, attributeIndices: [1, 3], timestampsUnixNano: ['1', '2', '3'] },
                    { stackIndex: 1, attributeIndices: [2], timestampsUnixNano: ['4'] },
                    { stackIndex: 1, attributeIndices: [1], timestampsUnixNano: ['5'] },
                  ],
                },
              ],
            },
          ],
        },
      ],
      dictionary: {
        stringTable: ['', 'samples', 'count', 'cpu', 'nanoseconds', 'service.name', api, 'main.work', 'trace endpoint'],
        functionTable: [{}, { nameStrindex: 7 }],
        locationTable: [{}, { lines: [{ functionIndex: 1 }] }],
        stackTable: [{}, { locationIndices: [1] }],
        attributeTable: [
          {},
          { keyStrindex: 5, value: { stringValueStrindex: 6 } },
          { keyStrindex: 5, value: { stringValue: worker } },
          { keyStrindex: 8, value: { stringValue: 'GET /x' } },
        ],
      },
    };
    const answer = await fetch(`${inject('apiUrl')}/v1development/profiles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    expect([answer.status, await answer.text()]).toEqual([200, '{}']);
    await waitForService(api);
    await waitForService(worker);
    expect(await endpointTotals(api)).toEqual(
      new Map([
        ['GET /x', 150_000_000n],
        [null, 50_000_000n],
      ]),
    );
    expect(await endpointTotals(worker)).toEqual(new Map([[null, 50_000_000n]]));
  }, 120_000);

  it('dead-letters a malformed profile with its reason and keeps the good one of the same request', async () => {
    const good = uniqueService('otlp-good');
    const bad = uniqueService('otlp-bad');
    const resource = (service: string, stackIndex: number) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeProfiles: [
        {
          profiles: [
            {
              sampleType: { typeStrindex: 1, unitStrindex: 2 },
              periodType: { typeStrindex: 1, unitStrindex: 2 },
              period: 10_000_000,
              timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
              durationNano: 10_000_000_000,
              samples: [{ stackIndex, values: [30_000_000] }],
            },
          ],
        },
      ],
    });
    const body = ExportProfilesServiceRequest.encode(
      ExportProfilesServiceRequest.fromObject({
        resourceProfiles: [resource(good, 1), resource(bad, 7)],
        dictionary: {
          stringTable: ['', 'cpu', 'nanoseconds', 'main.work'],
          functionTable: [{}, { nameStrindex: 3 }],
          locationTable: [{}, { lines: [{ functionIndex: 1 }] }],
          stackTable: [{}, { locationIndices: [1] }],
          mappingTable: [{}],
          attributeTable: [{}],
          linkTable: [{}],
        },
      }),
    ).finish();
    const send = () =>
      fetch(`${inject('apiUrl')}/v1development/profiles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-protobuf' },
        body,
      });
    const answer = await send();
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/x-protobuf');
    const uploadId = answer.headers.get('x-hotspots-upload-id') ?? '';
    // A client's retry of the same request: the same upload and profile ids, counted once.
    const retry = await send();
    expect([retry.status, retry.headers.get('x-hotspots-upload-id')]).toEqual([200, uploadId]);
    const upload = await waitUntil('both profiles of the request to be settled', async () => {
      const { body: status } = await getExact<UploadStatus>(`/v1/profiles/${uploadId}`);
      return status.profiles?.every((p) => p.status !== 'pending') ? status : undefined;
    });
    const byName = new Map(upload.profiles.map((p) => [p.attachment, p]));
    expect(byName.get('resource_profiles[0].scope_profiles[0].profiles[0]')).toMatchObject({
      status: 'committed',
      service: good,
    });
    const refused = byName.get('resource_profiles[1].scope_profiles[0].profiles[0]');
    expect(refused).toMatchObject({ status: 'dead_lettered', service: bad });
    expect(refused?.status === 'dead_lettered' && refused.reason.message).toMatch(/stack_index 7 is outside the table/);
    await waitForConsumerToCatchUp();
    expect(await endpointTotals(good)).toEqual(new Map([[null, 30_000_000n]]));
  }, 120_000);
});
