import type { SqlDatabase } from '../../shared/platform/ports.js';
import { type Sql, sql } from '../../shared/platform/sql.js';

/**
 * A synthetic dataset generated inside ClickHouse (INSERT … SELECT FROM numbers()), so loading
 * tens of millions of samples takes seconds, not the hours the HTTP pipeline would. Shape: one
 * service, 20 endpoints (10 % of CPU unlabelled), two versions, 2,000 samples per profile, 20
 * samples per span, 5 spans per request (local root), 5,000 distinct stacks of 8 frames.
 * The materialised views (samples_by_span, samples_by_root) fill on insert as in production.
 */
export interface Dataset {
  tenant: string;
  service: string;
  samples: number;
  fromSec: number;
  toSec: number;
  firstSpanId: bigint;
  firstRootId: bigint;
  profiles: number;
}

const SAMPLES_PER_PROFILE = 2000;
const SAMPLES_PER_SPAN = 20;
const SPANS_PER_REQUEST = 5;
const STACKS = 5000;
const FRAMES = 200;
/** Samples per INSERT … SELECT (a few minutes each on a loaded 2-core machine). */
const SLICE_SAMPLES = 10_000_000;
export const SPAN_BASE = 1_000_000_000_000_000n;

/**
 * The tenant holding a complete dataset of this size, or a fresh tenant name to load into. A
 * load interrupted half-way leaves its tenant without a marker and is never reused.
 */
export async function datasetFor(
  db: SqlDatabase,
  samples: number,
  anchorSec: number,
): Promise<Dataset & { loaded: boolean }> {
  await db.command(
    sql`CREATE TABLE IF NOT EXISTS bench_datasets (tenant String, samples UInt64, anchor UInt32, loaded_at DateTime) ENGINE = MergeTree ORDER BY tenant`,
  );
  const done = await db.query<{ tenant: string; anchor: number | string }>(
    sql`SELECT tenant, anchor FROM bench_datasets WHERE samples = ${samples} ORDER BY loaded_at DESC LIMIT 1`,
  );
  const profiles = Math.ceil(samples / SAMPLES_PER_PROFILE);
  const existing = done[0];
  const anchor = existing ? Number(existing.anchor) : anchorSec;
  return {
    tenant: existing?.tenant ?? `bench-${samples}-${Date.now().toString(36)}`,
    service: 'checkout',
    samples,
    fromSec: anchor - 86_400,
    toSec: anchor,
    firstSpanId: SPAN_BASE,
    firstRootId: SPAN_BASE,
    profiles,
    loaded: existing !== undefined,
  };
}

/** 32 lowercase hex digits of a 64-bit id (upper half zero), computed in SQL. */
function traceIdOf(id: Sql): Sql {
  return sql`substring(concat('00000000000000000000000000000000', lower(hex(toUInt64(${id})))), length(lower(hex(toUInt64(${id})))) + 1, 32)`;
}

export function traceIdOfRoot(root: bigint): string {
  return root.toString(16).padStart(32, '0');
}

/** Loads the dataset unless it is already there; returns the seconds spent loading. */
export async function loadDataset(
  db: SqlDatabase,
  dataset: Dataset & { loaded: boolean },
  log: (m: string) => void,
): Promise<number> {
  if (dataset.loaded) {
    log(`dataset ${dataset.tenant} already loaded (${dataset.samples} samples)`);
    return 0;
  }
  const started = performance.now();
  const { tenant, service, samples, profiles } = dataset;
  const step = Math.max(1, Math.floor((dataset.toSec - dataset.fromSec) / profiles));
  const profileStart = sql`toDateTime(${dataset.fromSec} + intDiv(number, ${SAMPLES_PER_PROFILE}) * ${step})`;
  const spanId = sql`${SPAN_BASE} + intDiv(number, ${SAMPLES_PER_SPAN})`;
  const rootId = sql`${SPAN_BASE} + intDiv(intDiv(number, ${SAMPLES_PER_SPAN}), ${SPANS_PER_REQUEST}) * ${SPANS_PER_REQUEST}`;
  const endpointOf = sql`if(intDiv(number, ${SAMPLES_PER_SPAN * SPANS_PER_REQUEST}) % 10 = 0, NULL,
    concat('GET /endpoint/', toString(intDiv(number, ${SAMPLES_PER_SPAN * SPANS_PER_REQUEST}) % 20)))`;
  log(`loading ${samples} samples into tenant ${tenant}…`);
  await db.command(sql`INSERT INTO frames SELECT ${tenant}, number + 1, concat('pkg', toString(number % 17), '.fn', toString(number)),
    '', concat('pkg/file', toString(number % 17), '.go'), number FROM numbers(${FRAMES})`);
  await db.command(sql`INSERT INTO stacks SELECT ${tenant}, number + 1,
    arrayMap(i -> toUInt64((intHash64(number * 8 + i) % ${FRAMES}) + 1), range(8)) FROM numbers(${STACKS})`);
  // In slices: one statement for 100M rows outlasted the client's 30 min request timeout under load.
  for (let offset = 0; offset < samples; offset += SLICE_SAMPLES) {
    const count = Math.min(SLICE_SAMPLES, samples - offset);
    await db.command(sql`INSERT INTO samples SELECT ${tenant}, ${service}, 'prod',
      if(intDiv(number, ${SAMPLES_PER_PROFILE}) % 2 = 0, '1.0', '1.1'), ${profileStart},
      concat('p', toString(intDiv(number, ${SAMPLES_PER_PROFILE}))), 'bench', 'cpu', 'nanoseconds', 10000000,
      ${spanId}, ${rootId}, ${endpointOf}, '', [], [], (number % ${STACKS}) + 1
      FROM (SELECT number + ${offset} AS number FROM numbers(${count}))`);
    if (samples > SLICE_SAMPLES) log(`  ${offset + count} of ${samples} samples`);
  }
  await db.command(sql`INSERT INTO profiles SELECT ${tenant}, ${service}, concat('p', toString(number)), 'bench', 'prod',
    if(number % 2 = 0, '1.0', '1.1'), 'runtime', toDateTime(${dataset.fromSec} + number * ${step}),
    toInt64(${dataset.fromSec} + number * ${step}) * 1000000000, toInt64(${step}) * 1000000000, 10000000, 'cpu/nanoseconds',
    ['samples/count', 'cpu/nanoseconds'], ${SAMPLES_PER_PROFILE}, ${SAMPLES_PER_PROFILE}, [], [], '', now(), 1
    FROM numbers(${profiles})`);
  // Spans for the first 10,000 requests, each the root of its five spans (enough for lookups).
  await db.command(sql`INSERT INTO spans SELECT ${tenant}, ${traceIdOf(sql`${SPAN_BASE} + intDiv(number, ${SPANS_PER_REQUEST}) * ${SPANS_PER_REQUEST}`)},
    ${SPAN_BASE} + number, if(number % ${SPANS_PER_REQUEST} = 0, 0, ${SPAN_BASE} + intDiv(number, ${SPANS_PER_REQUEST}) * ${SPANS_PER_REQUEST}),
    ${service}, 'http.request', 'GET /endpoint', 'web', 'prod', '1.0', 'runtime',
    toDateTime(${dataset.fromSec} + intDiv(number * ${SAMPLES_PER_SPAN}, ${SAMPLES_PER_PROFILE}) * ${step}),
    toInt64(${dataset.fromSec} + intDiv(number * ${SAMPLES_PER_SPAN}, ${SAMPLES_PER_PROFILE}) * ${step}) * 1000000000,
    500000000, 0, [], [], [], [], 'bench', 1 FROM numbers(50000)`);
  await db.insert('bench_datasets', [
    { tenant, samples, anchor: dataset.toSec, loaded_at: Math.floor(Date.now() / 1000) },
  ]);
  const seconds = (performance.now() - started) / 1000;
  log(`loaded in ${seconds.toFixed(1)} s`);
  return seconds;
}
