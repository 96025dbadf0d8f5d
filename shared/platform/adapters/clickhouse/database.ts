import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type ClickHouseClient, ClickHouseError } from '@clickhouse/client';
import { type HotspotsError, internal, unavailable } from '../../errors.js';
import type { SqlDatabase } from '../../ports.js';
import type { Sql } from '../../sql.js';

/**
 * ClickHouse exception codes (ErrorCodes.cpp; the same numbers on 18.16 and current servers) that
 * the statement itself causes: the same statement fails the same way on every retry. Everything
 * else — network, timeouts, memory, too many parts, a table not migrated yet, credentials — is
 * the environment's, and a retry (or an operator) can fix it.
 */
const STATEMENT_FAULTS: ReadonlyMap<number, string> = new Map([
  [6, 'CANNOT_PARSE_TEXT'],
  [26, 'CANNOT_PARSE_QUOTED_STRING'],
  [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
  [34, 'TOO_MANY_ARGUMENTS_FOR_FUNCTION'],
  [35, 'TOO_FEW_ARGUMENTS_FOR_FUNCTION'],
  [38, 'CANNOT_PARSE_DATE'],
  [41, 'CANNOT_PARSE_DATETIME'],
  [42, 'NUMBER_OF_ARGUMENTS_DOESNT_MATCH'],
  [43, 'ILLEGAL_TYPE_OF_ARGUMENT'],
  [44, 'ILLEGAL_COLUMN'],
  [46, 'UNKNOWN_FUNCTION'],
  [47, 'UNKNOWN_IDENTIFIER'],
  [50, 'UNKNOWN_TYPE'],
  [53, 'TYPE_MISMATCH'],
  [62, 'SYNTAX_ERROR'], // also "Max query size exceeded" on 18.16
  [63, 'UNKNOWN_AGGREGATE_FUNCTION'],
  [70, 'CANNOT_CONVERT_TYPE'],
  [72, 'CANNOT_PARSE_NUMBER'],
  [115, 'UNKNOWN_SETTING'],
  [117, 'INCORRECT_DATA'],
  [130, 'CANNOT_READ_ARRAY_FROM_TEXT'],
  [167, 'TOO_DEEP_AST'],
  [168, 'TOO_BIG_AST'],
  [179, 'MULTIPLE_EXPRESSIONS_FOR_ALIAS'],
  [184, 'ILLEGAL_AGGREGATION'],
  [215, 'NOT_AN_AGGREGATE'],
  [352, 'AMBIGUOUS_COLUMN_NAME'],
  [386, 'NO_COMMON_TYPE'],
  [393, 'QUERY_IS_TOO_LARGE'],
  [407, 'DECIMAL_OVERFLOW'],
]);

/**
 * The exception code of a ClickHouse error: the client parses current servers' errors into a
 * ClickHouseError; 18.16's form (`Code: 62, e.displayText() = …`) reaches us as a plain Error.
 */
function exceptionCodeOf(error: unknown): number | undefined {
  if (error instanceof ClickHouseError) return Number(error.code);
  const match = error instanceof Error ? /^Code: (\d+)[,.]/.exec(error.message) : null;
  return match ? Number(match[1]) : undefined;
}

/** What went wrong, in words that carry no host, statement or data: a code, a Node error code or "timeout". */
function failureReason(code: number | undefined, error: unknown): string {
  if (code !== undefined) return `code ${code}`;
  const nodeCode = (error as { code?: unknown } | undefined)?.code;
  if (typeof nodeCode === 'string' && /^E[A-Z_]+$/.test(nodeCode)) return nodeCode;
  if (error instanceof Error && /timeout/i.test(error.message)) return 'timeout';
  return error instanceof Error && error.message === '' ? 'an error answer without a body' : 'no answer';
}

/**
 * A failed call as our error. ClickHouse's own text stays in `cause` (logged, never answered):
 * it can quote the statement, and with it tenant names, ids and the schema.
 */
export function clickhouseFailure(what: string, error: unknown): HotspotsError {
  const code = exceptionCodeOf(error);
  const fault = code === undefined ? undefined : STATEMENT_FAULTS.get(code);
  if (fault !== undefined) return internal(`ClickHouse refused the ${what}: ${fault} (code ${code})`, error);
  return unavailable(`ClickHouse ${what} failed (${failureReason(code, error)})`, error);
}

/**
 * The ClickHouse port over @clickhouse/client. Statements arrive already bound by shared/platform/sql.ts
 * (ClickHouse 18.16 has no query parameters). Failures are classified by clickhouseFailure: a
 * statement ClickHouse can never run is not retriable (a 500, or a dead letter for the consumer);
 * anything else is a dependency failure and retriable.
 */
export function createClickHouseDatabase(client: ClickHouseClient): SqlDatabase {
  const failed = clickhouseFailure;
  return {
    async query<T>(statement: Sql): Promise<T[]> {
      try {
        if (statement.tables.length > 0) return await queryWithTables<T>(client, statement);
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
      if (statement.tables.length > 0) throw new TypeError('external tables go with SELECT statements only');
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

/**
 * A SELECT with external tables (sql.ts `ExternalTable`), as ClickHouse's HTTP interface takes
 * them: the statement in the URL, each table a multipart/form-data part named after it, and its
 * `<name>_structure` and `<name>_format` beside the statement (the client sends settings as URL
 * parameters; the server reads these ones as the tables' descriptions). The client's query()
 * sends no body of ours, so this goes through exec(), and the rows are read as query() would.
 */
async function queryWithTables<T>(client: ClickHouseClient, statement: Sql): Promise<T[]> {
  const boundary = `hotspots-${randomUUID()}`;
  const parts: Buffer[] = [];
  const descriptions: Record<string, string> = {};
  for (const table of statement.tables) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${table.name}"; filename="${table.name}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      Buffer.from(table.rows.buffer, table.rows.byteOffset, table.rows.byteLength),
      Buffer.from('\r\n'),
    );
    descriptions[`${table.name}_structure`] = table.structure;
    descriptions[`${table.name}_format`] = 'RowBinary';
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const body = Buffer.concat(parts);
  const result = await client.exec({
    query: `${statement.text}\nFORMAT JSONEachRow`,
    values: Readable.from([body], { objectMode: false }),
    clickhouse_settings: descriptions,
    http_headers: {
      'Content-Type': `multipart/form-data; boundary=${boundary}`,
      // Not chunked: after a chunked multipart body, 18.16 failed about 1 in 200 of the statements
      // that followed on the same kept-alive socket with an empty error answer (measured; none in
      // 2,100 with a length), as if the body's end were left on the socket.
      'Content-Length': String(body.length),
    },
  });
  const chunks: Buffer[] = [];
  for await (const chunk of result.stream) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      // An exception met while streaming comes after a 200, as a line of text in the body.
      if (line.startsWith('Code: ')) throw new Error(line);
      return JSON.parse(line) as T;
    });
}

async function drain(stream: Readable): Promise<void> {
  stream.resume();
  await finished(stream);
}
