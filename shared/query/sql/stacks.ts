import type { SqlDatabase } from '../../platform/ports.js';
import { sql, uint64Set } from '../../platform/sql.js';
import { type CpuSumRow, cpuSumColumns, cpuSumOf, largestCpuSumFirst } from './cpu-sum.js';
import type { CpuSource } from './measure-source.js';

/**
 * Loads the CPU of a source as resolved stacks: (stack id, value) aggregated in ClickHouse — the
 * only scan of the source — then the stacks' frame ids and the frames themselves by id, through
 * the (tenant, id) sort keys. At most `maxStacks` distinct stacks are resolved (the heaviest); the
 * CPU of the rest is returned as `remainder_ns` so totals stay exact.
 */
export interface ResolvedFrame {
  functionName: string;
  fileName: string;
  line: number;
}

export interface ResolvedStack {
  value: bigint;
  /** Leaf first, as pprof stores them. */
  frames: ResolvedFrame[];
}

export interface LoadedStacks {
  total_ns: bigint;
  stacks: ResolvedStack[];
  remainder_ns: bigint;
}

const unknownFrame: ResolvedFrame = { functionName: '(unknown stack)', fileName: '', line: 0 };

export async function loadCpuTotal(db: SqlDatabase, source: CpuSource): Promise<bigint> {
  const rows = await db.query<CpuSumRow<'cpu'>>(
    sql`SELECT ${cpuSumColumns('cpu')} FROM ${source.table} WHERE ${source.where}`,
  );
  return rows[0] ? cpuSumOf(rows[0], 'cpu') : 0n;
}

export async function loadCpuStacks(
  db: SqlDatabase,
  tenant: string,
  source: CpuSource,
  maxStacks: number,
): Promise<LoadedStacks> {
  const values = (
    await db.query<{ stack_id: string } & CpuSumRow<'cpu'>>(
      sql`SELECT stack_id, ${cpuSumColumns('cpu')} FROM ${source.table}
        WHERE ${source.where} GROUP BY stack_id ORDER BY ${largestCpuSumFirst}, stack_id LIMIT ${maxStacks + 1}`,
    )
  ).map((row) => ({ stack_id: row.stack_id, cpu: cpuSumOf(row, 'cpu') }));
  const truncated = values.length > maxStacks;
  const kept = values.slice(0, maxStacks);
  // Without truncation the stacks hold every sample: their sum is the total, no second scan.
  const resolvedTotal = kept.reduce((sum, row) => sum + row.cpu, 0n);
  const total = truncated ? await loadCpuTotal(db, source) : resolvedTotal;

  if (kept.length === 0) return { total_ns: total, stacks: [], remainder_ns: total };
  // Up to maxStacks stacks and their frames: the ids go as sets (sql.ts uint64Set), one query each.
  const stackRows = await db.query<{ stack_id: string; frame_list: string[] }>(
    sql`SELECT stack_id, arrayMap(x -> toString(x), frame_ids) AS frame_list FROM stacks
        WHERE tenant = ${tenant} AND stack_id IN ${uint64Set(kept.map((row) => BigInt(row.stack_id)))}
        LIMIT 1 BY stack_id`,
  );
  const stacks = new Map(stackRows.map((s) => [s.stack_id, s.frame_list]));
  const frameIds = [...new Set(stackRows.flatMap((s) => s.frame_list))];
  const frameRows = await db.query<{
    frame_id: string;
    function_name: string;
    file_name: string;
    line: string | number;
  }>(
    sql`SELECT frame_id, function_name, file_name, line FROM frames
      WHERE tenant = ${tenant} AND frame_id IN ${uint64Set(frameIds.map((id) => BigInt(id)))} LIMIT 1 BY frame_id`,
  );
  const frames = new Map(
    frameRows.map((f) => [f.frame_id, { functionName: f.function_name, fileName: f.file_name, line: Number(f.line) }]),
  );
  const result = kept.map((row) => {
    const ids = stacks.get(row.stack_id);
    return {
      value: row.cpu,
      frames: ids ? ids.map((id) => frames.get(id) ?? unknownFrame) : [unknownFrame],
    };
  });
  return { total_ns: total, stacks: result, remainder_ns: total - resolvedTotal };
}
