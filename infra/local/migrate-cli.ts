import { loadConfig } from '../../shared/platform/config.js';
import { renderClusterSchema } from '../../shared/platform/migrations.js';
import { migrateClickHouse, readMigrations } from './prepare.js';

/**
 * Applies the ClickHouse migrations to the server named by HOTSPOTS_CLICKHOUSE_URL / _USER /
 * _PASSWORD / _DATABASE (shared/platform/config.ts) — the production path. With HOTSPOTS_CLICKHOUSE_CLUSTER
 * set, the cluster schema is created ON CLUSTER through that server (infra/clickhouse/cluster/).
 *
 *   node --import tsx infra/local/migrate-cli.ts
 *   node --import tsx infra/local/migrate-cli.ts --print-cluster-schema > infra/clickhouse/cluster/schema.sql
 *
 * The second form prints the cluster DDL without connecting (cluster `hotspots` unless configured).
 */
const { clickhouse } = loadConfig();
if (process.argv[2] === '--print-cluster-schema') {
  process.stdout.write(
    renderClusterSchema(readMigrations(), { cluster: clickhouse.cluster ?? 'hotspots', database: clickhouse.database }),
  );
} else if (process.argv[2] === undefined) {
  const applied = await migrateClickHouse(clickhouse.url, clickhouse.database, clickhouse);
  const where = clickhouse.cluster ? `cluster ${clickhouse.cluster}` : 'single node';
  console.log(`ClickHouse ${where}, database ${clickhouse.database}: ${applied.join(', ') || 'up to date'}`);
} else {
  console.error('usage: migrate-cli.ts [--print-cluster-schema]');
  process.exit(2);
}
