import { type ClickHouseClient, type ClickHouseSettings, createClient } from '@clickhouse/client';
import type { Config } from '../../config.js';

/**
 * The settings every query and insert of the project runs with. On a cluster
 * (infra/clickhouse/cluster/README.md) three more, all present in 18.16 and current ClickHouse:
 * - `distributed_product_mode = 'local'`: an IN/JOIN subquery on a Distributed table inside a
 *   query on a Distributed table reads the shard's local table. Exact here because tables are
 *   sharded by tenant and every query is scoped to one tenant; the default ('deny') refuses
 *   these queries, and 'global' would ship every subquery result to all shards.
 * - `insert_distributed_sync = 1` (named `distributed_foreground_insert` in current ClickHouse,
 *   which keeps this name as an alias): an INSERT into a Distributed table returns once the shard
 *   has the rows. The consumer writes a profile's samples before its commit row and relies on
 *   that order; the default queues rows on the receiving server and sends them later.
 * - `insert_deduplicate = 0`: a Replicated table drops an inserted block identical to one of its
 *   last 100 (meant for blind retries of one INSERT). The consumer is idempotent through ingest
 *   ids and commit rows instead, and two chunks of one profile attempt may hold identical rows (a
 *   pprof may repeat a sample with the same stack and labels; Go merges them, other writers need
 *   not): measured on 18.16, the second chunk was dropped. Off, a cluster counts what one node does.
 */
export function clickhouseSettings(cluster: string | undefined): ClickHouseSettings {
  return {
    // 64-bit integers come back as JSON strings, so ids and nanosecond sums never pass through a
    // JS number (the default on 18.16 and current servers, made explicit here).
    output_format_json_quote_64bit_integers: 1,
    ...(cluster === undefined
      ? {}
      : { distributed_product_mode: 'local', insert_distributed_sync: 1, insert_deduplicate: 0 }),
  };
}

export function createClickHouseClient(settings: Config['clickhouse']): ClickHouseClient {
  return createClient({
    url: settings.url,
    username: settings.username,
    password: settings.password,
    database: settings.database,
    request_timeout: settings.requestTimeoutMs,
    clickhouse_settings: clickhouseSettings(settings.cluster),
  });
}
