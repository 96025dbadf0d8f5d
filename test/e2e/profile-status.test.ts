import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../infra/local/settings.js';
import type { Deps } from '../../shared/app/deps.js';
import type { EnvelopePublisher } from '../../shared/platform/ports.js';
import { ingestProfile } from '../../shared/profiles/ingest-profile.js';
import type { ProfileStatus, UploadStatus } from '../../shared/query/ingest-answers.js';
import { waitForConsumerToCatchUp } from '../support/consumer-progress.js';
import { buildMultipart, eventPart, filePart } from '../support/multipart-builder.js';
import { buildCpuProfile, type ProfileSpec } from '../support/pprof-builder.js';
import { testDeps, uniqueService, waitForCommittedProfiles, waitUntil } from '../support/services.js';

/**
 * What became of an upload, through HTTP like a user and the real consumer: `GET /v1/profiles/{id}`
 * for every route that returns profile ids, and `Idempotency-Key` on `POST /v1/profiles`.
 */
const tenant = 'test-a';
const key = 'hotspots-test-key-a';
let deps: Deps;

interface Reply<T> {
  status: number;
  body: T;
}
type ErrorBody = { error: { code: string; message: string } };

async function request<T>(path: string, init: RequestInit = {}): Promise<Reply<T>> {
  const answer = await fetch(`${inject('apiUrl')}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string> | undefined) },
  });
  return { status: answer.status, body: (await answer.json()) as T };
}

const statusOf = (id: string) => request<ProfileStatus | ErrorBody>(`/v1/profiles/${id}`);

function upload(bytes: Uint8Array, query: Record<string, string>, headers: Record<string, string> = {}) {
  return request<{ profile_id: string } & Partial<ErrorBody>>(`/v1/profiles?${new URLSearchParams(query)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', ...headers },
    body: bytes,
  });
}

/** Polls the status until it is `wanted` (pending comes first); fails naming the last answer. */
async function waitForStatus<S extends ProfileStatus['status']>(
  id: string,
  wanted: S,
): Promise<Extract<ProfileStatus, { status: S }>> {
  return waitUntil(`profile ${id} to be ${wanted}`, async () => {
    const reply = await statusOf(id);
    if (reply.status === 200 && (reply.body as ProfileStatus).status === wanted) {
      return reply.body as Extract<ProfileStatus, { status: S }>;
    }
    if (reply.status === 200 && (reply.body as ProfileStatus).status !== 'pending') {
      throw new Error(`profile ${id} is ${JSON.stringify(reply.body)}`);
    }
    return undefined;
  });
}

async function cpuTotal(service: string): Promise<bigint> {
  const now = Math.floor(Date.now() / 1000);
  const reply = await request<{ total_cpu_ns: number }>(
    `/v1/endpoints/cpu?${new URLSearchParams({ service, from: String(now - 3600), to: String(now + 3600) })}`,
  );
  expect(reply.status).toBe(200);
  return BigInt(reply.body.total_cpu_ns);
}

const badFixture = (name: string) => readFileSync(join(repoRoot, 'test', 'fixtures', 'bad', name));
const startNs = (BigInt(Date.now()) - 60_000n) * 1_000_000n;
const spec: ProfileSpec = {
  startNs,
  durationNs: 10_000_000_000n,
  samples: [
    { stack: ['a', 'main'], cpuNs: 120_000_000n, labels: { 'trace endpoint': 'GET /a' } },
    { stack: ['b', 'main'], cpuNs: 80_000_000n, labels: { 'trace endpoint': 'GET /b' } },
    { stack: ['gc'], cpuNs: 30_000_000n },
  ],
};
const specTotal = 230_000_000n;

beforeAll(() => {
  deps = testDeps();
});
afterAll(async () => {
  await deps?.close();
});

describe('GET /v1/profiles/{id}', () => {
  it('answers committed, with the samples, rows, measures and time range of the profile', async () => {
    const service = uniqueService('status-committed');
    const { status, body } = await upload(buildCpuProfile(spec), { service, env: 'prod', version: '1.2.3' });
    expect(status).toBe(202);

    const committed = await waitForStatus(body.profile_id, 'committed');

    expect(committed).toEqual({
      profile_id: body.profile_id,
      status: 'committed',
      service,
      env: 'prod',
      version: '1.2.3',
      samples: 3,
      rows: 6,
      sample_types: ['samples/count', 'cpu/nanoseconds'],
      start: new Date(Number(startNs / 1_000_000n)).toISOString(),
      end: new Date(Number(startNs / 1_000_000n) + 10_000).toISOString(),
      received_at: expect.any(String),
      committed_at: expect.any(String),
    });
    expect(Date.parse(committed.committed_at)).toBeGreaterThanOrEqual(Date.parse(committed.received_at));
  });

  it('answers dead_lettered with the reason of a profile the consumer refused (a truncated pprof)', async () => {
    const service = uniqueService('status-truncated');
    const { status, body } = await upload(badFixture('truncated.pprof'), { service });
    expect(status).toBe(202);

    const failed = await waitForStatus(body.profile_id, 'dead_lettered');

    expect(failed).toEqual({
      profile_id: body.profile_id,
      status: 'dead_lettered',
      service,
      reason: { code: 'unprocessable', message: expect.stringContaining('beyond the string table') },
      failed_at: expect.any(String),
    });
    expect(Math.abs(Date.parse(failed.failed_at) - Date.now())).toBeLessThan(120_000);
  });

  it('names the limit that refused a profile', async () => {
    const { body } = await upload(badFixture('too-many-labels.pprof'), { service: uniqueService('status-limit') });

    const failed = await waitForStatus(body.profile_id, 'dead_lettered');

    expect(failed.reason).toEqual({ code: 'unprocessable', message: 'a sample has 71 labels, above the limit of 64' });
  });

  it('answers pending for an accepted profile the consumer has not seen', async () => {
    // The upload use case with the real S3 and a publisher that keeps the envelope: accepted, never consumed.
    const held: EnvelopePublisher = { publish: async () => {}, ping: async () => {} };
    const service = uniqueService('status-pending');
    const accepted = await ingestProfile(
      {
        rawStore: deps.rawStore,
        publisher: held,
        profilesTopic: 'not-consumed',
        rawBucket: deps.config.s3.bucket,
        maxBodyBytes: 1 << 20,
        maxDecompressedBytes: deps.config.limits.maxDecompressedBytes,
        now: () => new Date(),
        newId: randomUUID,
      },
      {
        tenant,
        query: { service },
        contentType: 'application/octet-stream',
        body: buildCpuProfile(spec),
        bodyIsBinary: true,
      },
    );

    const reply = await statusOf(accepted.profileId);

    expect(reply).toEqual({
      status: 200,
      body: { profile_id: accepted.profileId, status: 'pending', service, accepted_at: accepted.envelope.received_at },
    });
  });

  it('answers 404 with a JSON error for an id nobody uploaded', async () => {
    const id = randomUUID();

    expect(await statusOf(id)).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: expect.stringContaining(`no profile ${id} is known`) } },
    });
  });

  it('answers 400 for an id that is not a UUID', async () => {
    const reply = await statusOf('not-a-profile-id');

    expect([reply.status, (reply.body as ErrorBody).error.message]).toEqual([
      400,
      expect.stringContaining('is not a UUID'),
    ]);
  });

  it('answers 401 without a key', async () => {
    const answer = await fetch(`${inject('apiUrl')}/v1/profiles/${randomUUID()}`);

    expect(answer.status).toBe(401);
  });

  it('answers for the profile ids of a Datadog agent upload, and for its upload id', async () => {
    const service = uniqueService('status-datadog');
    const profile = buildCpuProfile(spec);
    const body = buildMultipart([
      filePart('cpu.pprof', profile),
      eventPart({
        start: new Date(Date.now() - 60_000).toISOString(),
        end: new Date().toISOString(),
        attachments: ['cpu.pprof'],
        tags_profiler: `service:${service},env:prod,runtime-id:${randomUUID()}`,
        family: 'go',
        version: '4',
      }),
    ]);
    const reply = await request<{ upload_id: string; profiles: { profile_id: string }[] }>('/profiling/v1/input', {
      method: 'POST',
      headers: { 'content-type': body.contentType },
      body: body.body,
    });
    expect(reply.status).toBe(202);

    const [id] = reply.body.profiles.map((p) => p.profile_id);
    const committed = await waitForStatus(id ?? '', 'committed');
    const upload = await request<UploadStatus>(`/v1/profiles/${reply.body.upload_id}`);

    expect([committed.service, committed.samples]).toEqual([service, 3]);
    // Every consumer group on a shared stack may commit the profile again: compare what stays.
    expect(upload).toEqual({
      status: 200,
      body: {
        upload_id: reply.body.upload_id,
        service,
        accepted_at: expect.any(String),
        profiles: [
          {
            ...committed,
            attachment: 'cpu.pprof',
            received_at: expect.any(String),
            committed_at: expect.any(String),
          },
        ],
      },
    });
  });

  it('answers for the profile id of a Pyroscope ingest, and for its upload id', async () => {
    const service = uniqueService('status-pyroscope');
    const now = Math.floor(Date.now() / 1000);
    const query = new URLSearchParams({ name: `${service}{env=prod}`, from: String(now - 10), until: String(now) });
    const reply = await request<{ profile_id: string; upload_id: string }>(`/ingest?${query}&format=pprof`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: buildCpuProfile(spec),
    });
    expect(reply.status).toBe(200);

    const committed = await waitForStatus(reply.body.profile_id, 'committed');
    const upload = await request<UploadStatus>(`/v1/profiles/${reply.body.upload_id}`);

    expect([committed.service, committed.samples]).toEqual([service, 3]);
    expect(upload.body.profiles.map((p) => p.status)).toEqual(['committed']);
  });
});

describe('Idempotency-Key on POST /v1/profiles', () => {
  it('counts a profile posted twice with one key once, and answers both with one profile id', async () => {
    const service = uniqueService('idempotent');
    const headers = { 'idempotency-key': `retry-${randomUUID()}` };
    const bytes = buildCpuProfile(spec);

    const first = await upload(bytes, { service }, headers);
    await waitForCommittedProfiles(deps, tenant, [first.body.profile_id]);
    const retry = await upload(bytes, { service }, headers);
    await waitForConsumerToCatchUp();

    expect([first.status, retry.status, retry.body.profile_id]).toEqual([202, 202, first.body.profile_id]);
    expect(await cpuTotal(service)).toBe(specTotal);
  });

  it('counts a profile posted twice without a key twice', async () => {
    const service = uniqueService('not-idempotent');
    const bytes = buildCpuProfile(spec);

    const [first, second] = [await upload(bytes, { service }), await upload(bytes, { service })];
    await waitForCommittedProfiles(deps, tenant, [first.body.profile_id, second.body.profile_id]);

    expect(second.body.profile_id).not.toBe(first.body.profile_id);
    expect(await cpuTotal(service)).toBe(2n * specTotal);
  });

  it('refuses a key reused for another profile with 422', async () => {
    const service = uniqueService('reused-key');
    const headers = { 'idempotency-key': `reused-${randomUUID()}` };
    const first = await upload(buildCpuProfile(spec), { service }, headers);

    const other = await upload(buildCpuProfile({ ...spec, samples: spec.samples.slice(1) }), { service }, headers);

    expect([first.status, other.status, other.body.error?.code]).toEqual([202, 422, 'unprocessable']);
    expect(other.body.error?.message).toContain('Idempotency-Key was used for an upload with other content');
  });

  it.each([
    ['longer than 255 characters', 'k'.repeat(256), 'above the limit of 255'],
    ['with a tab', 'a\tb', 'printable ASCII'],
  ])('refuses a key %s with 400 and a reason', async (_what, value, reason) => {
    const reply = await upload(
      buildCpuProfile(spec),
      { service: uniqueService('bad-key') },
      { 'idempotency-key': value },
    );

    expect([reply.status, reply.body.error?.code]).toEqual([400, 'bad_request']);
    expect(reply.body.error?.message).toContain(reason);
  });
});
