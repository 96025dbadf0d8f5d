import { readMigrations } from '../../infra/local/prepare.js';
import type { Deps } from '../../shared/app/deps.js';
import { migrate } from '../../shared/platform/migrations.js';
import type { SqlDatabase } from '../../shared/platform/ports.js';
import { type ChdbDatabase, createChdbDatabase } from './chdb-database.js';
import { createDifferentialDatabase } from './differential-database.js';

/**
 * HOTSPOTS_TEST_MODERN_CLICKHOUSE=1 runs an existing services test with its ClickHouse port
 * doubled: every statement also runs on chDB (ClickHouse 26.x, one migrated engine per test worker,
 * fed every write the test makes), and closing the deps fails when any answer differed. The 18.16
 * database is shared with the rest of the run while chDB holds this file's rows only, so it suits
 * tests whose queries are scoped to their own services or ids.
 */
export const modernClickHouseRequested = () => process.env.HOTSPOTS_TEST_MODERN_CLICKHOUSE === '1';

let engine: Promise<ChdbDatabase> | undefined;

function sharedEngine(database: string): Promise<ChdbDatabase> {
  engine ??= createChdbDatabase(database).then(async (modern) => {
    await migrate(modern, readMigrations());
    return modern;
  });
  return engine;
}

/** A SqlDatabase that waits for the shared engine before every call. */
function lazy(ready: Promise<SqlDatabase>): SqlDatabase {
  return {
    query: async (statement) => (await ready).query(statement),
    insert: async (table, rows) => (await ready).insert(table, rows),
    insertRowBinary: async (table, columns, rows) => (await ready).insertRowBinary(table, columns, rows),
    command: async (statement) => (await ready).command(statement),
    ping: async () => (await ready).ping(),
  };
}

export function withModernClickHouse(deps: Deps): Deps {
  const db = createDifferentialDatabase(deps.db, lazy(sharedEngine(deps.config.clickhouse.database)));
  return {
    ...deps,
    db,
    async close() {
      await deps.close();
      // The engine stays up for the worker's other deps; it exits with the worker (its stdin closes).
      const found = db.differences.splice(0);
      if (found.length > 0) {
        throw new Error(
          `ClickHouse 18.16 and chDB ${(await sharedEngine(deps.config.clickhouse.database)).version} answered ${found.length} statement(s) differently:\n${found.map((d) => JSON.stringify(d).slice(0, 1500)).join('\n')}`,
        );
      }
    },
  };
}
