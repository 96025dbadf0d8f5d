/**
 * The cluster form of the schema (the "migration switch", HOTSPOTS_CLICKHOUSE_CLUSTER): a pure
 * rewrite of each single-node statement of infra/clickhouse/migrations into the statements of a
 * sharded, replicated ClickHouse cluster, so that one set of migration files serves both.
 *
 * Every table `t` becomes
 * - `t_local`: the same columns and keys with the Replicated* engine (ZooKeeper path per shard,
 *   replica from the server's macros), created ON CLUSTER;
 * - `t`: a Distributed table over `t_local`, sharded by `cityHash64(tenant)`.
 * A materialised view `v` becomes `v_local`, reading the `_local` source tables on each shard
 * with a replicated inner engine, and a Distributed `v` over it. Queries keep the public names.
 *
 * Sharding by tenant puts all of a tenant's rows on one shard, so the IN/JOIN subqueries between
 * tables of one tenant stay exact when run shard-locally (`distributed_product_mode = 'local'`,
 * see shared/platform/adapters/clickhouse/client.ts). The limit: one tenant is never larger than a shard.
 *
 * Only the statement shapes the migrations use are rewritten; anything else is refused with the
 * statement named, so that a new kind of migration extends this module instead of silently
 * producing a single-node table on a cluster. Written in the DDL subset of ClickHouse 18.16
 * (ON CLUSTER, Replicated*MergeTree(path, replica, …), Distributed(cluster, db, table, key)),
 * which current ClickHouse accepts unchanged.
 */
export interface ClusterTarget {
  /** A cluster of the servers' `remote_servers` configuration. */
  cluster: string;
  database: string;
}

const name = '[A-Za-z_][A-Za-z0-9_]*';
const identifierPattern = new RegExp(`^${name}$`);

/** Engines with a Replicated* twin taking (zookeeper path, replica name, ...the same arguments). */
const replicableEngines = new Set([
  'MergeTree',
  'ReplacingMergeTree',
  'SummingMergeTree',
  'AggregatingMergeTree',
  'CollapsingMergeTree',
  'VersionedCollapsingMergeTree',
]);

export class ClusterSchemaError extends Error {
  constructor(statement: string, problem: string) {
    super(`cannot run on a cluster: ${problem} — in: ${statement.split('\n')[0]}`);
    this.name = 'ClusterSchemaError';
  }
}

function checkTarget(target: ClusterTarget): void {
  for (const [what, value] of Object.entries(target)) {
    if (!identifierPattern.test(value)) throw new TypeError(`${what} must be a plain identifier, got ${value}`);
  }
}

const localName = (table: string) => `${table}_local`;

/** The shard's replicated engine: one ZooKeeper path per (shard, database, table), replicas by macro. */
function replicatedEngine(
  statement: string,
  engine: RegExpExecArray,
  clauses: string,
  table: string,
  t: ClusterTarget,
): string {
  const [, kind = '', args] = engine;
  if (!replicableEngines.has(kind)) throw new ClusterSchemaError(statement, `engine ${kind} has no Replicated form`);
  // MergeTree(date, key, granularity) is the pre-2018 syntax, whose arguments are not the
  // Replicated engine's trailing ones: only the ORDER BY syntax is rewritten.
  if (!/\bORDER\s+BY\b/i.test(clauses)) throw new ClusterSchemaError(statement, 'engine needs an ORDER BY clause');
  const path = `'/clickhouse/tables/{shard}/${t.database}/${localName(table)}'`;
  const rest = args === undefined || args.trim() === '' ? '' : `, ${args.trim()}`;
  return `ENGINE = Replicated${kind}(${path}, '{replica}'${rest})`;
}

function distributedTable(table: string, t: ClusterTarget): string {
  return [
    `CREATE TABLE IF NOT EXISTS ${t.database}.${table} ON CLUSTER ${t.cluster} AS ${t.database}.${localName(table)}`,
    `ENGINE = Distributed(${t.cluster}, ${t.database}, ${localName(table)}, cityHash64(tenant))`,
  ].join('\n');
}

/** Index of the parenthesis closing the one at `open`, skipping quoted strings. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (quote !== undefined) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '`' || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

const enginePattern = /^ENGINE\s*=\s*([A-Za-z]+)\b(?:\s*\(([^()]*)\))?(?!\s*\()/i;

function createTable(statement: string, table: string, openParen: number, t: ClusterTarget): string[] {
  const close = closingParen(statement, openParen);
  if (close < 0) throw new ClusterSchemaError(statement, 'unbalanced column list');
  const columns = statement.slice(openParen + 1, close);
  if (!/(?:^|,)\s*tenant\s+String\s*(?:,|$)/.test(columns)) {
    throw new ClusterSchemaError(statement, 'no `tenant String` column to shard by');
  }
  const tail = statement.slice(close + 1).trimStart();
  const engine = enginePattern.exec(tail);
  if (!engine) throw new ClusterSchemaError(statement, 'expected ENGINE = … after the column list');
  const clauses = tail.slice(engine[0].length);
  const local = [
    `CREATE TABLE IF NOT EXISTS ${t.database}.${localName(table)} ON CLUSTER ${t.cluster} (${columns})`,
    `${replicatedEngine(statement, engine, clauses, table, t)}${clauses}`,
  ].join(' ');
  return [local, distributedTable(table, t)];
}

function createMaterializedView(statement: string, view: string, afterName: string, t: ClusterTarget): string[] {
  const engine = enginePattern.exec(afterName);
  if (!engine) {
    // `TO target` views would need the target's local table; none exist yet, so none are handled.
    throw new ClusterSchemaError(statement, 'only views with an inner ENGINE are supported (no TO)');
  }
  const rest = afterName.slice(engine[0].length);
  const as = /\bAS\s+SELECT\b/i.exec(rest);
  if (!as) throw new ClusterSchemaError(statement, 'expected AS SELECT');
  const select = rest.slice(as.index);
  const selectList = /^AS\s+SELECT\s+([\s\S]*?)\s+FROM\b/i.exec(select)?.[1] ?? '';
  if (!/(?:^|,)\s*tenant\s*(?:,|$)/.test(selectList)) {
    throw new ClusterSchemaError(statement, 'the view does not select `tenant` to shard by');
  }
  if (new RegExp(`\\b(?:FROM|JOIN)\\s+${name}\\s*\\.`, 'i').test(select)) {
    throw new ClusterSchemaError(statement, 'source tables must not name a database');
  }
  // On each shard the view reads the shard's own rows: every source becomes its local table.
  const localSelect = select.replace(
    new RegExp(`\\b(FROM|JOIN)(\\s+)(${name})\\b(?!\\s*\\()`, 'gi'),
    (_, keyword: string, space: string, source: string) => `${keyword}${space}${t.database}.${localName(source)}`,
  );
  const local = [
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${t.database}.${localName(view)} ON CLUSTER ${t.cluster}`,
    `${replicatedEngine(statement, engine, rest.slice(0, as.index), view, t)}${rest.slice(0, as.index)}${localSelect}`,
  ].join('\n');
  return [local, distributedTable(view, t)];
}

/** The cluster statements for one single-node statement (comments already stripped). */
export function clusterStatements(statement: string, target: ClusterTarget): string[] {
  checkTarget(target);
  const text = statement.trim();
  const table = new RegExp(`^CREATE\\s+TABLE\\s+IF\\s+NOT\\s+EXISTS\\s+(${name})\\s*\\(`, 'i').exec(text);
  if (table?.[1]) return createTable(text, table[1], table[0].length - 1, target);
  const view = new RegExp(`^CREATE\\s+MATERIALIZED\\s+VIEW\\s+IF\\s+NOT\\s+EXISTS\\s+(${name})\\s+`, 'i').exec(text);
  if (view?.[1]) return createMaterializedView(text, view[1], text.slice(view[0].length), target);
  throw new ClusterSchemaError(
    text,
    'only `CREATE TABLE IF NOT EXISTS t (…)` and `CREATE MATERIALIZED VIEW IF NOT EXISTS v ENGINE = …` of unqualified names are rewritten; extend shared/platform/cluster-schema.ts',
  );
}

export function createClusterDatabaseStatement(target: ClusterTarget): string {
  checkTarget(target);
  return `CREATE DATABASE IF NOT EXISTS ${target.database} ON CLUSTER ${target.cluster}`;
}

/**
 * The migrations log on a cluster: every server is a replica of one table (a ZooKeeper path
 * without {shard}), so a migration applied ON CLUSTER through any server is recorded for all.
 * This needs {replica} to be unique across the whole cluster (a host name), as usual.
 */
export function clusterMigrationsTableStatement(target: ClusterTarget): string {
  checkTarget(target);
  return [
    `CREATE TABLE IF NOT EXISTS ${target.database}.schema_migrations ON CLUSTER ${target.cluster}`,
    '(name String, applied_at DateTime)',
    `ENGINE = ReplicatedMergeTree('/clickhouse/tables/all-shards/${target.database}/schema_migrations', '{replica}')`,
    'ORDER BY name',
  ].join(' ');
}
