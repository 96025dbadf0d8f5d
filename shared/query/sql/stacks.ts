import type { SqlDatabase } from '../../platform/ports.js';
import { sql, tuple } from '../../platform/sql.js';
import type { CpuSource } from './cpu-source.js';

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

/** Ids per IN list: keeps each statement far below ClickHouse's default max_query_size (256 KiB). */
const IDS_PER_QUERY = 2000;

export async function loadCpuTotal(db: SqlDatabase, source: CpuSource): Promise<bigint> {
  const rows = await db.query<{ cpu: string }>(
    sql`SELECT sum(value) AS cpu FROM ${source.table} WHERE ${source.where}`,
  );
  return BigInt(rows[0]?.cpu ?? '0');
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function byIds<T>(ids: readonly string[], query: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const results: T[] = [];
  for (const chunk of chunks(ids, IDS_PER_QUERY)) results.push(...(await query(chunk)));
  return results;
}

export async function loadCpuStacks(
  db: SqlDatabase,
  tenant: string,
  source: CpuSource,
  maxStacks: number,
): Promise<LoadedStacks> {
  const values = await db.query<{ stack_id: string; cpu: string }>(
    sql`SELECT stack_id, sum(value) AS cpu FROM ${source.table}
      WHERE ${source.where} GROUP BY stack_id ORDER BY cpu DESC, stack_id LIMIT ${maxStacks + 1}`,
  );
  const truncated = values.length > maxStacks;
  const kept = values.slice(0, maxStacks);
  // Without truncation the stacks hold every sample: their sum is the total, no second scan.
  const resolvedTotal = kept.reduce((sum, row) => sum + BigInt(row.cpu), 0n);
  const total = truncated ? await loadCpuTotal(db, source) : resolvedTotal;

  const stackIds = kept.map((row) => BigInt(row.stack_id));
  const stackRows = await byIds(stackIds.map(String), (chunk) =>
    db.query<{ stack_id: string; frame_list: string[] }>(
      sql`SELECT stack_id, arrayMap(x -> toString(x), frame_ids) AS frame_list FROM stacks
          WHERE tenant = ${tenant} AND stack_id IN ${tuple(chunk.map((id) => BigInt(id)))} LIMIT 1 BY stack_id`,
    ),
  );
  const stacks = new Map(stackRows.map((s) => [s.stack_id, s.frame_list]));
  const frameIds = [...new Set(stackRows.flatMap((s) => s.frame_list))];
  const frameRows = await byIds(frameIds, (chunk) =>
    db.query<{ frame_id: string; function_name: string; file_name: string; line: string | number }>(
      sql`SELECT frame_id, function_name, file_name, line FROM frames
        WHERE tenant = ${tenant} AND frame_id IN ${tuple(chunk.map((id) => BigInt(id)))} LIMIT 1 BY frame_id`,
    ),
  );
  const frames = new Map(
    frameRows.map((f) => [f.frame_id, { functionName: f.function_name, fileName: f.file_name, line: Number(f.line) }]),
  );
  const result = kept.map((row) => {
    const ids = stacks.get(row.stack_id);
    return {
      value: BigInt(row.cpu),
      frames: ids ? ids.map((id) => frames.get(id) ?? unknownFrame) : [unknownFrame],
    };
  });
  return { total_ns: total, stacks: result, remainder_ns: total - resolvedTotal };
}
