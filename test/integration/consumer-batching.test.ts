import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { HotspotsError } from '../../shared/platform/errors.js';
import type { KafkaEventRecord } from '../../shared/platform/kafka-event.js';
import type { SqlDatabase } from '../../shared/platform/ports.js';
import { sql } from '../../shared/platform/sql.js';
import { encodeEnvelope, type ProfileEnvelope } from '../../shared/profiles/envelope.js';
import { type ProcessProfilesDeps, processProfileRecords } from '../../shared/profiles/process-profiles.js';
import { createInsertedIds } from '../../shared/profiles/rows/profile-batch-writer.js';
import { endpointCpu } from '../../shared/query/endpoint-cpu.js';
import { lambdaRecord } from '../support/kafka-records.js';
import { buildCpuProfile, expectedTotalsByLabel, type ProfileSpec, type SampleSpec } from '../support/pprof-builder.js';
import { profileConsumerDeps, testDeps, uniqueService } from '../support/services.js';
import { storeRawProfile } from '../support/stored-profiles.js';

/**
 * The consumer writes a Kafka batch in a few large RowBinary inserts (shared/profiles/rows/). Against the
 * real ClickHouse and S3 API server: totals stay exact across chunk boundaries, duplicates inside
 * a batch, and failures at any insert followed by the batch's retry.
 */
const tenant = 'test-batching';
let deps: Deps;
let offset = 0;

beforeAll(() => {
  deps = testDeps();
});
afterAll(async () => {
  await deps.close();
});

function consumerDeps(overrides: Partial<ProcessProfilesDeps> = {}): ProcessProfilesDeps {
  return {
    ...profileConsumerDeps(deps),
    insertedIds: createInsertedIds(100_000),
    ...overrides,
  };
}

/** `samples` samples over 7 endpoints and 50 stacks, each with its own span id. */
function specOf(samples: number, salt: number): ProfileSpec {
  const list: SampleSpec[] = [];
  for (let i = 0; i < samples; i++) {
    list.push({
      stack: [`leaf${(i * 7 + salt) % 50}`, `mid${i % 5}`, 'main'],
      cpuNs: BigInt(1 + ((i * 13 + salt) % 9)) * 10_000_000n,
      labels: i % 11 === 0 ? {} : { 'trace endpoint': `GET /e${i % 7}`, 'span id': String(1000 + i) },
    });
  }
  return { samples: list };
}

async function storeProfile(service: string, spec: ProfileSpec): Promise<ProfileEnvelope> {
  return storeRawProfile(deps.rawStore, deps.config.s3.bucket, { tenant, service }, buildCpuProfile(spec));
}

function record(envelope: ProfileEnvelope): KafkaEventRecord {
  offset += 1;
  return lambdaRecord(encodeEnvelope(envelope), offset);
}

async function totals(service: string): Promise<Map<string | null, bigint>> {
  const now = Date.now() / 1000;
  const result = await endpointCpu(deps.db, { tenant, service, from: now - 3600, to: now + 3600 }, 1000);
  return new Map(result.endpoints.map((e) => [e.endpoint, e.value]));
}

function sum(maps: readonly Map<string | null, bigint>[]): Map<string | null, bigint> {
  const out = new Map<string | null, bigint>();
  for (const map of maps) for (const [k, v] of map) out.set(k, (out.get(k) ?? 0n) + v);
  return out;
}

/** The real database, recording RowBinary inserts and failing the one `fail` picks (nth insert of a table). */
function instrumented(fail: (table: string, nth: number) => boolean = () => false) {
  const calls: { table: string; bytes: number }[] = [];
  const db: SqlDatabase = {
    query: (statement) => deps.db.query(statement),
    insert: (table, rows) => deps.db.insert(table, rows),
    command: (statement) => deps.db.command(statement),
    ping: () => deps.db.ping(),
    async insertRowBinary(table, columns, rows) {
      calls.push({ table, bytes: rows.length });
      if (fail(table, calls.filter((c) => c.table === table).length))
        throw new HotspotsError('unavailable', `connection reset inserting ${table}`);
      await deps.db.insertRowBinary(table, columns, rows);
    },
  };
  return { db, calls };
}

describe('a batch of profiles', () => {
  it('is written with one insert per table and counts every profile exactly', async () => {
    const service = uniqueService('one-insert');
    const specs = Array.from({ length: 25 }, (_, i) => specOf(40 + i, i));
    const envelopes = await Promise.all(specs.map((spec) => storeProfile(service, spec)));
    const { db, calls } = instrumented();

    const summary = await processProfileRecords(consumerDeps({ db }), envelopes.map(record));

    expect(summary).toEqual({ processed: 25, duplicate: 0, dead_lettered: 0 });
    expect(calls.map((c) => c.table).sort()).toEqual(['frames', 'profiles', 'samples', 'stacks']);
    expect(await totals(service)).toEqual(sum(specs.map((s) => expectedTotalsByLabel(s, 'trace endpoint'))));
  });

  it('splits a profile larger than one chunk over several inserts, then commits it', async () => {
    const service = uniqueService('chunked');
    const spec = specOf(5000, 3);
    const envelope = await storeProfile(service, spec);
    const chunkBytes = 64 * 1024;
    const { db, calls } = instrumented();

    await processProfileRecords(consumerDeps({ db, insertChunkBytes: chunkBytes }), [record(envelope)]);

    const sampleInserts = calls.filter((c) => c.table === 'samples');
    expect(sampleInserts.length).toBeGreaterThan(3);
    // A chunk ends with the row that crossed the threshold; these rows are well under 1 KiB.
    expect(Math.max(...sampleInserts.map((c) => c.bytes))).toBeLessThan(chunkBytes + 1024);
    expect(calls.at(-1)?.table).toBe('profiles');
    expect(await totals(service)).toEqual(expectedTotalsByLabel(spec, 'trace endpoint'));
  });

  it('handles a batch of 8,000 records, more ids than one committed-check statement may hold', async () => {
    const service = uniqueService('many-records');
    const spec = specOf(2, 0);
    const stored = await storeProfile(service, spec);
    const envelopes = Array.from({ length: 8000 }, () => ({ ...stored, profile_id: randomUUID() }));

    const first = await processProfileRecords(consumerDeps(), envelopes.map(record));
    const again = await processProfileRecords(consumerDeps(), envelopes.map(record));

    expect([first.processed, again.duplicate]).toEqual([8000, 8000]);
    const profiles = await deps.db.query<{ n: string }>(
      sql`SELECT toString(count()) AS n FROM profiles WHERE tenant = ${tenant} AND service = ${service}`,
    );
    expect(profiles[0]?.n).toBe('8000');
  });

  it('counts a profile that appears twice in one batch once', async () => {
    const service = uniqueService('twice-in-batch');
    const spec = specOf(30, 1);
    const envelope = await storeProfile(service, spec);

    const summary = await processProfileRecords(consumerDeps(), [record(envelope), record(envelope)]);

    expect(summary).toEqual({ processed: 1, duplicate: 1, dead_lettered: 0 });
    expect(await totals(service)).toEqual(expectedTotalsByLabel(spec, 'trace endpoint'));
  });

  it.each([
    ['frames', 1],
    ['stacks', 1],
    ['samples', 1],
    ['samples', 3],
    ['profiles', 1],
    ['profiles', 2],
  ])('is exact after %s insert number %i fails and the batch is retried', async (table, nth) => {
    const service = uniqueService(`retry-${table}`);
    const specs = Array.from({ length: 12 }, (_, i) => specOf(200 + i, i));
    const envelopes = await Promise.all(specs.map((spec) => storeProfile(service, spec)));
    const insertedIds = createInsertedIds(100_000);
    const flaky = instrumented((t, n) => t === table && n === nth);
    // Small chunks: several flushes per batch, so failures land between committed profiles.
    const chunked = { insertChunkBytes: 32 * 1024, insertedIds };

    await expect(
      processProfileRecords(consumerDeps({ ...chunked, db: flaky.db }), envelopes.map(record)),
    ).rejects.toSatisfy((error) => error instanceof HotspotsError && error.retriable);
    const retried = await processProfileRecords(consumerDeps(chunked), envelopes.map(record));

    expect(retried.processed + retried.duplicate).toBe(12);
    expect(await totals(service)).toEqual(sum(specs.map((s) => expectedTotalsByLabel(s, 'trace endpoint'))));
    // Every stack the committed samples point at was written (ids are remembered only once acknowledged).
    const orphans = await deps.db.query<{ n: string }>(
      sql`SELECT toString(count()) AS n FROM samples
          WHERE tenant = ${tenant} AND service = ${service}
            AND stack_id NOT IN (SELECT stack_id FROM stacks WHERE tenant = ${tenant})`,
    );
    expect(orphans[0]?.n).toBe('0');
  });
});
