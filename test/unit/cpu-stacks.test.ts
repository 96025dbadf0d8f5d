import { describe, expect, it } from 'vitest';
import { largestCpuSumFirst } from '../../shared/query/sql/cpu-sum.js';
import { cpuSource } from '../../shared/query/sql/measure-source.js';
import { loadCpuStacks } from '../../shared/query/sql/stacks.js';
import { type CannedAnswer, cpuSum, createFakeSqlDatabase } from '../support/fake-sql-database.js';

const source = cpuSource('acme', { kind: 'span', spanId: '42' });

/** Stack 1: main → handle → json.Marshal; stack 2: main → handle; stack 3: main → gc. */
const stackRows = [
  { stack_id: '1', frame_list: ['13', '12', '11'] },
  { stack_id: '2', frame_list: ['12', '11'] },
  { stack_id: '3', frame_list: ['14', '11'] },
];
const frameRows = [
  { frame_id: '11', function_name: 'main.main', file_name: 'main.go', line: '9' },
  { frame_id: '12', function_name: 'main.handle', file_name: 'main.go', line: 40 },
  { frame_id: '13', function_name: 'encoding/json.Marshal', file_name: 'encode.go', line: '160' },
  { frame_id: '14', function_name: 'runtime.gcBgMarkWorker', file_name: 'mgc.go', line: '1300' },
];

/** The statement of a source's total: the sum alone, in halves (cpu-sum.ts). */
const TOTAL = /^SELECT toString\(sum\(bitShiftRight\(value, 32\)\)\) AS cpu_hi, .* AS cpu_lo FROM /;

/** Stack values as the database answers them: (stack id, CPU in halves). */
const values = (...rows: [stackId: string, cpu: bigint][]) =>
  rows.map(([stack_id, cpu]) => ({ stack_id, ...cpuSum(cpu) }));

/** Stacks and frames answer the ids of the set the statement sends, as the database would. */
function database(grouped: object[], options: { total?: bigint; stacks?: object[]; frames?: object[] } = {}) {
  const stacks = (options.stacks ?? stackRows) as { stack_id: string }[];
  const frames = (options.frames ?? frameRows) as { frame_id: string }[];
  const answers: CannedAnswer[] = [
    [/GROUP BY stack_id/, grouped],
    [/FROM stacks\b/, (_, query) => stacks.filter((s) => query.setOf('stack_id')?.includes(s.stack_id))],
    [/FROM frames\b/, (_, query) => frames.filter((f) => query.setOf('frame_id')?.includes(f.frame_id))],
    [TOTAL, [cpuSum(options.total ?? 0n)]],
  ];
  return createFakeSqlDatabase(answers);
}

describe('loadCpuStacks', () => {
  it('resolves each stack to its frames, leaf first, with its CPU', async () => {
    const db = database(values(['2', 10n]));

    const loaded = await loadCpuStacks(db, 'acme', source, 10);

    expect(loaded).toEqual({
      total_ns: 10n,
      remainder_ns: 0n,
      stacks: [
        {
          value: 10n,
          frames: [
            { functionName: 'main.handle', fileName: 'main.go', line: 40 },
            { functionName: 'main.main', fileName: 'main.go', line: 9 },
          ],
        },
      ],
    });
  });

  it('takes the total from the stacks when all of them fit, without a second scan', async () => {
    const db = database(values(['1', 30n], ['3', 5n]));

    const loaded = await loadCpuStacks(db, 'acme', source, 2);

    expect([loaded.total_ns, loaded.remainder_ns]).toEqual([35n, 0n]);
    expect(db.statements.some((s) => TOTAL.test(s))).toBe(false);
  });

  it('keeps the heaviest stacks beyond the limit and returns the rest of an exact total as remainder', async () => {
    // The database answers limit + 1 rows; the total counts every stack, those beyond it too.
    const db = database(values(['1', 30n], ['2', 10n], ['3', 5n]), { total: 52n });

    const loaded = await loadCpuStacks(db, 'acme', source, 2);

    expect([loaded.stacks.map((s) => s.value), loaded.total_ns, loaded.remainder_ns]).toEqual([[30n, 10n], 52n, 12n]);
  });

  it('asks for one stack more than the limit, heaviest first', async () => {
    const db = database([]);

    await loadCpuStacks(db, 'acme', source, 500);

    expect(db.statements[0]?.endsWith(`ORDER BY ${largestCpuSumFirst.text}, stack_id LIMIT 501`)).toBe(true);
  });

  it('keeps the CPU of a stack the stacks table lacks, as "(unknown stack)"', async () => {
    const db = database(values(['99', 7n]), { stacks: [] });

    const loaded = await loadCpuStacks(db, 'acme', source, 10);

    expect(loaded.stacks).toEqual([
      { value: 7n, frames: [{ functionName: '(unknown stack)', fileName: '', line: 0 }] },
    ]);
  });

  it('keeps a stack whose frame is missing, with that frame unknown', async () => {
    const db = database(values(['3', 7n]), { frames: frameRows.filter((f) => f.frame_id !== '14') });

    const loaded = await loadCpuStacks(db, 'acme', source, 10);

    expect(loaded.stacks[0]?.frames.map((f) => f.functionName)).toEqual(['(unknown stack)', 'main.main']);
  });

  it('keeps totals beyond 2^53 nanoseconds exact', async () => {
    const db = database(values(['1', 9_007_199_254_740_993n], ['2', 1n]));

    const loaded = await loadCpuStacks(db, 'acme', source, 10);

    expect(loaded.total_ns).toBe(9_007_199_254_740_994n);
  });

  it('keeps totals beyond 2^63 nanoseconds exact, where a signed 64-bit sum would wrap', async () => {
    const db = database(values(['1', 2n ** 63n - 1n], ['2', 2n ** 62n]));

    const loaded = await loadCpuStacks(db, 'acme', source, 10);

    expect(loaded.total_ns).toBe(2n ** 63n + 2n ** 62n - 1n);
  });
});
