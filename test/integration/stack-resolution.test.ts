import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import type { SqlDatabase } from '../../shared/platform/ports.js';
import { cpuSource } from '../../shared/query/sql/measure-source.js';
import { loadCpuStacks } from '../../shared/query/sql/stacks.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { testDeps, uniqueService, uploadProfile, waitForCommittedProfiles } from '../support/services.js';

/** Resolving the stacks of a flame graph: ids go to ClickHouse as sets, however many there are. */
const tenant = 'test-a';
const STACKS = 5000;
const MS = 1_000_000n;
let deps: Deps;
let service: string;
let window: { from: number; to: number };

/** The real database, counting the statements it is sent. */
function counting(db: SqlDatabase): { db: SqlDatabase; queries: () => number } {
  let queries = 0;
  return {
    db: {
      ...db,
      query: (statement) => {
        queries += 1;
        return db.query(statement);
      },
    },
    queries: () => queries,
  };
}

beforeAll(async () => {
  deps = testDeps();
  service = uniqueService('stacks');
  const startNs = BigInt(Date.now()) * MS;
  const samples = Array.from({ length: STACKS }, (_, n) => ({
    stack: [`pkg.leaf${n}`, 'main.main'],
    cpuNs: 10n * MS * BigInt(1 + (n % 3)),
  }));
  const answer = await uploadProfile(buildCpuProfile({ startNs, samples }), { service });
  await waitForCommittedProfiles(deps, tenant, [answer.body.profile_id ?? '']);
  const start = Number(startNs / 1_000_000_000n);
  window = { from: start - 60, to: start + 600 };
}, 180_000);

afterAll(async () => {
  await deps.close();
});

describe('loadCpuStacks', () => {
  it('resolves 5,000 stacks and their frames in one query each', async () => {
    const { db, queries } = counting(deps.db);

    const loaded = await loadCpuStacks(db, tenant, cpuSource(tenant, { kind: 'service', service, ...window }), 10_000);

    const leaves = new Set(loaded.stacks.map((s) => s.frames[0]?.functionName));
    expect([loaded.stacks.length, leaves.size, leaves.has('(unknown stack)'), loaded.remainder_ns]).toEqual([
      STACKS,
      STACKS,
      false,
      0n,
    ]);
    expect(queries()).toBe(3);
  });
});
