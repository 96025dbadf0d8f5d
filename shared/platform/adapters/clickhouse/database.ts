import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import { unavailable } from '../../errors.js';
import type { SqlDatabase } from '../../ports.js';
import type { Sql } from '../../sql.js';

/**
 * The ClickHouse port over @clickhouse/client. Statements arrive already bound by shared/platform/sql.ts
 * (ClickHouse 18.16 has no query parameters). Every failure here is a dependency failure and
 * retriable: malformed rows are caught before they reach ClickHouse.
 */
export function createClickHouseDatabase(client: ClickHouseClient): SqlDatabase {
  const failed = (what: string, error: unknown) =>
    unavailable(`ClickHouse ${what} failed: ${(error as Error).message}`, error);
  return {
    async query<T>(statement: Sql): Promise<T[]> {
      try {
        const result = await client.query({ query: statement.text, format: 'JSONEachRow' });
        return await result.json<T>();
      } catch (error) {
        throw failed('query', error);
      }
    },
    async insert(table, rows) {
      if (rows.length === 0) return;
      try {
        await client.insert({ table, values: rows as object[], format: 'JSONEachRow' });
      } catch (error) {
        throw failed(`insert into ${table}`, error);
      }
    },
    async insertRowBinary(table, columns, rows) {
      if (rows.length === 0) return;
      try {
        // The client's insert() takes text formats only; exec() streams any body to an INSERT.
        const result = await client.exec({
          query: `INSERT INTO ${table} (${columns.join(', ')}) FORMAT RowBinary`,
          values: Readable.from([rows], { objectMode: false }),
        });
        await drain(result.stream);
      } catch (error) {
        throw failed(`insert into ${table}`, error);
      }
    },
    async command(statement) {
      try {
        await client.command({ query: statement.text });
      } catch (error) {
        throw failed('command', error);
      }
    },
    async ping() {
      const answer = await client.ping();
      if (!answer.success) throw failed('ping', answer.error);
    },
  };
}

async function drain(stream: Readable): Promise<void> {
  stream.resume();
  await finished(stream);
}
