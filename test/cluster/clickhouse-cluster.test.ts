import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClusterServer,
  serverUrl,
  startTestCluster,
  stopTestCluster,
  testCluster,
  testClusterPrerequisite,
} from '../../infra/local/cluster.js';
import { migrateClickHouse, readMigrations } from '../../infra/local/prepare.js';
import { createClickHouseClient } from '../../shared/platform/adapters/clickhouse/client.js';
import { createClickHouseDatabase } from '../../shared/platform/adapters/clickhouse/database.js';
import { type Config, loadConfig } from '../../shared/platform/config.js';
import { notFound } from '../../shared/platform/errors.js';
import type { KafkaEventRecord } from '../../shared/platform/kafka-event.js';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import { createLogger } from '../../shared/platform/logger.js';
import { migrationStatements } from '../../shared/platform/migrations.js';
import type { RawPayloadStore, SqlDatabase } from '../../shared/platform/ports.js';
import { serverFeatures } from '../../shared/platform/schema-features.js';
import { identifier, Sql, sql, tuple } from '../../shared/platform/sql.js';
import { createProfileDecoder } from '../../shared/pprof/index.js';
import type { ProfileEnvelope } from '../../shared/profiles/envelope.js';
import { processProfileRecords } from '../../shared/profiles/process-profiles.js';
import { endpointCpu } from '../../shared/query/endpoint-cpu.js';
import { flamegraph } from '../../shared/query/flamegraph.js';
import { ingestErrors } from '../../shared/query/ingest-errors.js';
import { CPU, parseMeasure } from '../../shared/query/measures.js';
import { profileStatus } from '../../shared/query/profile-status.js';
import { spanHotspots } from '../../shared/query/span-hotspots.js';
import { timeseries } from '../../shared/query/timeseries.js';
import { traceView } from '../../shared/query/trace-view.js';
import type { SpanEnvelope } from '../../shared/spans/envelope.js';
import { processSpanRecords } from '../../shared/spans/process-spans.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { profileEnvelope } from '../support/stored-profiles.js';
import { ddSpan, encodeV04 } from '../support/trace-payloads.js';

/**
 * The migration switch on a real cluster: ZooKeeper and two ClickHouse 18.16 servers (2 shards x
 * 1 replica, infra/local/cluster.ts). The migrations run through HOTSPOTS_CLICKHOUSE_CLUSTER, the
 * consumer writes two tenants through the Distributed tables, and the query use cases must answer
 * exactly what one node answers for the same rows (a plain single-node database on server 1,
 * filled with a copy of the cluster's rows).
 */
const cluster = testCluster();
const unavailable = testClusterPrerequisite(cluster);
const [server1, server2] = cluster.servers as [ClusterServer, ClusterServer];
const CLUSTER_DB = 'hotspots';
const SINGLE_DB = 'single_node';
const SERVICE = 'shop';
const MS = 1_000_000n;

/** Same ids in both tenants: a query that crossed tenants (or shards) would mix their CPU. */
const ids = { rootA: '1001', childA: '1002', grandchildA: '1003', rootB: '2001', traceA: 7001n, traceB: 7002n };

const configFor = (server: ClusterServer, overrides: Record<string, string>): Config =>
  loadConfig({
    HOTSPOTS_CLICKHOUSE_URL: serverUrl(cluster, server),
    HOTSPOTS_CLICKHOUSE_DATABASE: CLUSTER_DB,
    HOTSPOTS_CLICKHOUSE_CLUSTER: cluster.name,
    HOTSPOTS_LOG_LEVEL: 'warn',
    ...overrides,
  });

function memoryStore(): RawPayloadStore {
  const objects = new Map<string, Uint8Array>();
  return {
    async put(key, bytes) {
      objects.set(key, bytes);
    },
    async get(key) {
      const bytes = objects.get(key);
      if (!bytes) throw notFound(`no object ${key}`);
      return bytes;
    },
    async ping() {},
  };
}

let offset = 0;
const record = (topic: string, value: object): KafkaEventRecord => ({
  topic,
  partition: 0,
  offset: offset++,
  timestamp: Date.now(),
  timestampType: 'CREATE_TIME',
  key: null,
  value: Buffer.from(JSON.stringify(value)).toString('base64'),
  headers: [],
});

describe('ClickHouse cluster through the migration switch', () => {
  const clients: ClickHouseClient[] = [];
  const connect = (config: Config['clickhouse']): SqlDatabase => {
    const client = createClickHouseClient(config);
    clients.push(client);
    return createClickHouseDatabase(client);
  };
  let onCluster: SqlDatabase; // through server 1
  let onClusterViaServer2: SqlDatabase;
  let singleNode: SqlDatabase;
  let local: [SqlDatabase, SqlDatabase]; // each server's own tables, no cluster settings
  let firstMigration: string[];
  let tenants: [string, string];
  const startNs = (BigInt(Date.now()) - 10n * 60_000n) * MS;
  const window = { from: Number(startNs / 1_000_000_000n) - 60, to: Number(startNs / 1_000_000_000n) + 600 };

  /** Tenant k (1 or 2) gets k times the CPU, so answers differ between tenants. */
  async function profileOf(tenant: string, k: bigint, store: RawPayloadStore): Promise<ProfileEnvelope> {
    const labels = (span: string, root: string, endpoint: string) => ({
      'span id': span,
      'local root span id': root,
      'trace endpoint': endpoint,
    });
    const bytes = buildCpuProfile({
      startNs,
      durationNs: 60_000_000_000n,
      samples: [
        { stack: ['handler.A', 'main'], cpuNs: 120n * MS * k, labels: labels(ids.rootA, ids.rootA, 'GET /a') },
        {
          stack: ['db.Query', 'handler.A', 'main'],
          cpuNs: 40n * MS * k,
          labels: labels(ids.childA, ids.rootA, 'GET /a'),
        },
        {
          stack: ['json.Encode', 'handler.A', 'main'],
          cpuNs: 30n * MS,
          labels: labels(ids.grandchildA, ids.rootA, 'GET /a'),
        },
        { stack: ['handler.B', 'main'], cpuNs: 70n * MS * k, labels: labels(ids.rootB, ids.rootB, 'GET /b') },
        { stack: ['runtime.gcBgMarkWorker'], cpuNs: 20n * MS * k },
      ],
    });
    const profileId = randomUUID();
    const key = `raw/profiles/${tenant}/${profileId}.pprof`;
    await store.put(key, bytes, 'application/octet-stream');
    return profileEnvelope(
      { tenant, service: SERVICE, bucket: 'raw', key, bytes: bytes.length, profileId },
      {
        env: 'prod',
        version: '1.0',
        tags: { 'runtime-id': 'rt-1' },
        endpoint_counts: { 'GET /a': 12 * Number(k), 'GET /b': 5 },
      },
    );
  }

  async function spansOf(tenant: string, store: RawPayloadStore): Promise<SpanEnvelope> {
    const at = (ms: bigint) => startNs + ms * MS;
    const span = (id: string, parent: string, trace: bigint, start: bigint, duration: bigint, resource: string) =>
      ddSpan({
        trace_id: trace,
        span_id: BigInt(id),
        parent_id: BigInt(parent),
        service: SERVICE,
        resource,
        start: at(start),
        duration: duration * MS,
      });
    const bytes = encodeV04([
      [
        span(ids.rootA, '0', ids.traceA, 1000n, 900n, 'GET /a'),
        span(ids.childA, ids.rootA, ids.traceA, 1100n, 300n, 'db.query'),
        span(ids.grandchildA, ids.childA, ids.traceA, 1150n, 50n, 'encode'),
      ],
      [span(ids.rootB, '0', ids.traceB, 2000n, 400n, 'GET /b')],
    ]);
    const batchId = randomUUID();
    const key = `raw/spans/${tenant}/${batchId}.msgpack`;
    await store.put(key, bytes, 'application/msgpack');
    return {
      v: 1,
      kind: 'spans',
      batch_id: batchId,
      tenant,
      format: 'datadog-v0.4',
      encoding: 'identity',
      received_at: new Date().toISOString(),
      s3: { bucket: 'raw', key },
      bytes: bytes.length,
      spans: 4,
    };
  }

  /** Two tenants whose cityHash64 puts them on different shards (shard = hash % 2 with equal weights). */
  async function tenantsOnBothShards(db: SqlDatabase): Promise<[string, string]> {
    const candidates = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'tyrell'];
    const rows = await db.query<{ tenant: string; slot: number }>(
      sql`SELECT tenant, toUInt8(cityHash64(tenant) % 2) AS slot FROM (SELECT arrayJoin(${candidates}) AS tenant)`,
    );
    const onShard = (slot: number) => rows.find((row) => Number(row.slot) === slot)?.tenant;
    const [first, second] = [onShard(0), onShard(1)];
    if (!first || !second) throw new Error(`no candidate tenant hashes to each shard: ${JSON.stringify(rows)}`);
    return [first, second];
  }

  beforeAll(async () => {
    // A missing prerequisite fails the suite: a skip would hide a broken install step.
    if (unavailable !== undefined) {
      throw new Error(`cluster test prerequisites missing: ${unavailable} (infra/scripts/install-prereqs.sh)`);
    }
    await startTestCluster(cluster);
    const config = configFor(server1, {}).clickhouse;
    firstMigration = await migrateClickHouse(config.url, config.database, config);
    await migrateClickHouse(config.url, SINGLE_DB);
    onCluster = connect(config);
    onClusterViaServer2 = connect(configFor(server2, {}).clickhouse);
    singleNode = connect(
      configFor(server1, { HOTSPOTS_CLICKHOUSE_DATABASE: SINGLE_DB, HOTSPOTS_CLICKHOUSE_CLUSTER: '' }).clickhouse,
    );
    local = [server1, server2].map((server) =>
      connect(configFor(server, { HOTSPOTS_CLICKHOUSE_CLUSTER: '' }).clickhouse),
    ) as [SqlDatabase, SqlDatabase];
    tenants = await tenantsOnBothShards(onCluster);

    // The consumer use cases write through the Distributed tables.
    const appConfig = configFor(server1, {});
    const rawStore = memoryStore();
    const logger = createLogger('warn');
    const common = { rawStore, db: onCluster, logger, deadLetterPrefix: 'dead-letter/' };
    const profiles = await processProfileRecords(
      {
        ...common,
        limits: appConfig.limits,
        labelMappingFor: () => defaultLabelMapping,
        decoder: createProfileDecoder({ decoder: 'wasm' }),
      },
      await Promise.all(
        tenants.map(async (tenant, i) => record('hotspots.profiles', await profileOf(tenant, BigInt(i + 1), rawStore))),
      ),
    );
    expect(profiles).toEqual({ processed: 2, duplicate: 0, dead_lettered: 0 });
    const spans = await processSpanRecords(
      { ...common, limits: { ...appConfig.spanLimits, maxDecompressedBytes: appConfig.limits.maxDecompressedBytes } },
      await Promise.all(tenants.map(async (tenant) => record('hotspots.spans', await spansOf(tenant, rawStore)))),
    );
    expect(spans).toMatchObject({ processed: 2, dead_lettered: 0, spans: 8 });

    // The single-node reference holds the same rows; its views fill as on any insert.
    for (const table of ['frames', 'stacks', 'samples', 'endpoint_counts', 'profiles', 'spans']) {
      await singleNode.command(
        sql`INSERT INTO ${identifier(SINGLE_DB)}.${identifier(table)} SELECT * FROM ${identifier(CLUSTER_DB)}.${identifier(table)}`,
      );
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await stopTestCluster(cluster);
  });

  /** What every reader gets: through server 1, through server 2, and from one node. */
  async function answers<T>(query: (db: SqlDatabase) => Promise<T>): Promise<{ cluster: T; server2: T; single: T }> {
    return {
      cluster: await query(onCluster),
      server2: await query(onClusterViaServer2),
      single: await query(singleNode),
    };
  }

  function expectSameAnswers<T>(result: { cluster: T; server2: T; single: T }): T {
    expect(result.cluster).toEqual(result.single);
    expect(result.server2).toEqual(result.single);
    return result.single;
  }

  it('creates every table as a replicated local table on both servers behind a Distributed table', async () => {
    const engines = async (db: SqlDatabase) =>
      db.query<{ name: string; engine: string }>(
        sql`SELECT name, engine FROM system.tables WHERE database = ${CLUSTER_DB} ORDER BY name`,
      );
    const [one, two] = [await engines(local[0]), await engines(local[1])];

    expect(two).toEqual(one);
    const byName = new Map(one.map((t) => [t.name, t.engine]));
    for (const table of ['profiles', 'samples', 'stacks', 'frames', 'spans', 'endpoint_counts']) {
      expect(byName.get(table)).toBe('Distributed');
      expect(byName.get(`${table}_local`)).toMatch(/^Replicated\w*MergeTree$/);
    }
    for (const view of [
      'span_index',
      'samples_by_span',
      'samples_by_root',
      'profile_commits',
      'cpu_by_endpoint',
      'measures_by_span',
      'measures_by_root',
    ]) {
      expect(byName.get(view)).toBe('Distributed');
      expect(byName.get(`${view}_local`)).toBe('MaterializedView');
    }
    const replicas = await local[0].query<{ n: string }>(
      sql`SELECT count() AS n FROM system.replicas WHERE database = ${CLUSTER_DB} AND is_readonly = 0`,
    );
    // 7 tables + 8 view inner tables + schema_migrations, all with a live ZooKeeper session.
    expect(Number(replicas[0]?.n)).toBe(16);
  });

  it('applies the migrations once: through the other server a second run applies none', async () => {
    const again = await migrateClickHouse(serverUrl(cluster, server2), CLUSTER_DB, { cluster: cluster.name });

    expect(firstMigration).toEqual(
      readMigrations()
        .map((m) => m.name)
        .sort(),
    );
    expect(again).toEqual([]);
  });

  it('survives re-running every cluster statement, as after an interrupted migration', async () => {
    const count = sql`SELECT count() AS n FROM samples`;
    const before = await onCluster.query<{ n: string }>(count);

    const [server] = await onCluster.query<{ version: string }>(sql`SELECT version() AS version`);
    const features = serverFeatures(server?.version ?? '');
    for (const migration of readMigrations()) {
      for (const statement of migrationStatements(
        migration,
        { cluster: cluster.name, database: CLUSTER_DB },
        features,
      )) {
        await onCluster.command(new Sql(statement));
      }
    }

    expect(await onCluster.query<{ n: string }>(count)).toEqual(before);
  });

  it("keeps each tenant's rows on one shard, and the two tenants on different shards", async () => {
    const tables = ['samples', 'profiles', 'spans', 'stacks', 'samples_by_span', 'cpu_by_endpoint', 'measures_by_span'];
    for (const table of tables) {
      const placement = await Promise.all(
        local.map(async (db) =>
          (
            await db.query<{ tenant: string }>(
              sql`SELECT DISTINCT tenant FROM ${identifier(CLUSTER_DB)}.${identifier(`${table}_local`)} WHERE tenant IN ${tuple(tenants)} ORDER BY tenant`,
            )
          ).map((row) => row.tenant),
        ),
      );
      expect({ table, placement }).toEqual({ table, placement: [[tenants[0]], [tenants[1]]] });
    }
  });

  it('answers endpoint CPU exactly as one node does', async () => {
    for (const [i, tenant] of tenants.entries()) {
      const k = BigInt(i + 1);
      const single = expectSameAnswers(
        await answers((db) => endpointCpu(db, { tenant, service: SERVICE, ...window }, 100)),
      );

      expect(single.total_cpu_ns).toBe((120n * k + 40n * k + 30n + 70n * k + 20n * k) * MS);
      expect(single.endpoints.find((e) => e.endpoint === 'GET /a')?.requests).toBe(12n * k);
    }
  });

  it('answers flame graphs of a service, a span, a request and a trace exactly as one node does', async () => {
    const limits = { maxNodes: 1000, maxStacks: 1000, maxRangeSeconds: 31 * 86_400, maxRequestSpans: 1000 };
    const selectors = [
      { kind: 'service', service: SERVICE, ...window },
      { kind: 'span', spanId: ids.childA },
      { kind: 'local_root', localRootSpanId: ids.rootA },
      { kind: 'trace', traceId: ids.traceA.toString(16).padStart(32, '0') },
      // A request found through the span tree: its span ids travel as an external table.
      { kind: 'span_set', spanIds: [ids.rootA, ids.grandchildA] },
    ] as const;
    for (const tenant of tenants) {
      for (const selector of selectors) {
        const single = expectSameAnswers(
          await answers((db) =>
            flamegraph(db, { tenant, selector, measure: CPU, format: 'collapsed', maxNodes: 1000 }, limits),
          ),
        );
        expect(single.body).not.toBe('');
      }
    }
  });

  it('answers a measure other than CPU from its own lookups exactly as one node does', async () => {
    // Go CPU profiles hold samples/count beside cpu/nanoseconds: one count per 10 ms of CPU here.
    const counts = parseMeasure('samples/count');
    const limits = { maxStacks: 1000, topFunctions: 10, maxRequestSpans: 1000 };
    for (const [i, tenant] of tenants.entries()) {
      const k = BigInt(i + 1);
      const hotspots = expectSameAnswers(await answers((db) => spanHotspots(db, tenant, ids.rootA, limits, counts)));
      const trace = expectSameAnswers(
        await answers((db) => traceView(db, tenant, ids.traceA.toString(16).padStart(32, '0'), 100, 1000, counts)),
      );

      expect([hotspots.value, hotspots.value_with_children]).toEqual([12n * k, 12n * k + 4n * k + 3n]);
      expect(trace.spans.map((s) => s.value)).toEqual([12n * k, 4n * k, 3n]);
    }
  });

  it('answers span hotspots and the trace view exactly as one node does', async () => {
    const limits = { maxStacks: 1000, topFunctions: 10, maxRequestSpans: 1000 };
    for (const [i, tenant] of tenants.entries()) {
      const k = BigInt(i + 1);
      const hotspots = expectSameAnswers(await answers((db) => spanHotspots(db, tenant, ids.rootA, limits)));
      const trace = expectSameAnswers(
        await answers((db) => traceView(db, tenant, ids.traceA.toString(16).padStart(32, '0'), 100, 1000)),
      );

      expect(hotspots.cpu_ns).toBe(120n * k * MS);
      expect(hotspots.cpu_ns_with_children).toBe((120n * k + 40n * k + 30n) * MS);
      expect(hotspots.profiled).toBe(true);
      expect(trace.spans.map((s) => s.cpu_ns)).toEqual([120n * k * MS, 40n * k * MS, 30n * MS]);
    }
  });

  it('answers what became of a profile, committed or dead-lettered, exactly as one node does', async () => {
    const rawStore = memoryStore();
    const refused = await profileOf(tenants[0], 1n, rawStore);
    await rawStore.put(refused.s3.key, Buffer.from('not a pprof'), 'application/octet-stream');
    const outcome = await processProfileRecords(
      {
        rawStore,
        db: onCluster,
        logger: createLogger('warn'),
        deadLetterPrefix: 'dead-letter/',
        limits: configFor(server1, {}).limits,
        labelMappingFor: () => defaultLabelMapping,
        decoder: createProfileDecoder({ decoder: 'wasm' }),
      },
      [record('hotspots.profiles', refused)],
    );
    await singleNode.command(
      sql`INSERT INTO ${identifier(SINGLE_DB)}.ingest_failures SELECT * FROM ${identifier(CLUSTER_DB)}.ingest_failures WHERE profile_id = ${refused.profile_id}`,
    );
    const committed = await onCluster.query<{ tenant: string; profile_id: string }>(
      sql`SELECT tenant, profile_id FROM profiles WHERE tenant IN ${tuple(tenants)} AND service = ${SERVICE}`,
    );
    const statusOf = (tenant: string, id: string) => (db: SqlDatabase) =>
      profileStatus({ db, rawStore: memoryStore() }, tenant, id);

    expect(outcome.dead_lettered).toBe(1);
    expect(committed).toHaveLength(2);
    for (const { tenant, profile_id } of committed) {
      expect(expectSameAnswers(await answers(statusOf(tenant, profile_id)))).toMatchObject({ status: 'committed' });
    }
    expect(expectSameAnswers(await answers(statusOf(tenants[0], refused.profile_id)))).toMatchObject({
      status: 'dead_lettered',
    });
    const listed = await answers(
      async (db) => (await ingestErrors(db, tenants[0], new URLSearchParams({ service: SERVICE }))).errors,
    );
    expect(expectSameAnswers(listed).map((e) => e.profile_id)).toEqual([refused.profile_id]);
  });

  it('answers the endpoint timeseries exactly as one node does', async () => {
    const limits = { maxRangeSeconds: 31 * 86_400, maxPoints: 1000, maxSeries: 50 };
    for (const tenant of tenants) {
      const query = { tenant, service: SERVICE, ...window, step: 60, groupBy: 'endpoint' as const };
      expectSameAnswers(await answers((db) => timeseries(db, query, limits)));
    }
  });

  it('counts two identical chunks of one attempt twice, as one node does (no insert deduplication)', async () => {
    // A pprof may repeat a sample (same stack and labels); two chunks of such rows are identical blocks.
    const service = `dedup-${randomUUID().slice(0, 8)}`;
    const chunk = [
      {
        tenant: tenants[0],
        service,
        env: '',
        version: '',
        ts: window.from + 60,
        profile_id: 'p',
        ingest_id: 'i',
        sample_type: 'cpu',
        sample_unit: 'nanoseconds',
        value: 10_000_000,
        span_id: 1,
        local_root_span_id: 0,
        endpoint: 'GET /a',
        trace_id: '',
        label_keys: [],
        label_values: [],
        stack_id: 1,
      },
    ];
    const sums = sql`SELECT toString(sum(value)) AS raw,
        (SELECT toString(sum(value)) FROM cpu_by_endpoint WHERE tenant = ${tenants[0]} AND service = ${service}) AS rolled_up
        FROM samples WHERE tenant = ${tenants[0]} AND service = ${service}`;

    for (const db of [onCluster, singleNode]) {
      await db.insert('samples', chunk);
      await db.insert('samples', chunk);
    }

    const expected = [{ raw: '20000000', rolled_up: '20000000' }];
    expect(await singleNode.query(sums)).toEqual(expected);
    expect(await onCluster.query(sums)).toEqual(expected);
  });
});
