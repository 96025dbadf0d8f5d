import type { SqlDatabase } from '../ports.js';
import { type Sql, sql } from '../sql.js';
import type { CpuSource } from './cpu-source.js';

/**
 * Loads the CPU of a source as resolved stacks: (stack id, value) aggregated in ClickHouse, then
 * the stacks' frame ids and the frames themselves, by the (tenant, id) sort keys. At most
 * `maxStacks` distinct stacks are resolved (the heaviest); the CPU of the rest is returned as
 * `remainder_ns` so totals stay exact.
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
  const rows = await db.query<{ cpu: string }>(
    sql`SELECT sum(value) AS cpu FROM ${source.table} WHERE ${source.where}`,
  );
  return BigInt(rows[0]?.cpu ?? '0');
}

export async function loadCpuStacks(
  db: SqlDatabase,
  tenant: string,
  source: CpuSource,
  maxStacks: number,
): Promise<LoadedStacks> {
  const heaviest: Sql = sql`SELECT stack_id FROM ${source.table} WHERE ${source.where}
    GROUP BY stack_id ORDER BY sum(value) DESC, stack_id LIMIT ${maxStacks}`;
  const [total, values, stackRows, frameRows] = await Promise.all([
    loadCpuTotal(db, source),
    db.query<{ stack_id: string; cpu: string }>(
      sql`SELECT stack_id, sum(value) AS cpu FROM ${source.table}
        WHERE ${source.where} GROUP BY stack_id ORDER BY cpu DESC, stack_id LIMIT ${maxStacks}`,
    ),
    db.query<{ stack_id: string; frame_list: string[] }>(
      sql`SELECT stack_id, arrayMap(x -> toString(x), frame_ids) AS frame_list
        FROM stacks WHERE tenant = ${tenant} AND stack_id IN (${heaviest}) LIMIT 1 BY stack_id`,
    ),
    db.query<{ frame_id: string; function_name: string; file_name: string; line: string | number }>(
      sql`SELECT frame_id, function_name, file_name, line FROM frames
        WHERE tenant = ${tenant} AND frame_id IN (
          SELECT arrayJoin(frame_ids) FROM stacks WHERE tenant = ${tenant} AND stack_id IN (${heaviest}))
        LIMIT 1 BY frame_id`,
    ),
  ]);
  const frames = new Map(
    frameRows.map((f) => [f.frame_id, { functionName: f.function_name, fileName: f.file_name, line: Number(f.line) }]),
  );
  const stacks = new Map(stackRows.map((s) => [s.stack_id, s.frame_list]));
  let resolved = 0n;
  const result = values.map((row) => {
    const value = BigInt(row.cpu);
    resolved += value;
    const ids = stacks.get(row.stack_id);
    return { value, frames: ids ? ids.map((id) => frames.get(id) ?? unknownFrame) : [unknownFrame] };
  });
  return { total_ns: total, stacks: result, remainder_ns: total - resolved };
}
