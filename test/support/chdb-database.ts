import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { clickhouseFailure } from '../../shared/platform/adapters/clickhouse/database.js';
import type { SqlDatabase } from '../../shared/platform/ports.js';
import { identifier, type Sql, sql } from '../../shared/platform/sql.js';

/**
 * The SqlDatabase port over chDB: ClickHouse 26.9 in-process in a Python child
 * (test/support/chdb/server.py, installed by infra/scripts/install-prereqs.sh from
 * test/support/chdb/requirements.txt). It takes the same statements as the HTTP adapter, and owns
 * what differs in how they travel: external tables (sql.ts `uint64Set`) become temporary tables of
 * the same name, RowBinary and JSONEachRow inserts go through `INSERT … FROM INFILE`. Failures are
 * classified as the HTTP adapter's are (clickhouseFailure reads the same `Code: N.` messages).
 */
export interface ChdbDatabase extends SqlDatabase {
  /** `SELECT version()` of the engine, e.g. `26.9.2.1`. */
  readonly version: string;
  close(): Promise<void>;
}

const serverScript = fileURLToPath(new URL('./chdb/server.py', import.meta.url));

/** The venv's Python; HOTSPOTS_CHDB_PYTHON overrides it. */
export function chdbPython(): string {
  const cache = process.env.HOTSPOTS_CACHE_DIR ?? join(homedir(), '.cache', 'hotspots');
  return process.env.HOTSPOTS_CHDB_PYTHON ?? join(cache, 'chdb-venv', 'bin', 'python');
}

export const chdbInstalled = (): boolean => existsSync(chdbPython());

interface Answer {
  ok: boolean;
  body?: string;
  error?: string;
}

type Request =
  | { op: 'query' | 'command'; sql: string; tables: { name: string; structure: string; rows: string }[] }
  | {
      op: 'insert';
      table: string;
      columns: readonly string[] | null;
      format: 'RowBinary' | 'JSONEachRow';
      data: string;
    };

/** One engine process: requests are answered one at a time, in the order sent. */
class ChdbProcess {
  private readonly pending: { resolve: (answer: Answer) => void; reject: (error: Error) => void }[] = [];
  private exited: Error | undefined;
  private stderr = '';

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => this.pending.shift()?.resolve(JSON.parse(line)));
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.on('exit', (code, signal) => {
      this.exited = new Error(`chDB engine exited (${signal ?? `code ${code}`}): ${this.stderr}`);
      for (const waiter of this.pending.splice(0)) waiter.reject(this.exited);
    });
  }

  /** The first line the server writes, before any request. */
  ready(): Promise<Answer> {
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  send(request: Request): Promise<string> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<Answer>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    }).then((answer) => {
      if (!answer.ok) throw new Error(answer.error ?? 'chDB failed without a message');
      return answer.body ?? '';
    });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exit = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exit;
  }
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

function parseRows<T>(body: string): T[] {
  return body
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Starts an engine with `database` created and current (the HTTP adapter's `database` setting). */
export async function createChdbDatabase(database: string): Promise<ChdbDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hotspots-chdb-'));
  const engine = new ChdbProcess(spawn(chdbPython(), [serverScript, dataDir], { stdio: 'pipe' }));
  const first = await engine.ready();
  if (!first.ok) throw new Error(`chDB did not start: ${first.error}`);
  const [{ version } = { version: '' }] = parseRows<{ version: string }>(first.body ?? '');
  const statement = (text: Sql) => ({
    sql: text.text,
    tables: text.tables.map((table) => ({ name: table.name, structure: table.structure, rows: base64(table.rows) })),
  });
  const db: ChdbDatabase = {
    version,
    async query<T>(text: Sql): Promise<T[]> {
      try {
        return parseRows<T>(await engine.send({ op: 'query', ...statement(text) }));
      } catch (error) {
        throw clickhouseFailure('query', error);
      }
    },
    async insert(table, rows) {
      if (rows.length === 0) return;
      const data = Buffer.from(rows.map((row) => `${JSON.stringify(row)}\n`).join(''), 'utf8');
      try {
        await engine.send({ op: 'insert', table, columns: null, format: 'JSONEachRow', data: base64(data) });
      } catch (error) {
        throw clickhouseFailure(`insert into ${table}`, error);
      }
    },
    async insertRowBinary(table, columns, rows) {
      if (rows.length === 0) return;
      try {
        // Encoded before resolving: the caller may reuse `rows` once this returns.
        await engine.send({ op: 'insert', table, columns, format: 'RowBinary', data: base64(rows) });
      } catch (error) {
        throw clickhouseFailure(`insert into ${table}`, error);
      }
    },
    async command(text) {
      if (text.tables.length > 0) throw new TypeError('external tables go with SELECT statements only');
      try {
        await engine.send({ op: 'command', ...statement(text) });
      } catch (error) {
        throw clickhouseFailure('command', error);
      }
    },
    async ping() {
      await db.query(sql`SELECT 1`);
    },
    async close() {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await db.command(sql`CREATE DATABASE IF NOT EXISTS ${identifier(database)}`);
    await db.command(sql`USE ${identifier(database)}`);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
