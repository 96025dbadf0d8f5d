import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../infra/local/app.js';
import type { Deps } from '../../shared/app/deps.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { testDeps, uniqueService, waitUntil } from '../support/services.js';
import { committedProfileCount, startChaosApp } from './support/chaos-app.js';
import {
  chaosSpec,
  chaosSpecTotal,
  chaosTenant,
  percentile,
  report,
  request,
  type Timed,
  uploadProfile,
} from './support/requests.js';

/**
 * A bounded load test on loopback (`npm run load`, also part of `npm run test:chaos`): concurrent
 * uploads and queries for a fixed time against the chaos stack's functions (serverless offline),
 * then every accepted profile must be found committed, with exact totals. Sizes can be changed
 * with HOTSPOTS_LOAD_SECONDS (20), HOTSPOTS_LOAD_UPLOADERS (8), HOTSPOTS_LOAD_QUERIERS (2).
 */
const setting = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
};
const seconds = setting('HOTSPOTS_LOAD_SECONDS', 20);
const uploaders = setting('HOTSPOTS_LOAD_UPLOADERS', 8);
const queriers = setting('HOTSPOTS_LOAD_QUERIERS', 2);

let app: RunningApp;
let deps: Deps;
beforeAll(async () => {
  app = await startChaosApp();
  deps = testDeps();
});
afterAll(async () => {
  await deps?.close();
  await app?.stop();
});

function summary(results: readonly Timed[], ok: number, elapsedS: number) {
  const good = results.filter((r) => r.status === ok);
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return {
    requests: results.length,
    ok: good.length,
    per_second: Number((good.length / elapsedS).toFixed(1)),
    error_rate: results.length === 0 ? 0 : Number(((results.length - good.length) / results.length).toFixed(4)),
    p50_ms: Math.round(
      percentile(
        results.map((r) => r.ms),
        50,
      ),
    ),
    p99_ms: Math.round(
      percentile(
        results.map((r) => r.ms),
        99,
      ),
    ),
    max_ms: Math.round(
      percentile(
        results.map((r) => r.ms),
        100,
      ),
    ),
    statuses,
  };
}

describe('load', () => {
  it(`sustains ${uploaders} uploaders and ${queriers} queriers for ${seconds} s and accounts for every accepted profile`, async () => {
    const service = uniqueService('load');
    const profile = buildCpuProfile(chaosSpec);
    const uploads: Timed[] = [];
    const queries: Timed[] = [];
    const accepted: string[] = [];
    const started = Date.now();
    const deadline = started + seconds * 1000;

    const uploader = async () => {
      while (Date.now() < deadline) {
        const answer = await uploadProfile(service, profile);
        uploads.push(answer);
        if (answer.status === 202 && answer.body.profile_id) accepted.push(answer.body.profile_id);
      }
    };
    const querier = async (index: number) => {
      for (let i = index; Date.now() < deadline; i += 1) {
        const now = Math.floor(Date.now() / 1000);
        const window = `service=${service}&from=${now - 3600}&to=${now + 60}`;
        const path = [
          `/v1/endpoints/cpu?${window}`,
          `/v1/flamegraph?${window}`,
          `/v1/endpoints/timeseries?${window}&step=60`,
        ][i % 3];
        queries.push(await request('GET', path ?? '', undefined, {}));
      }
    };
    await Promise.all([
      ...Array.from({ length: uploaders }, () => uploader()),
      ...Array.from({ length: queriers }, (_, i) => querier(i)),
    ]);
    const elapsedS = (Date.now() - started) / 1000;
    const loadEnded = Date.now();
    await waitUntil(
      `all ${accepted.length} accepted profiles to be committed`,
      async () => ((await committedProfileCount(deps, chaosTenant, service)) >= accepted.length ? true : undefined),
      600_000,
    );
    const drainMs = Date.now() - loadEnded;
    const now = Math.floor(Date.now() / 1000);
    const totals = await request(
      'GET',
      `/v1/endpoints/cpu?service=${service}&from=${now - 7200}&to=${now + 60}`,
      undefined,
      {},
    );
    const committed = await committedProfileCount(deps, chaosTenant, service);

    report('load', {
      seconds: Number(elapsedS.toFixed(1)),
      uploaders,
      queriers,
      uploads: summary(uploads, 202, elapsedS),
      queries: summary(queries, 200, elapsedS),
      accepted: accepted.length,
      committed,
      drain_after_load_ms: drainMs,
    });
    expect(accepted.length).toBeGreaterThan(0);
    expect(uploads.filter((u) => u.status !== 202)).toEqual([]);
    expect(queries.filter((q) => q.status !== 200).map((q) => q.status)).toEqual([]);
    expect(committed).toBe(accepted.length);
    expect(BigInt(totals.body.total_cpu_ns as number)).toBe(chaosSpecTotal * BigInt(accepted.length));
  });
});
