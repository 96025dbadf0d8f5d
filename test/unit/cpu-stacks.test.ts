import { describe, expect, it } from 'vitest';
import { cpuSource } from '../../shared/query/sql/cpu-source.js';
import { loadCpuStacks } from '../../shared/query/sql/stacks.js';
import { type CannedAnswer, createFakeSqlDatabase } from '../support/fake-sql-database.js';

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

function database(values: object[], options: { total?: string; stacks?: object[]; frames?: object[] } = {}) {
  const answers: CannedAnswer[] = [
    [/GROUP BY stack_id/, values],
    [/FROM stacks\b/, options.stacks ?? stackRows],
    [/FROM frames\b/, options.frames ?? frameRows],
    [/SELECT sum\(value\) AS cpu FROM/, [{ cpu: options.total ?? '0' }]],
  ];
  return createFakeSqlDatabase(answers);
}

describe('loadCpuStacks', () => {
  it('resolves each stack to its frames, leaf first, with its CPU', async () => {
    const db = database([{ stack_id: '2', cpu: '10' }]);

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
    const db = database([
      { stack_id: '1', cpu: '30' },
      { stack_id: '3', cpu: '5' },
    ]);

    const loaded = await loadCpuStacks(db, 'acme', source, 2);

    expect([loaded.total_ns, loaded.remainder_ns]).toEqual([35n, 0n]);
    expect(db.statements.some((s) => /SELECT sum\(value\) AS cpu FROM/.test(s))).toBe(false);
  });

  it('keeps the heaviest stacks beyond the limit and returns the rest of an exact total as remainder', async () => {
    // The database answers limit + 1 rows; the total counts every stack, those beyond it too.
    const db = database(
      [
        { stack_id: '1', cpu: '30' },
        { stack_id: '2', cpu: '10' },
        { stack_id: '3', cpu: '5' },
      ],
      { total: '52' },
    );

    const loaded = await loadCpuStacks(db, 'acme', source, 2);

    expect([loaded.stacks.map((s) => s.value), loaded.total_ns, loaded.remainder_ns]).toEqual([[30n, 10n], 52n, 12n]);
  });

  it('asks for one stack more than the limit, heaviest first', async () => {
    const db = database([]);

    await loadCpuStacks(db, 'acme', source, 500);

    expect(db.statements[0]).toMatch(/ORDER BY cpu DESC, stack_id LIMIT 501$/);
  });

  it('keeps the CPU of a stack the stacks table lacks, as "(unknown stack)"', async () => {
    const db = database([{ stack_id: '99', cpu: '7' }], { stacks: [] });

    const loaded = await loadCpuStacks(db, 'acme', source, 10);

    expect(loaded.stacks).toEqual([
      { value: 7n, frames: [{ functionName: '(unknown stack)', fileName: '', line: 0 }] },
    ]);
  });

  it('keeps a stack whose frame is missing, with that frame unknown', async () => {
    const db = database([{ stack_id: '3', cpu: '7' }], { frames: frameRows.filter((f) => f.frame_id !== '14') });

    const loaded = await loadCpuStacks(db, 'acme', source, 10);

    expect(loaded.stacks[0]?.frames.map((f) => f.functionName)).toEqual(['(unknown stack)', 'main.main']);
  });

  it('keeps totals beyond 2^53 nanoseconds exact', async () => {
    const db = database([
      { stack_id: '1', cpu: '9007199254740993' },
      { stack_id: '2', cpu: '1' },
    ]);

    const loaded = await loadCpuStacks(db, 'acme', source, 10);

    expect(loaded.total_ns).toBe(9_007_199_254_740_994n);
  });
});
