import { setTimeout as delay } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../infra/local/app.js';
import type { Deps } from '../../shared/app/deps.js';
import { sql } from '../../shared/platform/sql.js';
import type { ProfileStatus } from '../../shared/query/ingest-answers.js';
import {
  type AmplificationSpec,
  amplificationShapes,
  amplifiedCpuTotal,
  amplifiedRows,
  buildAmplifiedProfile,
} from '../support/amplification-profiles.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { testDeps, uniqueService, waitUntil } from '../support/services.js';
import { startChaosApp } from './support/chaos-app.js';
import { chaosSpec, chaosSpecTotal, report, request, type Timed } from './support/requests.js';

/**
 * The hostile neighbour (issue 20): tenant A uploads the worst profiles the default limits allow —
 * 4,000,000 rows carrying 256 MiB of label text, 64 labels of 4 kB on every row — and the same
 * shapes one step over the limits, a few kB of gzip each, while tenant B uploads ordinary
 * profiles. B's profiles must all be committed, exact, each within FRESHNESS_BOUND_MS of its 202
 * (the bound of docs/operations.md "Freshness under a hostile neighbour"), and A's over-limit
 * ones dead-lettered with the limit's name, as A's status route (GET /v1/profiles/{id}) says.
 */
const keyA = 'hotspots-test-key-a';
const keyB = 'hotspots-test-key-b';
const tenantB = 'test-b';

/**
 * docs/operations.md: a profile waits for at most the records ahead of it in its partition, each
 * costing the consumer what the limits allow. A's two allowed ones cost 23 + 3 s with the 2 cores
 * at load ~8 (the memory benchmark), the two refused ones ~1 s; B's waited 23 s at most then, and
 * 48 s at load ~13. The bound leaves room for such load and for the local event source's polling.
 */
const FRESHNESS_BOUND_MS = 75_000;
const B_PROFILES = 8;

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

const post = (key: string, service: string, body: Uint8Array): Promise<Timed> =>
  request('POST', `/v1/profiles?service=${encodeURIComponent(service)}`, body, {
    authorization: `Bearer ${key}`,
    'content-type': 'application/octet-stream',
  });

async function statusOf(key: string, profileId: string): Promise<ProfileStatus> {
  const answer = await request('GET', `/v1/profiles/${profileId}`, undefined, { authorization: `Bearer ${key}` });
  expect(answer.status).toBe(200);
  return answer.body as unknown as ProfileStatus;
}

/** The profiles of `ids` committed so far (B's, read straight from ClickHouse, as often as it answers). */
async function committedOf(service: string, ids: readonly string[]): Promise<Set<string>> {
  const rows = await deps.db.query<{ profile_id: string }>(
    sql`SELECT DISTINCT profile_id FROM profiles WHERE tenant = ${tenantB} AND service = ${service} AND has(${ids}, profile_id)`,
  );
  return new Set(rows.map((r) => r.profile_id));
}

describe('a hostile neighbour', () => {
  it('cannot keep another tenant’s profiles from being committed, exactly and on time', async () => {
    const shapes = amplificationShapes();
    const hostile: [string, AmplificationSpec, 'committed' | string][] = [
      ['both limits, just under', shapes.bothUnder, 'committed'],
      ['labels, just over', shapes.labelsOver, 'HOTSPOTS_MAX_LABEL_BYTES_PER_PROFILE'],
      ['labels, just under', shapes.labelsUnder, 'committed'],
      ['rows, just over', shapes.rowsOver, 'HOTSPOTS_MAX_ROWS_PER_PROFILE'],
    ];
    const serviceA = uniqueService('hostile');
    const serviceB = uniqueService('neighbour');

    // A's uploads first, so that B's records queue behind them.
    const uploadsA: { what: string; spec: AmplificationSpec; outcome: string; id: string }[] = [];
    for (const [what, spec, outcome] of hostile) {
      const answer = await post(keyA, serviceA, gzipSync(buildAmplifiedProfile(spec)));
      expect([what, answer.status]).toEqual([what, 202]);
      uploadsA.push({ what, spec, outcome, id: answer.body.profile_id ?? '' });
    }

    const acceptedB = new Map<string, number>();
    const seenB = new Map<string, number>();
    let uploading = true;
    const watcher = (async () => {
      while (uploading || seenB.size < acceptedB.size) {
        const ids = [...acceptedB.keys()].filter((id) => !seenB.has(id));
        if (ids.length > 0) {
          for (const id of await committedOf(serviceB, ids)) seenB.set(id, Date.now());
        }
        if (Date.now() - Math.min(...acceptedB.values(), Date.now()) > 3 * FRESHNESS_BOUND_MS) return;
        await delay(100);
      }
    })();
    const profileB = buildCpuProfile(chaosSpec);
    for (let i = 0; i < B_PROFILES; i++) {
      const answer = await post(keyB, serviceB, profileB);
      expect(answer.status).toBe(202);
      acceptedB.set(answer.body.profile_id ?? '', Date.now());
      await delay(500);
    }
    uploading = false;
    await watcher;

    const freshnessMs = [...acceptedB].map(([id, at]) => (seenB.get(id) ?? Number.POSITIVE_INFINITY) - at);
    const statusesA = await Promise.all(
      uploadsA.map(({ id, outcome }) =>
        waitUntil(
          `A's profile ${id} to be ${outcome === 'committed' ? 'committed' : 'dead-lettered'}`,
          async () => {
            const status = await statusOf(keyA, id);
            return status.status === 'pending' ? undefined : status;
          },
          3 * FRESHNESS_BOUND_MS,
        ),
      ),
    );
    const now = Math.floor(Date.now() / 1000);
    const cpuB = await request(
      'GET',
      `/v1/endpoints/cpu?service=${serviceB}&from=${now - 3600}&to=${now + 60}`,
      undefined,
      { authorization: `Bearer ${keyB}` },
    );
    report('hostile-neighbour', {
      b_profiles: B_PROFILES,
      b_freshness_ms: freshnessMs,
      b_freshness_max_ms: Math.max(...freshnessMs),
      bound_ms: FRESHNESS_BOUND_MS,
      a: statusesA.map((s, i) => ({ what: uploadsA[i]?.what, status: s.status })),
    });

    expect(freshnessMs.filter((ms) => !(ms <= FRESHNESS_BOUND_MS))).toEqual([]);
    expect([cpuB.status, BigInt(cpuB.body.total_cpu_ns as number)]).toEqual([200, chaosSpecTotal * BigInt(B_PROFILES)]);
    expect(
      statusesA.map((s) =>
        s.status === 'committed' ? ['committed', s.rows] : [s.status, s.status === 'dead_lettered' && s.reason.message],
      ),
    ).toEqual(
      uploadsA.map(({ spec, outcome }) =>
        outcome === 'committed'
          ? ['committed', amplifiedRows(spec)]
          : ['dead_lettered', expect.stringContaining(`(${outcome})`)],
      ),
    );
    // A's allowed profiles count exactly too: the limits refuse, they never truncate.
    const cpuA = await request(
      'GET',
      `/v1/endpoints/cpu?service=${serviceA}&from=${now - 3600}&to=${now + 60}`,
      undefined,
      { authorization: `Bearer ${keyA}` },
    );
    expect(BigInt(cpuA.body.total_cpu_ns as number)).toBe(
      uploadsA.filter((u) => u.outcome === 'committed').reduce((sum, u) => sum + amplifiedCpuTotal(u.spec), 0n),
    );
  });
});
