import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../infra/local/prepare.js';
import type { Deps } from '../../shared/app/deps.js';
import { createUseCases, type UseCases } from '../../shared/app/use-cases.js';
import { clickhouseSettings } from '../../shared/platform/adapters/clickhouse/client.js';
import { createClickHouseDatabase } from '../../shared/platform/adapters/clickhouse/database.js';
import {
  clusterMigrationsTableStatement,
  createClusterDatabaseStatement,
} from '../../shared/platform/cluster-schema.js';
import { createDatabaseStatement, migrate, migrationStatements } from '../../shared/platform/migrations.js';
import { serverFeatures } from '../../shared/platform/schema-features.js';
import { identifier, Sql, sql } from '../../shared/platform/sql.js';
import { encodeEnvelope } from '../../shared/profiles/envelope.js';
import { encodeSpanEnvelope } from '../../shared/spans/envelope.js';
import { type ChdbDatabase, chdbInstalled, chdbPython, createChdbDatabase } from '../support/chdb-database.js';
import { createDifferentialDatabase, type DifferentialDatabase } from '../support/differential-database.js';
import { lambdaRecord } from '../support/kafka-records.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { testConfig, testDeps } from '../support/services.js';
import { storeRawProfile } from '../support/stored-profiles.js';
import { ddSpan, encodeV04 } from '../support/trace-payloads.js';

/**
 * Modern ClickHouse, verified: the same migrations, the same consumer writes and every query the
 * read side issues run on the local ClickHouse 18.16 server and on chDB (ClickHouse 26.x
 * in-process), and every statement must get the same answer from both
 * (test/support/differential-database.ts). The use cases see 18.16's answers, so what they return
 * is also checked as the other integration tests check it.
 */
const tenant = 'modern-a';
const service = 'checkout';
let legacyDeps: Deps;
let modern: ChdbDatabase;
let db: DifferentialDatabase;
let useCases: UseCases;
let offset = 0;
let profileId = '';
let brokenProfileId = '';

const traceId = 0x4bf92f3577b34da6a3ce929d0e0e4736n;
const traceLow = traceId & 0xffffffffffffffffn;
const rootSpan = 1001n;
const childSpan = 1002n;
const nowNs = BigInt(Date.now()) * 1_000_000n;
const payTrace = 0x77n;
const payRoot = 2001n;
const payChild = 2002n;
const lateTrace = 0x88n;
const lateSpan = 3001n;
const lastDateTimeSecond = 4_294_967_295n;

beforeAll(async () => {
  if (!chdbInstalled()) {
    throw new Error(`chDB is not installed at ${chdbPython()}: run bash infra/scripts/install-prereqs.sh`);
  }
  const base = testConfig();
  const database = `${base.clickhouse.database}_modern`;
  // A database of its own on 18.16, so both engines hold exactly the same rows.
  const admin = createClient({
    url: base.clickhouse.url,
    username: base.clickhouse.username,
    password: base.clickhouse.password,
  });
  try {
    await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  } finally {
    await admin.close();
  }
  // The smallest insert chunk, so a profile's rows reach each engine as many RowBinary inserts.
  legacyDeps = testDeps({ HOTSPOTS_CLICKHOUSE_DATABASE: database, HOTSPOTS_INSERT_CHUNK_BYTES: String(64 * 1024) });
  const legacy = legacyDeps.db;
  await createClickHouseDatabase(
    createClient({ url: base.clickhouse.url, username: base.clickhouse.username, password: base.clickhouse.password }),
  ).command(createDatabaseStatement(identifier(database)));
  modern = await createChdbDatabase(database);
  // Each engine migrates as it would in production: the schema as its version takes it.
  const migrations = readMigrations();
  expect(await migrate(legacy, migrations)).toEqual(migrations.map((m) => m.name).sort());
  expect(await migrate(modern, migrations)).toEqual(migrations.map((m) => m.name).sort());
  // 18.16 merges nothing in this database from here on, and chDB merges everything before the
  // queries: no answer may depend on when a server merged.
  const legacyTables = await legacy.query<{ name: string }>(
    sql`SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'`,
  );
  for (const { name } of legacyTables) await legacy.command(new Sql(`SYSTEM STOP MERGES \`${name}\``));
  db = createDifferentialDatabase(legacy, modern);
  useCases = createUseCases({ ...legacyDeps, db });
}, 300_000);

afterAll(async () => {
  await modern?.close();
  await legacyDeps?.close();
});

/** The differences recorded since the last call, one JSON line each (readable in a failure). */
const takeDifferences = () => db.differences.splice(0).map((difference) => JSON.stringify(difference));

const record = (value: Buffer, topic: string) => lambdaRecord(value, ++offset, topic);

describe('ClickHouse 26.x (chDB) beside 18.16', () => {
  it('runs every migration on ClickHouse 26.x', async () => {
    expect(modern.version).toMatch(/^2[4-9]\./);
    const tables = await db.query<{ name: string }>(
      // Materialized views' inner tables are named differently (`.inner.` on 18.16, `.inner_id.` in Atomic databases).
      sql`SELECT name FROM system.tables WHERE database = currentDatabase() AND NOT startsWith(name, '.inner') ORDER BY name`,
    );
    expect(tables.length).toBeGreaterThan(5);
    expect(takeDifferences()).toEqual([]);
  });

  it('parses the cluster schema (ReplicatedMergeTree + Distributed, ON CLUSTER) on ClickHouse 26.x', async () => {
    // Syntax only: chDB has no Keeper or remote servers to run it against (test/cluster runs it on 18.16).
    const target = { cluster: 'hotspots', database: 'hotspots' };
    const features = serverFeatures(modern.version);
    const statements = [
      createClusterDatabaseStatement(target),
      clusterMigrationsTableStatement(target),
      ...readMigrations().flatMap((migration) => migrationStatements(migration, target, features)),
    ];
    expect(statements.some((statement) => /\bTTL\b/.test(statement))).toBe(features.ttl);
    for (const statement of statements) {
      await expect(modern.query(new Sql(`EXPLAIN AST ${statement}`)), statement).resolves.not.toEqual([]);
    }
    expect(statements.filter((statement) => statement.includes('ENGINE = Distributed')).length).toBeGreaterThan(5);
  });

  it('accepts every setting the functions send, on a single node and on a cluster', async () => {
    // An unknown setting fails every statement (code 115): renamed settings must keep their alias.
    const settings = clickhouseSettings('hotspots');
    const list = Object.entries(settings).map(([name, value]) =>
      `${name} = ${JSON.stringify(value)}`.replaceAll('"', "'"),
    );
    expect(list.length).toBeGreaterThan(3);
    await expect(db.query(new Sql(`SELECT 1 AS one SETTINGS ${list.join(', ')}`))).resolves.toEqual([{ one: 1 }]);
    expect(takeDifferences()).toEqual([]);
  });

  it('ingests the same spans and profiles into both', async () => {
    const config = legacyDeps.config;
    const spans = [
      ddSpan({ trace_id: traceLow, span_id: rootSpan, parent_id: 0n, service, resource: 'GET /cart' }),
      ddSpan({ trace_id: traceLow, span_id: childSpan, parent_id: rootSpan, service, resource: 'SELECT cart' }),
      // A request whose samples carry span ids only (dd-trace-go >= 2.11): found from its span tree.
      ddSpan({ trace_id: payTrace, span_id: payRoot, parent_id: 0n, service, resource: 'POST /pay' }),
      ddSpan({ trace_id: payTrace, span_id: payChild, parent_id: payRoot, service, resource: 'charge' }),
      // Starts in the last hour DateTime can hold and ends past it.
      ddSpan({
        trace_id: lateTrace,
        span_id: lateSpan,
        parent_id: 0n,
        service: 'late',
        resource: 'GET /late',
        start: (lastDateTimeSecond - 600n) * 1_000_000_000n,
        duration: 3n * 3600n * 1_000_000_000n,
      }),
    ];
    const body = encodeV04([spans]);
    const batchId = crypto.randomUUID();
    const key = `raw/spans/${tenant}/test/${batchId}`;
    await legacyDeps.rawStore.put(key, body, 'application/octet-stream');
    const spanEnvelope = {
      v: 1 as const,
      kind: 'spans' as const,
      batch_id: batchId,
      tenant,
      format: 'datadog-v0.4' as const,
      encoding: 'identity' as const,
      received_at: new Date().toISOString(),
      s3: { bucket: config.s3.bucket, key },
      bytes: body.length,
      spans: spans.length,
    };
    // Twice, as at-least-once delivery may: the copies are rows until a merge replaces them.
    for (let delivery = 0; delivery < 2; delivery++) {
      expect(
        await useCases.processSpanRecords([record(encodeSpanEnvelope(spanEnvelope), config.kafka.spansTopic)]),
      ).toMatchObject({ processed: 1 });
    }

    const profile = buildCpuProfile({
      startNs: nowNs - 30_000_000_000n,
      samples: [
        {
          stack: ['cart.load', 'http.serve', 'main'],
          cpuNs: 120_000_000n,
          labels: {
            'trace endpoint': 'GET /cart',
            'span id': String(childSpan),
            'local root span id': String(rootSpan),
          },
        },
        {
          stack: ['cart.total', 'http.serve', 'main'],
          cpuNs: 70_000_000n,
          labels: {
            'trace endpoint': 'GET /cart',
            'span id': String(rootSpan),
            'local root span id': String(rootSpan),
          },
        },
        { stack: ['gc', 'runtime'], cpuNs: 30_000_000n },
        {
          stack: ['pay.charge', 'http.serve', 'main'],
          cpuNs: 50_000_000n,
          labels: { 'trace endpoint': 'POST /pay', 'span id': String(payChild) },
        },
      ],
    });
    const envelope = await storeRawProfile(legacyDeps.rawStore, config.s3.bucket, { tenant, service }, profile, {
      env: 'prod',
      version: '1.2.3',
    });
    profileId = envelope.profile_id;
    const topic = config.kafka.profilesTopic;
    expect(await useCases.processProfileRecords([record(encodeEnvelope(envelope), topic)])).toEqual({
      processed: 1,
      duplicate: 0,
      dead_lettered: 0,
    });
    // Redelivered: found committed on both.
    expect(await useCases.processProfileRecords([record(encodeEnvelope(envelope), topic)])).toEqual({
      processed: 0,
      duplicate: 1,
      dead_lettered: 0,
    });
    // Thousands of distinct stacks and spans: many chunks of samples, stacks and frames.
    const bulk = buildCpuProfile({
      startNs: nowNs - 20_000_000_000n,
      samples: Array.from({ length: 3000 }, (_, index) => ({
        stack: [`bulk.leaf${index % 700}`, `bulk.mid${index % 37}`, `bulk.handler${index % 5}`, 'main'],
        cpuNs: BigInt(30_000_000 + index),
        labels: {
          'trace endpoint': `GET /bulk/${index % 9}`,
          'span id': String(50_000 + index),
          'local root span id': String(40_000 + (index % 40)),
        },
      })),
    });
    const bulkEnvelope = await storeRawProfile(legacyDeps.rawStore, config.s3.bucket, { tenant, service }, bulk);
    expect(await useCases.processProfileRecords([record(encodeEnvelope(bulkEnvelope), topic)])).toMatchObject({
      processed: 1,
    });
    expect(db.writes.filter((write) => write.startsWith('INSERT INTO samples ')).length).toBeGreaterThan(3);
    // A profile in the last hour ClickHouse's DateTime can hold (it ends 2106-02-07T06:28:15Z).
    const late = buildCpuProfile({
      startNs: (lastDateTimeSecond - 60n) * 1_000_000_000n,
      samples: [
        {
          stack: ['late.work', 'main'],
          cpuNs: 40_000_000n,
          labels: {
            'trace endpoint': 'GET /late',
            'span id': String(lateSpan),
            'local root span id': String(lateSpan),
          },
        },
      ],
    });
    const lateEnvelope = await storeRawProfile(
      legacyDeps.rawStore,
      config.s3.bucket,
      { tenant, service: 'late' },
      late,
    );
    expect(await useCases.processProfileRecords([record(encodeEnvelope(lateEnvelope), topic)])).toMatchObject({
      processed: 1,
    });
    // Not a profile: dead-lettered, and its failure row written to both.
    const broken = await storeRawProfile(
      legacyDeps.rawStore,
      config.s3.bucket,
      { tenant, service },
      Buffer.from('not a pprof'),
    );
    brokenProfileId = broken.profile_id;
    expect(await useCases.processProfileRecords([record(encodeEnvelope(broken), topic)])).toMatchObject({
      dead_lettered: 1,
    });
    expect(takeDifferences()).toEqual([]);
  });
  it('answers every query route the same on both, merged on one and not the other', async () => {
    // Merges run when the server likes; answers must not depend on them. chDB merges everything
    // now; 18.16, its merges stopped, keeps every part (and the spans delivered twice as two rows).
    const tables = await modern.query<{ name: string }>(
      sql`SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'`,
    );
    for (const { name } of tables) await modern.command(new Sql(`OPTIMIZE TABLE \`${name}\` FINAL`));

    const now = Math.floor(Date.now() / 1000);
    const window = { from: String(now - 3600), to: String(now + 600) };
    const params = (extra: Record<string, string> = {}) => new URLSearchParams({ ...window, ...extra });
    const cartNs = 190_000_000n;
    const text = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? String(v) : v));

    expect(text(await useCases.listServices(tenant, params()))).toContain(service);
    expect(text(await useCases.listEndpoints(tenant, params({ service })))).toContain('GET /cart');
    const cpu = await useCases.endpointCpu(tenant, params({ service }));
    expect(cpu.endpoints.find((e) => e.endpoint === 'GET /cart')?.cpu_ns).toBe(cartNs);
    for (const group_by of ['endpoint', 'version']) {
      await useCases.timeseries(tenant, params({ service, step: '60', group_by }));
    }
    await useCases.timeseries(tenant, params({ service, step: '60', endpoint: 'GET /cart' }));
    for (const format of ['json', 'collapsed', 'pprof']) {
      await useCases.flamegraph(tenant, params({ service, format }));
    }
    await useCases.flamegraph(tenant, params({ service, endpoint: 'GET /cart' }));
    await useCases.flamegraph(tenant, new URLSearchParams({ span_id: String(childSpan) }));
    await useCases.flamegraph(tenant, new URLSearchParams({ local_root_span_id: String(rootSpan) }));
    await useCases.flamegraph(tenant, new URLSearchParams({ trace_id: traceId.toString(16).padStart(32, '0') }));
    expect(text(await useCases.spanHotspots(tenant, String(childSpan)))).toContain('cart.load');
    await useCases.traceView(tenant, traceLow.toString(16).padStart(32, '0'));
    expect(text(await useCases.profileStatus(tenant, profileId))).toContain('committed');
    expect(text(await useCases.ingestErrors(tenant, new URLSearchParams({ service })))).toContain('pprof');
    // Narrowed by env and version, and the request found from its span tree (a set of span ids).
    const prod = { service, env: 'prod', version: '1.2.3' };
    expect((await useCases.endpointCpu(tenant, params(prod))).endpoints.length).toBeGreaterThan(0);
    await useCases.endpointCpu(tenant, params({ ...prod, version: 'other' }));
    await useCases.timeseries(tenant, params({ ...prod, step: '60', group_by: 'version' }));
    await useCases.flamegraph(tenant, params({ ...prod, endpoint: 'POST /pay' }));
    expect(
      text(await useCases.flamegraph(tenant, new URLSearchParams({ local_root_span_id: String(payRoot) }))),
    ).toContain('pay.charge');
    await useCases.spanHotspots(tenant, String(payRoot));
    await useCases.spanHotspots(tenant, '50123');
    await useCases.flamegraph(tenant, new URLSearchParams({ local_root_span_id: '40007' }));
    await useCases.flamegraph(tenant, params({ service, endpoint: 'GET /bulk/4', format: 'collapsed' }));
    await useCases.spanHotspots(tenant, String(payChild));
    await useCases.traceView(tenant, payTrace.toString(16).padStart(32, '0'));
    await useCases.ingestErrors(tenant, new URLSearchParams());
    expect(text(await useCases.profileStatus(tenant, brokenProfileId))).toContain('failed');

    // A measure other than CPU, on every route kind (its lookups are the tables of migration 0008).
    const counts = { measure: 'wall' };
    await useCases.endpointCpu(tenant, params({ service, ...counts }));
    await useCases.listEndpoints(tenant, params({ service, ...counts }));
    await useCases.timeseries(tenant, params({ service, step: '60', group_by: 'endpoint', ...counts }));
    await useCases.flamegraph(tenant, params({ service, endpoint: 'GET /cart', ...counts }));
    await useCases.flamegraph(tenant, new URLSearchParams({ span_id: String(childSpan), ...counts }));
    await useCases.flamegraph(tenant, new URLSearchParams({ local_root_span_id: String(payRoot), ...counts }));
    await useCases.spanHotspots(tenant, String(rootSpan), new URLSearchParams(counts));
    await useCases.traceView(tenant, traceLow.toString(16).padStart(32, '0'), new URLSearchParams({ measure: 'wall' }));

    // The Pyroscope query API (Grafana), in protobuf JSON: labels, selectors, spans, series.
    const querier = async (method: string, request: Record<string, unknown>) => {
      const answer = await useCases.pyroscopeQuerier(tenant, method, {
        method: 'POST',
        path: `/querier.v1.QuerierService/${method}`,
        headers: { 'content-type': 'application/json' },
        query: new URLSearchParams(),
        pathParameters: { method },
        body: Buffer.from(JSON.stringify(request)),
        bodyIsBinary: true,
      });
      expect(answer.statusCode, `${method}: ${answer.body}`).toBe(200);
      return String(answer.body);
    };
    const range = { start: String((now - 3600) * 1000), end: String((now + 600) * 1000) };
    const cpuType = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
    const ofService = `{service_name="${service}"}`;
    expect(await querier('ProfileTypes', range)).toContain(cpuType);
    expect(await querier('LabelNames', { matchers: [ofService], ...range })).toContain('trace_endpoint');
    await querier('LabelValues', { name: 'trace_endpoint', matchers: [ofService], ...range });
    await querier('Series', { matchers: [ofService], labelNames: ['trace_endpoint'], ...range });
    for (const labelSelector of [ofService, `{service_name="${service}", trace_endpoint=~"GET .*"}`]) {
      await querier('SelectMergeStacktraces', { profileTypeID: cpuType, labelSelector, maxNodes: '100', ...range });
    }
    const spanHex = childSpan.toString(16).padStart(16, '0');
    await querier('SelectMergeSpanProfile', {
      profileTypeID: cpuType,
      labelSelector: ofService,
      spanSelector: [spanHex],
      ...range,
    });
    await querier('SelectSeries', {
      profileTypeID: cpuType,
      labelSelector: ofService,
      groupBy: ['trace_endpoint'],
      step: 60,
      ...range,
    });
    await querier('SelectMergeProfile', { profileTypeID: cpuType, labelSelector: ofService, ...range });

    // The end of DateTime's range: the late profile, and nothing past it.
    const edge = { from: String(lastDateTimeSecond - 3600n), to: String(lastDateTimeSecond) };
    const lateCpu = await useCases.endpointCpu(tenant, new URLSearchParams({ ...edge, service: 'late' }));
    expect(lateCpu.endpoints.map((e) => [e.endpoint, e.cpu_ns])).toEqual([['GET /late', 40_000_000n]]);
    await useCases.flamegraph(tenant, new URLSearchParams({ ...edge, service: 'late' }));
    await useCases.timeseries(tenant, new URLSearchParams({ ...edge, service: 'late', step: '60' }));
    await useCases.listServices(tenant, new URLSearchParams(edge));
    expect(text(await useCases.spanHotspots(tenant, String(lateSpan)))).toContain('late.work');
    expect(text(await useCases.traceView(tenant, lateTrace.toString(16).padStart(32, '0')))).toContain('late');
    expect(db.statements.length).toBeGreaterThan(15);
    expect(takeDifferences()).toEqual([]);
  });

  it('notices when the engines answer differently', async () => {
    // The two versions differ here by design: the check above could not pass by comparing nothing.
    await db.query(sql`SELECT version() AS version`);
    expect(takeDifferences()).toHaveLength(1);
  });
});
