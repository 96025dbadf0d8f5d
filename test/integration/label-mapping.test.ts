import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/app/deps.js';
import { parseLabelMappings } from '../../shared/platform/config.js';
import { HotspotsError } from '../../shared/platform/errors.js';
import type { KafkaEventRecord } from '../../shared/platform/kafka-event.js';
import type { SqlDatabase } from '../../shared/platform/ports.js';
import { sql } from '../../shared/platform/sql.js';
import { createProfileDecoder } from '../../shared/pprof/index.js';
import { encodeEnvelope, type ProfileEnvelope } from '../../shared/profiles/envelope.js';
import { createLabelMappingResolver } from '../../shared/profiles/label-mapping.js';
import { type ProcessProfilesDeps, processProfileRecords } from '../../shared/profiles/process-profiles.js';
import { committedEndpointCounts } from '../support/datadog-profiling-store.js';
import { buildCpuProfile, type ProfileSpec } from '../support/pprof-builder.js';
import { testDeps, uniqueService } from '../support/services.js';
import { storeRawProfile } from '../support/stored-profiles.js';

/**
 * The consumer's per-tenant label mapping (HOTSPOTS_LABEL_MAPPINGS) and its endpoint_counts rows,
 * against the real S3 API server and ClickHouse.
 */
const tenant = 'test-b';
let deps: Deps;
let consumerDeps: ProcessProfilesDeps;
let offset = 0;

const mappings = parseLabelMappings(
  JSON.stringify({
    [tenant]: {
      spanId: [{ key: 'otel.span_id', format: 'hex16-or-decimal' }],
      localRootSpanId: [{ key: 'root.span_id', format: 'decimal' }],
      endpoint: [{ key: 'http.route' }],
    },
  }),
);

beforeAll(() => {
  deps = testDeps();
  consumerDeps = {
    rawStore: deps.rawStore,
    db: deps.db,
    logger: deps.logger,
    limits: deps.config.limits,
    labelMappingFor: createLabelMappingResolver(mappings),
    decoder: createProfileDecoder({ decoder: 'wasm' }),
    deadLetterPrefix: deps.config.deadLetterPrefix,
  };
});
afterAll(async () => {
  await deps.close();
});

async function storeEnvelope(service: string, spec: ProfileSpec, extra: Partial<ProfileEnvelope> = {}) {
  return storeRawProfile(deps.rawStore, deps.config.s3.bucket, { tenant, service }, buildCpuProfile(spec), {
    env: 'prod',
    version: '3.1.4',
    ...extra,
  });
}

function record(envelope: ProfileEnvelope): KafkaEventRecord {
  offset += 1;
  return {
    topic: 'hotspots.profiles',
    partition: 0,
    offset,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: null,
    value: encodeEnvelope(envelope).toString('base64'),
    headers: [],
  };
}

describe('the consumer with a tenant’s label mapping', () => {
  it('reads span id, local root span id and endpoint from the tenant’s own label keys', async () => {
    const service = uniqueService('mapped');
    const envelope = await storeEnvelope(service, {
      samples: [
        {
          stack: ['a', 'main'],
          cpuNs: 30_000_000n,
          labels: {
            'otel.span_id': '00000000000000ff',
            'root.span_id': '18446744073709551615',
            'http.route': '/a/{id}',
          },
        },
        // A default key the mapping replaced: no longer read as the endpoint for this tenant.
        { stack: ['b', 'main'], cpuNs: 20_000_000n, labels: { 'trace endpoint': 'GET /b', 'span id': '7' } },
      ],
    });

    await processProfileRecords(consumerDeps, [record(envelope)]);

    const rows = await deps.db.query<{ span: string; root: string; endpoint: string | null; value: string }>(
      sql`SELECT toString(span_id) AS span, toString(local_root_span_id) AS root, endpoint, toString(value) AS value
        FROM samples WHERE tenant = ${tenant} AND profile_id = ${envelope.profile_id} AND sample_type = 'cpu'
        ORDER BY value DESC`,
    );
    expect(rows).toEqual([
      { span: '255', root: '18446744073709551615', endpoint: '/a/{id}', value: '30000000' },
      { span: '0', root: '0', endpoint: null, value: '20000000' },
    ]);
  });
});

describe('the consumer with endpoint_counts in the envelope', () => {
  const spec: ProfileSpec = {
    samples: [{ stack: ['a', 'main'], cpuNs: 10_000_000n, labels: { 'http.route': '/a' } }],
  };

  it('writes one row per endpoint, stamped with the profile’s start second and committed ingest', async () => {
    const service = uniqueService('counts');
    const envelope = await storeEnvelope(service, spec, { endpoint_counts: { '/a': 12, '/b': 0 } });

    await processProfileRecords(consumerDeps, [record(envelope)]);

    const rows = await deps.db.query<{ ts: string; start: string; same: string }>(
      sql`SELECT toString(toUInt32(c.ts)) AS ts, toString(toUInt32(p.start)) AS start, toString(c.ingest_id = p.ingest_id) AS same
        FROM endpoint_counts AS c ALL INNER JOIN
          (SELECT profile_id, start, ingest_id FROM profiles WHERE tenant = ${tenant} AND service = ${service}) AS p
        USING profile_id
        WHERE c.tenant = ${tenant} AND c.service = ${service}`,
    );
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.ts === r.start && r.same === '1')).toBe(true);
    expect(await committedEndpointCounts(deps, tenant, service)).toEqual({ '/a': 12, '/b': 0 });
  });

  it('counts hits once when the profile row failed after the counts were written and the batch was retried', async () => {
    const service = uniqueService('counts-retry');
    const envelope = await storeEnvelope(service, spec, { endpoint_counts: { '/a': 5 } });
    // The real ClickHouse, except that the first commit (profiles row) fails as if the connection dropped.
    let failed = false;
    const flaky: SqlDatabase = {
      ...deps.db,
      query: (statement) => deps.db.query(statement),
      command: (statement) => deps.db.command(statement),
      ping: () => deps.db.ping(),
      insert: (table, rows) => deps.db.insert(table, rows),
      async insertRowBinary(table, columns, rows) {
        if (table === 'profiles' && !failed) {
          failed = true;
          throw new HotspotsError('unavailable', 'connection reset while committing');
        }
        return deps.db.insertRowBinary(table, columns, rows);
      },
    };

    await expect(processProfileRecords({ ...consumerDeps, db: flaky }, [record(envelope)])).rejects.toThrow(
      'connection reset',
    );
    const written = await deps.db.query<{ n: string }>(
      sql`SELECT toString(count()) AS n FROM endpoint_counts WHERE tenant = ${tenant} AND service = ${service}`,
    );
    await processProfileRecords({ ...consumerDeps, db: flaky }, [record(envelope)]);

    expect(written[0]?.n).toBe('1');
    expect(await committedEndpointCounts(deps, tenant, service)).toEqual({ '/a': 5 });
  });

  it('writes no endpoint_counts rows for envelopes without them (e.g. from POST /v1/profiles)', async () => {
    const service = uniqueService('no-counts');
    const envelope = await storeEnvelope(service, spec);

    await processProfileRecords(consumerDeps, [record(envelope)]);

    const rows = await deps.db.query<{ n: string }>(
      sql`SELECT toString(count()) AS n FROM endpoint_counts WHERE tenant = ${tenant} AND service = ${service}`,
    );
    expect(rows[0]?.n).toBe('0');
  });
});
