import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { HotspotsError } from '../../shared/platform/errors.js';
import type { KafkaEventRecord } from '../../shared/platform/kafka-event.js';
import { sql } from '../../shared/platform/sql.js';
import { createProfileDecoder } from '../../shared/pprof/index.js';
import { encodeEnvelope, type ProfileEnvelope } from '../../shared/profiles/envelope.js';
import { type ProcessProfilesDeps, processProfileRecords } from '../../shared/profiles/process-profiles.js';
import { endpointCpu } from '../../shared/query/endpoint-cpu.js';
import { buildCpuProfile, expectedTotalsByLabel, type ProfileSpec } from '../support/pprof-builder.js';
import { profileConsumerDeps, testDeps, uniqueService, waitUntil } from '../support/services.js';
import { storeRawProfile } from '../support/stored-profiles.js';

/**
 * The consumer use case against the real S3 API server and ClickHouse, fed records in the Lambda
 * Kafka event shape; and redelivery through the real Kafka broker and the local event source.
 */
const tenant = 'test-a';
let deps: Deps;
let consumerDeps: ProcessProfilesDeps;
let offset = 0;

beforeAll(() => {
  deps = testDeps();
  consumerDeps = profileConsumerDeps(deps);
});
afterAll(async () => {
  await deps.close();
});

const spec: ProfileSpec = {
  samples: [
    { stack: ['a', 'main'], cpuNs: 120_000_000n, labels: { 'trace endpoint': 'GET /a', 'span id': '1' } },
    { stack: ['b', 'main'], cpuNs: 80_000_000n, labels: { 'trace endpoint': 'GET /b', 'span id': '2' } },
    { stack: ['gc'], cpuNs: 30_000_000n },
  ],
};

async function storeProfile(service: string, bytes: Uint8Array = buildCpuProfile(spec)): Promise<ProfileEnvelope> {
  return storeRawProfile(deps.rawStore, deps.config.s3.bucket, { tenant, service }, bytes);
}

function record(value: Buffer | string): KafkaEventRecord {
  offset += 1;
  return {
    // The run's own topic: it names the dead letters' S3 keys, which other runs must not overwrite.
    topic: deps.config.kafka.profilesTopic,
    partition: 0,
    offset,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: null,
    value: Buffer.isBuffer(value) ? value.toString('base64') : Buffer.from(value).toString('base64'),
    headers: [],
  };
}

async function totals(service: string): Promise<Map<string | null, bigint>> {
  const now = Date.now() / 1000;
  const result = await endpointCpu(deps.db, { tenant, service, from: now - 3600, to: now + 3600 }, 1000);
  return new Map(result.endpoints.map((e) => [e.endpoint, e.value]));
}

describe('processProfileRecords', () => {
  it('leaves every total unchanged when the same envelope is processed twice', async () => {
    const service = uniqueService('twice');
    const envelope = await storeProfile(service);

    const first = await processProfileRecords(consumerDeps, [record(encodeEnvelope(envelope))]);
    const second = await processProfileRecords(consumerDeps, [record(encodeEnvelope(envelope))]);

    expect(first).toEqual({ processed: 1, duplicate: 0, dead_lettered: 0 });
    expect(second).toEqual({ processed: 0, duplicate: 1, dead_lettered: 0 });
    expect(await totals(service)).toEqual(expectedTotalsByLabel(spec, 'trace endpoint'));
  });

  it('gives the same totals with the JavaScript decoder (HOTSPOTS_PPROF_DECODER=js) as with WebAssembly', async () => {
    const services = [uniqueService('wasm-decoder'), uniqueService('js-decoder')];
    const envelopes = await Promise.all(services.map((service) => storeProfile(service)));

    await processProfileRecords(consumerDeps, [record(encodeEnvelope(envelopes[0] as ProfileEnvelope))]);
    await processProfileRecords({ ...consumerDeps, decoder: createProfileDecoder({ decoder: 'js' }) }, [
      record(encodeEnvelope(envelopes[1] as ProfileEnvelope)),
    ]);

    for (const service of services)
      expect(await totals(service)).toEqual(expectedTotalsByLabel(spec, 'trace endpoint'));
  });

  it('ignores the rows of an attempt that crashed before committing', async () => {
    const service = uniqueService('crashed');
    const envelope = await storeProfile(service);
    const now = Math.floor(Date.now() / 1000);
    // What a consumer killed between the sample insert and the profile row leaves behind.
    await deps.db.insert('samples', [
      {
        tenant,
        service,
        env: '',
        version: '',
        ts: now,
        profile_id: envelope.profile_id,
        ingest_id: 'crashed-attempt',
        sample_type: 'cpu',
        sample_unit: 'nanoseconds',
        value: 999_000_000,
        span_id: '1',
        local_root_span_id: '0',
        endpoint: 'GET /a',
        trace_id: '',
        label_keys: [],
        label_values: [],
        stack_id: '0',
      },
    ]);

    await processProfileRecords(consumerDeps, [record(encodeEnvelope(envelope))]);

    expect(await totals(service)).toEqual(expectedTotalsByLabel(spec, 'trace endpoint'));
  });

  it('dead-letters poison records with their reason and processes the rest of the batch', async () => {
    const service = uniqueService('poison');
    const good = await storeProfile(service);
    const corrupt = await storeProfile(service, new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    const missing = {
      ...(await storeProfile(service)),
      s3: { bucket: 'x', key: `raw/profiles/${tenant}/none/${randomUUID()}` },
    };
    const notJson = record('{"v":1,');
    const batch = [
      notJson,
      record(encodeEnvelope(corrupt)),
      record(encodeEnvelope(good)),
      record(encodeEnvelope(missing)),
    ];

    const summary = await processProfileRecords(consumerDeps, batch);

    expect(summary).toEqual({ processed: 1, duplicate: 0, dead_lettered: 3 });
    expect(await totals(service)).toEqual(expectedTotalsByLabel(spec, 'trace endpoint'));
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    const letter = JSON.parse(
      Buffer.from(
        await deps.rawStore.get(
          `dead-letter/profiles/${tenant}/${day}/${deps.config.kafka.profilesTopic}-0-${batch[1]?.offset}.json`,
        ),
      ).toString(),
    );
    expect(letter.reason.code).toBe('unprocessable');
    expect(letter.envelope.profile_id).toBe(corrupt.profile_id);
    const unparsed = JSON.parse(
      Buffer.from(
        await deps.rawStore.get(
          `dead-letter/profiles/_unknown/${day}/${deps.config.kafka.profilesTopic}-0-${notJson.offset}.json`,
        ),
      ).toString(),
    );
    expect(Buffer.from(unparsed.value_base64, 'base64').toString()).toBe('{"v":1,');
  });

  it('dead-letters profiles that would write too many rows or too much label text, naming the limit', async () => {
    const service = uniqueService('amplified');
    const good = await storeProfile(service);
    // Each sample writes two rows (samples/count and cpu/nanoseconds), each with 2 labels of 2 kB.
    const longLabels = { 'span id': '5', note: 'x'.repeat(2048), more: 'y'.repeat(2048) };
    const labelled = await storeProfile(
      service,
      buildCpuProfile({
        samples: Array.from({ length: 20 }, () => ({ stack: ['a'], cpuNs: 10_000_000n, labels: longLabels })),
      }),
    );
    const manyRows = await storeProfile(
      service,
      buildCpuProfile({ samples: Array.from({ length: 600 }, (_, i) => ({ stack: [`f${i}`], cpuNs: 10_000_000n })) }),
    );
    const batch = [record(encodeEnvelope(labelled)), record(encodeEnvelope(manyRows)), record(encodeEnvelope(good))];
    const limits = { ...deps.config.limits, maxRowsPerProfile: 1_000, maxLabelBytesPerProfile: 100_000 };

    const summary = await processProfileRecords({ ...consumerDeps, limits }, batch);

    expect(summary).toEqual({ processed: 1, duplicate: 0, dead_lettered: 2 });
    expect(await totals(service)).toEqual(expectedTotalsByLabel(spec, 'trace endpoint'));
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    const reasons = await Promise.all(
      batch.slice(0, 2).map(async (r) => {
        const key = `dead-letter/profiles/${tenant}/${day}/${deps.config.kafka.profilesTopic}-0-${r.offset}.json`;
        return JSON.parse(Buffer.from(await deps.rawStore.get(key)).toString()).reason.message as string;
      }),
    );
    expect(reasons[0]).toMatch(
      /^profile would write 16\d{4} bytes of label text .*\(HOTSPOTS_MAX_LABEL_BYTES_PER_PROFILE\)$/,
    );
    expect(reasons[1]).toContain(
      'more than 1000 sample values (samples × sample types), the limit (HOTSPOTS_MAX_ROWS_PER_PROFILE)',
    );
  });

  it("records the agent's declared window as the duration of a profile without duration_nanos", async () => {
    const service = uniqueService('no-duration');
    const now = Math.floor(Date.now() / 1000);
    const envelope = {
      ...(await storeProfile(service, buildCpuProfile({ ...spec, durationNs: 0n }))),
      start: now - 60,
      end: now,
    };

    await processProfileRecords(consumerDeps, [record(encodeEnvelope(envelope))]);

    const rows = await deps.db.query<{ duration_ns: string }>(
      sql`SELECT duration_ns FROM profiles WHERE tenant = ${tenant} AND profile_id = ${envelope.profile_id}`,
    );
    expect(rows.map((r) => r.duration_ns)).toEqual(['60000000000']);
  });

  it('throws a retriable error and commits nothing when ClickHouse is unreachable', async () => {
    const service = uniqueService('ch-down');
    const envelope = await storeProfile(service);
    const down = testDeps({ HOTSPOTS_CLICKHOUSE_URL: 'http://127.0.0.1:1' });

    const attempt = processProfileRecords({ ...consumerDeps, db: down.db }, [record(encodeEnvelope(envelope))]);

    await expect(attempt).rejects.toSatisfy((error) => error instanceof HotspotsError && error.retriable);
    expect(await totals(service)).toEqual(new Map());
    await down.close();
  });
});

describe('redelivery through Kafka and the local event source', () => {
  it('leaves totals unchanged when an envelope is published to the topic a second time', async () => {
    const service = uniqueService('redelivered');
    const envelope = await storeProfile(service);
    const kafka = new Kafka({ brokers: deps.config.kafka.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const admin = kafka.admin();
    await Promise.all([producer.connect(), admin.connect()]);
    try {
      const topic = deps.config.kafka.profilesTopic;
      const publish = async () => {
        const [meta] = await producer.send({
          topic,
          acks: -1,
          messages: [{ key: envelope.profile_id, value: encodeEnvelope(envelope) }],
        });
        return { partition: meta?.partition ?? 0, offset: BigInt(meta?.baseOffset ?? '0') };
      };
      const consumed = (at: { partition: number; offset: bigint }) =>
        waitUntil(`the event source to commit past offset ${at.offset} of partition ${at.partition}`, async () => {
          const [committed] = await admin.fetchOffsets({ groupId: deps.config.kafka.consumerGroup, topics: [topic] });
          const mine = committed?.partitions.find((p) => p.partition === at.partition);
          return mine && BigInt(mine.offset) > at.offset ? true : undefined;
        });

      await consumed(await publish());
      const once = await totals(service);
      await consumed(await publish());

      expect(once).toEqual(expectedTotalsByLabel(spec, 'trace endpoint'));
      expect(await totals(service)).toEqual(once);
      const rows = await deps.db.query<{ n: string }>(
        sql`SELECT count() AS n FROM profiles WHERE tenant = ${tenant} AND profile_id = ${envelope.profile_id}`,
      );
      expect(Number(rows[0]?.n)).toBe(1);
    } finally {
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    }
  });
});
