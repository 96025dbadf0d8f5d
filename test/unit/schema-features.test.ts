import { describe, expect, it } from 'vitest';
import { readMigrations } from '../../infra/local/prepare.js';
import { migrationStatements } from '../../shared/platform/migrations.js';
import { adaptStatement, currentServer, serverFeatures } from '../../shared/platform/schema-features.js';

const withTtl =
  'CREATE TABLE IF NOT EXISTS t (\n  tenant String,\n  at DateTime\n) ENGINE = MergeTree\nORDER BY tenant\nTTL at + INTERVAL 30 DAY';

describe('serverFeatures', () => {
  it.each([
    ['18.16.1', false],
    ['19.5.4.22', false],
    ['19.6.1', true],
    ['20.3.1', true],
    ['25.8.2.29', true],
    ['26.9.1', true],
  ])('gives ClickHouse %s table TTL: %s', (version, ttl) => {
    expect(serverFeatures(version).ttl).toBe(ttl);
  });

  it('assumes a current server when the version does not parse', () => {
    expect(serverFeatures('unknown')).toEqual(currentServer);
  });
});

describe('adaptStatement', () => {
  it('drops the TTL line for a server without TTL, and nothing else', () => {
    expect(adaptStatement(withTtl, { ttl: false })).toBe(
      'CREATE TABLE IF NOT EXISTS t (\n  tenant String,\n  at DateTime\n) ENGINE = MergeTree\nORDER BY tenant',
    );
  });

  it('keeps the statement whole for a server with TTL', () => {
    expect(adaptStatement(withTtl, currentServer)).toBe(withTtl);
  });

  it('keeps columns whose names start with ttl', () => {
    const statement =
      'CREATE TABLE IF NOT EXISTS t (\n  tenant String,\n  ttl_days UInt8\n) ENGINE = MergeTree ORDER BY tenant';

    expect(adaptStatement(statement, { ttl: false })).toBe(statement);
  });
});

describe('the migrations on ClickHouse 18.16', () => {
  it('keep ingest_failures’ 30-day TTL on current servers only', () => {
    const migration = readMigrations().find((m) => m.name === '0007_ingest_failures.sql');
    if (!migration) throw new Error('migration 0007_ingest_failures.sql is missing');

    const [current] = migrationStatements(migration);
    const [old] = migrationStatements(migration, undefined, serverFeatures('18.16.1'));

    expect(current).toMatch(/\nTTL failed_at \+ INTERVAL 30 DAY$/);
    expect(old).not.toMatch(/TTL/);
  });
});
