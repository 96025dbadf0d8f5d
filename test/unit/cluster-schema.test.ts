import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMigrations } from '../../infra/local/prepare.js';
import { repoRoot } from '../../infra/local/settings.js';
import { ClusterSchemaError, clusterStatements } from '../../shared/platform/cluster-schema.js';
import { migrationStatements, renderClusterSchema, splitStatements } from '../../shared/platform/migrations.js';

const target = { cluster: 'prod', database: 'hs' };

describe('clusterStatements', () => {
  it('turns a table into a replicated local table and a Distributed table sharded by tenant', () => {
    const statements = clusterStatements(
      'CREATE TABLE IF NOT EXISTS frames (\n  tenant String,\n  frame_id UInt64\n) ENGINE = ReplacingMergeTree\nORDER BY (tenant, frame_id)',
      target,
    );

    expect(statements).toEqual([
      "CREATE TABLE IF NOT EXISTS hs.frames_local ON CLUSTER prod (\n  tenant String,\n  frame_id UInt64\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/hs/frames_local', '{replica}')\nORDER BY (tenant, frame_id)",
      'CREATE TABLE IF NOT EXISTS hs.frames ON CLUSTER prod AS hs.frames_local\nENGINE = Distributed(prod, hs, frames_local, cityHash64(tenant))',
    ]);
  });

  it('keeps the engine arguments after the ZooKeeper path and replica name', () => {
    const [local] = clusterStatements(
      'CREATE TABLE IF NOT EXISTS spans (tenant String, v UInt64) ENGINE = ReplacingMergeTree(v) ORDER BY tenant',
      target,
    );

    expect(local).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/hs/spans_local', '{replica}', v)",
    );
  });

  it('makes a materialised view read the local tables of its own shard', () => {
    const [local, distributed] = clusterStatements(
      'CREATE MATERIALIZED VIEW IF NOT EXISTS by_span\nENGINE = SummingMergeTree\nORDER BY (tenant, span_id)\nPOPULATE\nAS SELECT tenant, span_id, sum(value) AS value\nFROM samples\nWHERE span_id != 0 GROUP BY tenant, span_id',
      target,
    );

    expect(local).toBe(
      "CREATE MATERIALIZED VIEW IF NOT EXISTS hs.by_span_local ON CLUSTER prod\nENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/hs/by_span_local', '{replica}')\nORDER BY (tenant, span_id)\nPOPULATE\nAS SELECT tenant, span_id, sum(value) AS value\nFROM hs.samples_local\nWHERE span_id != 0 GROUP BY tenant, span_id",
    );
    expect(distributed).toBe(
      'CREATE TABLE IF NOT EXISTS hs.by_span ON CLUSTER prod AS hs.by_span_local\nENGINE = Distributed(prod, hs, by_span_local, cityHash64(tenant))',
    );
  });

  it('rewrites every source of a view, joined ones included', () => {
    const [local] = clusterStatements(
      'CREATE MATERIALIZED VIEW IF NOT EXISTS v ENGINE = MergeTree ORDER BY tenant AS SELECT tenant, x FROM a ANY LEFT JOIN b USING tenant',
      target,
    );

    expect(local).toContain('FROM hs.a_local ANY LEFT JOIN hs.b_local USING tenant');
  });

  it.each([
    ['an ALTER', 'ALTER TABLE samples ADD COLUMN x UInt8'],
    ['a table without IF NOT EXISTS', 'CREATE TABLE t (tenant String) ENGINE = MergeTree ORDER BY tenant'],
    [
      'a table without a tenant column',
      'CREATE TABLE IF NOT EXISTS t (owner String) ENGINE = MergeTree ORDER BY owner',
    ],
    ['an engine without a Replicated form', 'CREATE TABLE IF NOT EXISTS t (tenant String) ENGINE = Log'],
    [
      'an engine that is Replicated already',
      "CREATE TABLE IF NOT EXISTS t (tenant String) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY tenant",
    ],
    [
      'the pre-2018 MergeTree syntax',
      'CREATE TABLE IF NOT EXISTS t (tenant String, d Date) ENGINE = MergeTree(d, (tenant), 8192)',
    ],
    [
      'engine arguments in nested parentheses',
      'CREATE TABLE IF NOT EXISTS t (tenant String, a UInt8) ENGINE = SummingMergeTree((a)) ORDER BY tenant',
    ],
    ['a qualified table name', 'CREATE TABLE IF NOT EXISTS db.t (tenant String) ENGINE = MergeTree ORDER BY tenant'],
    ['a view writing TO a table', 'CREATE MATERIALIZED VIEW IF NOT EXISTS v TO t AS SELECT tenant FROM s'],
    [
      'a view that does not select tenant',
      'CREATE MATERIALIZED VIEW IF NOT EXISTS v ENGINE = MergeTree ORDER BY x AS SELECT x FROM s',
    ],
    [
      'a view over a qualified source',
      'CREATE MATERIALIZED VIEW IF NOT EXISTS v ENGINE = MergeTree ORDER BY tenant AS SELECT tenant FROM other.s',
    ],
  ])('refuses %s rather than create a single-node table on a cluster', (_what, statement) => {
    expect(() => clusterStatements(statement, target)).toThrow(ClusterSchemaError);
  });

  it.each([
    { cluster: 'prod; DROP TABLE x', database: 'hs' },
    { cluster: 'prod', database: 'hs-1' },
  ])('refuses names that are not plain identifiers: %j', (bad) => {
    expect(() =>
      clusterStatements('CREATE TABLE IF NOT EXISTS t (tenant String) ENGINE = MergeTree ORDER BY tenant', bad),
    ).toThrow(TypeError);
  });
});

describe('the migrations on a cluster', () => {
  const migrations = readMigrations();
  const created = (statements: string[], pattern: RegExp) =>
    statements.map((s) => pattern.exec(s)?.[1]).filter((name): name is string => name !== undefined);

  it('gives every single-node table and view a replicated local twin and a Distributed table of its name', () => {
    const single = migrations.flatMap((m) => migrationStatements(m));
    const onCluster = migrations.flatMap((m) => migrationStatements(m, target));
    const names = created(single, /^CREATE (?:TABLE|MATERIALIZED VIEW) IF NOT EXISTS (\w+)/);

    expect(names).toHaveLength(15);
    expect(
      created(onCluster, /^CREATE (?:TABLE|MATERIALIZED VIEW) IF NOT EXISTS hs\.(\w+_local) ON CLUSTER prod\b/),
    ).toEqual(names.map((name) => `${name}_local`));
    expect(
      created(onCluster, /^CREATE TABLE IF NOT EXISTS hs\.(\w+) ON CLUSTER prod AS .*\nENGINE = Distributed\(/),
    ).toEqual(names);
    expect(onCluster.filter((s) => /\bFROM (?!hs\.\w+_local\b)/.test(s))).toEqual([]);
  });

  it('leaves the single-node statements as written', () => {
    for (const migration of migrations) {
      expect(migrationStatements(migration)).toEqual(splitStatements(migration.text));
    }
  });

  it('is written out for reviewers in infra/clickhouse/cluster/schema.sql', () => {
    const committed = readFileSync(join(repoRoot, 'infra', 'clickhouse', 'cluster', 'schema.sql'), 'utf8');

    // Regenerate with: node --import tsx infra/local/migrate-cli.ts --print-cluster-schema > infra/clickhouse/cluster/schema.sql
    expect(committed).toBe(renderClusterSchema(migrations, { cluster: 'hotspots', database: 'hotspots' }));
  });
});
