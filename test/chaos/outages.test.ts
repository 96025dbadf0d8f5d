import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningApp } from '../../infra/local/app.js';
import type { Deps } from '../../shared/app/deps.js';
import { testDeps, uniqueService, waitForCommittedProfiles, waitUntil } from '../support/services.js';
import {
  chaosKafka,
  committedOffsetSum,
  committedProfileCount,
  endOffsetSum,
  killEventSource,
  startChaosApp,
  startServices,
  stopServices,
} from './support/chaos-app.js';
import {
  chaosSpecTotal,
  chaosTenant,
  ingestRequests,
  report,
  request,
  type Timed,
  uploadProfile,
} from './support/requests.js';

/**
 * Outages of the real services on the chaos stack (its own ClickHouse, Kafka and S3): uploads
 * never answer 202 for data that is then lost, they fail fast with 503 + Retry-After, and the
 * consumer retries without committing offsets and catches up exactly once the service is back.
 */
let app: RunningApp;
let deps: Deps;
let kafka: Kafka;
let topic: string;

beforeAll(async () => {
  app = await startChaosApp();
  deps = testDeps();
  kafka = chaosKafka(deps);
  topic = deps.config.kafka.profilesTopic;
});
afterAll(async () => {
  // Whatever a failed test left stopped or paused comes back for the next file.
  for (const name of ['kafka', 's3'] as const) resume(name);
  await startServices();
  await deps?.close();
  await app?.stop();
});

const pidOf = (name: 'kafka' | 's3') =>
  Number(readFileSync(join(inject('chaosSettings').dataDir, name, 'pid'), 'utf8').trim());
/** SIGSTOP: the process keeps its port open but answers nothing — a hung broker or endpoint. */
async function whilePaused<T>(name: 'kafka' | 's3', act: () => Promise<T>): Promise<T> {
  process.kill(pidOf(name), 'SIGSTOP');
  try {
    return await act();
  } finally {
    resume(name);
  }
}
function resume(name: 'kafka' | 's3') {
  try {
    process.kill(pidOf(name), 'SIGCONT');
  } catch {
    // not running
  }
}

async function totalCpu(service: string): Promise<bigint> {
  const now = Math.floor(Date.now() / 1000);
  const answer = await request(
    'GET',
    `/v1/endpoints/cpu?service=${service}&from=${now - 3600}&to=${now + 3600}`,
    undefined,
    {},
  );
  expect(answer.status).toBe(200);
  return BigInt(answer.body.total_cpu_ns as number);
}

async function uploadAccepted(service: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const answer = await uploadProfile(service);
    expect(answer.status).toBe(202);
    ids.push(answer.body.profile_id ?? '');
  }
  return ids;
}

/** Until the event source has committed every record of the profiles topic. */
const caughtUp = () =>
  waitUntil(
    'the consumer to commit every record of the profiles topic',
    async () => ((await committedOffsetSum(kafka, topic)) === (await endOffsetSum(kafka, topic)) ? true : undefined),
    180_000,
  );

function expectUnavailable(answer: Timed, what: string) {
  expect({ what, status: answer.status, code: answer.body.error?.code }).toEqual({
    what,
    status: 503,
    code: 'unavailable',
  });
  expect(answer.retryAfter).toMatch(/^\d+$/);
}

describe('Kafka stopped', () => {
  it('answers every ingest route with 503 and Retry-After, accepts again once Kafka is back, and loses nothing', async () => {
    const service = uniqueService('kafka-down');
    const before = await uploadAccepted(service, 3);
    await stopServices(['kafka']);

    const latencies: Record<string, number> = {};
    for (const r of await ingestRequests(service)) {
      const answer = await request(r.method, r.path, r.body, r.headers);
      expectUnavailable(answer, r.route);
      expect(answer.body.error?.message).toContain('Kafka');
      latencies[r.route] = Math.round(answer.ms);
    }
    const restartedAt = Date.now();
    await startServices();
    const firstAccepted = await waitUntil(
      'an upload to be accepted again after Kafka restarted',
      async () => {
        const answer = await uploadProfile(service);
        return answer.status === 202 ? answer.body.profile_id : undefined;
      },
      120_000,
    );
    const recoveredMs = Date.now() - restartedAt;
    const after = await uploadAccepted(service, 3);
    const accepted = [...before, firstAccepted, ...after];
    await waitForCommittedProfiles(deps, chaosTenant, accepted);
    await caughtUp();

    report('kafka-stopped', { upload_503_ms: latencies, accepting_again_after_restart_ms: recoveredMs });
    for (const ms of Object.values(latencies)) expect(ms).toBeLessThan(10_000);
    // Only what was answered 202 is there: the 503 upload of this service never arrived.
    expect(await committedProfileCount(deps, chaosTenant, service)).toBe(accepted.length);
    expect(await totalCpu(service)).toBe(chaosSpecTotal * BigInt(accepted.length));
  });
});

describe('Kafka hung (SIGSTOP: port open, no answers)', () => {
  it('answers uploads with 503 within the publish deadline and accepts again after it resumes', async () => {
    const service = uniqueService('kafka-hung');
    const before = await uploadAccepted(service, 2);
    const refused = await whilePaused('kafka', async () => [
      await uploadProfile(service),
      await uploadProfile(service),
    ]);
    const resumedAt = Date.now();
    const firstAccepted = await waitUntil(
      'an upload to be accepted again after Kafka resumed',
      async () => {
        const answer = await uploadProfile(service);
        return answer.status === 202 ? answer.body.profile_id : undefined;
      },
      120_000,
    );
    const recoveredMs = Date.now() - resumedAt;
    const accepted = [...before, firstAccepted];
    await waitForCommittedProfiles(deps, chaosTenant, accepted);
    await caughtUp();
    const committed = await committedProfileCount(deps, chaosTenant, service);

    report('kafka-hung', {
      upload_503_ms: refused.map((r) => Math.round(r.ms)),
      accepting_again_after_resume_ms: recoveredMs,
      // A publish abandoned at the deadline may still be appended once the broker resumes (Kafka
      // cannot cancel a request already sent): 503 means "not known to be stored; retry".
      late_appends_of_503_uploads: committed - accepted.length,
    });
    for (const answer of refused) {
      expectUnavailable(answer, 'upload with a hung broker');
      expect(answer.ms).toBeLessThan(15_000);
    }
    expect(committed).toBeGreaterThanOrEqual(accepted.length);
    expect(committed).toBeLessThanOrEqual(accepted.length + refused.length);
  });
});

describe('ClickHouse stopped', () => {
  it('keeps accepting uploads; the consumer retries without committing and catches up exactly', async () => {
    const service = uniqueService('clickhouse-down');
    await caughtUp();
    const committedBefore = await committedOffsetSum(kafka, topic);
    await stopServices(['clickhouse']);

    const ids = await uploadAccepted(service, 10);
    const now = Math.floor(Date.now() / 1000);
    const query = await request(
      'GET',
      `/v1/endpoints/cpu?service=${service}&from=${now - 60}&to=${now}`,
      undefined,
      {},
    );
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const committedDuring = await committedOffsetSum(kafka, topic);
    const published = await endOffsetSum(kafka, topic);
    const restartedAt = Date.now();
    await startServices();
    await waitForCommittedProfiles(deps, chaosTenant, ids);
    const caughtUpMs = Date.now() - restartedAt;
    await caughtUp();

    report('clickhouse-stopped', { query_503_ms: Math.round(query.ms), caught_up_after_restart_ms: caughtUpMs });
    expectUnavailable(query, 'a query with ClickHouse down');
    expect(committedDuring).toBe(committedBefore);
    expect(published - committedBefore).toBe(BigInt(ids.length));
    expect(app.eventSource.exitCode).toBeNull();
    expect(await committedProfileCount(deps, chaosTenant, service)).toBe(ids.length);
    expect(await totalCpu(service)).toBe(chaosSpecTotal * BigInt(ids.length));
  });
});

describe('S3 stopped', () => {
  it('answers uploads with 503 and the consumer waits for S3 without committing', async () => {
    const service = uniqueService('s3-down');
    await caughtUp();
    await killEventSource(app);
    const queued = await uploadAccepted(service, 5);
    const committedBefore = await committedOffsetSum(kafka, topic);
    await stopServices(['s3']);
    app.restartEventSource();

    const refused = await uploadProfile(service);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const committedDuring = await committedOffsetSum(kafka, topic);
    await startServices();
    await waitForCommittedProfiles(deps, chaosTenant, queued);
    await caughtUp();

    report('s3-stopped', { upload_503_ms: Math.round(refused.ms) });
    expectUnavailable(refused, 'an upload with S3 down');
    expect(refused.body.error?.message).toContain('S3');
    expect(refused.ms).toBeLessThan(10_000);
    expect(committedDuring).toBe(committedBefore);
    expect(await committedProfileCount(deps, chaosTenant, service)).toBe(queued.length);
    expect(await totalCpu(service)).toBe(chaosSpecTotal * BigInt(queued.length));
  });

  it('answers uploads with 503 within the S3 timeouts when S3 hangs (SIGSTOP)', async () => {
    const service = uniqueService('s3-hung');
    const refused = await whilePaused('s3', () => uploadProfile(service));
    const after = await uploadAccepted(service, 1);
    await waitForCommittedProfiles(deps, chaosTenant, after);

    report('s3-hung', { upload_503_ms: Math.round(refused.ms) });
    expectUnavailable(refused, 'an upload with S3 hung');
    expect(refused.ms).toBeLessThan(15_000);
    expect(await committedProfileCount(deps, chaosTenant, service)).toBe(1);
  });
});
