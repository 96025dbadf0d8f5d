import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningApp } from '../../infra/local/app.js';
import type { Deps } from '../../shared/app/deps.js';
import { sql } from '../../shared/platform/sql.js';
import { buildCpuProfile, expectedTotalsByLabel, type ProfileSpec } from '../support/pprof-builder.js';
import { testDeps, uniqueService, waitUntil } from '../support/services.js';
import {
  chaosKafka,
  committedOffsetSum,
  committedProfileCount,
  endOffsetSum,
  killEventSource,
  startChaosApp,
} from './support/chaos-app.js';
import { chaosTenant, report, request, uploadProfile } from './support/requests.js';

/**
 * At-least-once delivery, exactly-once effect, against the real Kafka, S3 and ClickHouse of the
 * chaos stack: the consumer (the local event source process) is SIGKILLed twice in the middle of
 * its batches — after it wrote rows and committed profiles whose offsets it had not committed yet —
 * then restarted. Every profile ends up counted exactly once.
 */
let app: RunningApp;
let deps: Deps;
let kafka: Kafka;

beforeAll(async () => {
  app = await startChaosApp();
  deps = testDeps();
  kafka = chaosKafka(deps);
});
afterAll(async () => {
  await deps?.close();
  await app?.stop();
});

/** 120 samples over 6 endpoints and unlabelled CPU: a few hundred rows per profile, so a batch takes a while. */
function heavySpec(): ProfileSpec {
  const endpoints = ['GET /a', 'GET /b', 'POST /c', 'PUT /d', 'GET /e', null];
  return {
    samples: Array.from({ length: 120 }, (_, i) => {
      const endpoint = endpoints[i % endpoints.length];
      return {
        stack: [`pkg.leaf${i % 17}`, `pkg.mid${i % 5}`, 'main.main'],
        cpuNs: BigInt(10_000_000 * (1 + (i % 7))),
        ...(endpoint ? { labels: { 'trace endpoint': endpoint, 'span id': String(1000 + i) } } : {}),
      };
    }),
  };
}

async function cpuByEndpoint(service: string): Promise<Map<string | null, bigint>> {
  const now = Math.floor(Date.now() / 1000);
  const answer = await request(
    'GET',
    `/v1/endpoints/cpu?service=${service}&from=${now - 3600}&to=${now + 3600}`,
    undefined,
    {},
  );
  expect(answer.status).toBe(200);
  const endpoints = answer.body.endpoints as { endpoint: string | null; cpu_ns: number }[];
  return new Map(endpoints.map((e) => [e.endpoint, BigInt(e.cpu_ns)]));
}

/** Outcomes the consumer logged for these profile ids (its log is JSON lines). */
function loggedOutcomes(ids: Set<string>): Record<string, number> {
  const log = readFileSync(join(inject('chaosSettings').dataDir, 'app', 'event-source.log'), 'utf8');
  const counts: Record<string, number> = {};
  for (const line of log.split('\n')) {
    if (!line.includes('profile record handled')) continue;
    try {
      const entry = JSON.parse(line) as { profile_id?: string; outcome?: string };
      if (entry.profile_id && ids.has(entry.profile_id) && entry.outcome) {
        counts[entry.outcome] = (counts[entry.outcome] ?? 0) + 1;
      }
    } catch {
      // a line cut by the kill
    }
  }
  return counts;
}

describe('consumer killed mid-batch', () => {
  it('counts every profile exactly once after two SIGKILLs and restarts', async () => {
    const service = uniqueService('crash');
    const spec = heavySpec();
    const profile = buildCpuProfile(spec);
    const topic = deps.config.kafka.profilesTopic;
    const count = 240;
    // The consumer is down while the uploads queue up, so that it meets them in full batches.
    await killEventSource(app);
    const ids: string[] = [];
    for (let i = 0; i < count; i += 8) {
      const answers = await Promise.all(Array.from({ length: 8 }, () => uploadProfile(service, profile)));
      for (const answer of answers) {
        expect(answer.status).toBe(202);
        ids.push(answer.body.profile_id ?? '');
      }
    }
    const offsetsBefore = await committedOffsetSum(kafka, topic);
    app.restartEventSource();

    const kills: { committed_profiles: number; offsets_committed_since_start: number }[] = [];
    let floor = 0;
    for (let kill = 0; kill < 2; kill += 1) {
      const committed = await waitUntil(
        `the consumer to be in the middle of the uploads (more than ${floor + 10} of ${count} committed)`,
        async () => {
          const n = await committedProfileCount(deps, chaosTenant, service);
          if (n >= count - 10) throw new Error(`the consumer finished (${n}) before it could be killed`);
          return n > floor + 10 ? n : undefined;
        },
        180_000,
      );
      // Offsets first, then profiles: a profile is committed before its offset, so the count read
      // second covers every offset read first (read the other way round, the consumer could
      // commit both in between and the check below would fail without a fault).
      const offsets = await committedOffsetSum(kafka, topic);
      const committedAtOffsets = await committedProfileCount(deps, chaosTenant, service);
      await killEventSource(app);
      kills.push({
        committed_profiles: committedAtOffsets,
        offsets_committed_since_start: Number(offsets - offsetsBefore),
      });
      floor = Math.max(committed, committedAtOffsets);
      app.restartEventSource();
    }
    const restartedAt = Date.now();
    await waitUntil(
      `all ${count} profiles to be committed after the restarts`,
      async () => ((await committedProfileCount(deps, chaosTenant, service)) === count ? true : undefined),
      300_000,
    );
    const drainMs = Date.now() - restartedAt;
    await waitUntil(
      'the consumer to commit every offset',
      async () => ((await committedOffsetSum(kafka, topic)) === (await endOffsetSum(kafka, topic)) ? true : undefined),
      120_000,
    );
    const attempts = await deps.db.query<{ attempts: string; profiles: string }>(
      sql`SELECT count(DISTINCT ingest_id) AS attempts, count(DISTINCT profile_id) AS profiles FROM samples
        WHERE tenant = ${chaosTenant} AND service = ${service}`,
    );
    const outcomes = loggedOutcomes(new Set(ids));

    report('consumer-sigkill', {
      profiles: count,
      kills,
      ingest_attempts_with_rows: Number(attempts[0]?.attempts),
      outcomes_logged: outcomes,
      drain_after_last_restart_ms: drainMs,
    });
    // The kills interrupted batches, so the restarted consumer got records again: those whose
    // profiles were committed before the kill are skipped as duplicates, the others are processed
    // again under a new ingest attempt (the batched consumer commits a batch's profiles together,
    // just before its offsets, so which of the two a kill produces is down to timing).
    expect((outcomes.duplicate ?? 0) + (outcomes.processed ?? 0)).toBeGreaterThan(count);
    expect(kills.every((k) => k.offsets_committed_since_start <= k.committed_profiles)).toBe(true);
    const expected = new Map(
      [...expectedTotalsByLabel(spec, 'trace endpoint')].map(([k, v]) => [k, v * BigInt(count)]),
    );
    expect(await cpuByEndpoint(service)).toEqual(expected);
  });
});
