import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/local/settings.js';
import { ConfigError, loadConfig, parseApiKeys } from '../../shared/platform/config.js';

const MiB = 1024 * 1024;

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults', () => {
  it('gives the documented limits when nothing is set', () => {
    const config = loadConfig({});

    expect(config.limits).toMatchObject({
      maxBodyBytes: 10 * MiB,
      maxDecompressedBytes: 64 * MiB,
      maxSamplesPerProfile: 2_000_000,
      maxLabelsPerSample: 64,
      maxLabelValueBytes: 4096,
      maxStackFrames: 32_000_000,
      maxProfileRecords: 4_000_000,
      maxQueryRangeSeconds: 31 * 24 * 3600,
      maxResultRows: 10_000,
      flamegraphMaxNodes: 5000,
      maxStacks: 100_000,
      maxTimeseriesPoints: 1000,
      maxTimeseriesSeries: 50,
      topFunctions: 20,
      maxRequestSpans: 100_000,
    });
  });

  it('points at the local stack when nothing is set', () => {
    const config = loadConfig({});

    expect({
      brokers: config.kafka.brokers,
      clickhouse: config.clickhouse,
      bucket: config.s3.bucket,
      endpoint: config.s3.endpoint,
    }).toEqual({
      brokers: ['127.0.0.1:9092'],
      clickhouse: {
        url: 'http://127.0.0.1:8123',
        username: 'default',
        password: '',
        database: 'hotspots',
        requestTimeoutMs: 30_000,
        cluster: undefined,
      },
      bucket: 'hotspots-raw',
      endpoint: undefined,
    });
  });

  it('maps the local development key to the default tenant when no keys are set', () => {
    expect(loadConfig({}).apiKeys).toEqual([{ key: 'local-dev-key', tenant: 'default' }]);
  });

  it('refuses to start with the placeholder an AWS stage deployed without the apiKeys param sets', () => {
    const placeholder = /apiKeys: "([^"]+)"/.exec(readFileSync(join(repoRoot, 'serverless.yml'), 'utf8'))?.[1];

    expect(placeholder).toBeDefined();
    expect(() => loadConfig({ HOTSPOTS_API_KEYS: placeholder })).toThrow(/HOTSPOTS_API_KEYS/);
  });

  it('uses Kafka without TLS or SASL by default', () => {
    const { kafka } = loadConfig({});

    expect({ ssl: kafka.ssl, sasl: kafka.sasl, topic: kafka.profilesTopic, group: kafka.consumerGroup }).toEqual({
      ssl: false,
      sasl: undefined,
      topic: 'hotspots.profiles',
      group: 'hotspots-consumer',
    });
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig({ HOTSPOTS_MAX_BODY_BYTES: '', HOTSPOTS_LOG_LEVEL: '' });

    expect([config.limits.maxBodyBytes, config.logLevel]).toEqual([10 * MiB, 'info']);
  });

  it('logs at info by default', () => {
    expect(loadConfig({}).logLevel).toBe('info');
  });
});

describe('loadConfig values', () => {
  it('splits and trims the broker list', () => {
    const config = loadConfig({ HOTSPOTS_KAFKA_BROKERS: ' b1:9092, b2:9093 ,' });

    expect(config.kafka.brokers).toEqual(['b1:9092', 'b2:9093']);
  });

  it('forces path-style S3 addressing when an endpoint is set', () => {
    const config = loadConfig({ HOTSPOTS_S3_ENDPOINT: 'http://127.0.0.1:4569' });

    expect(config.s3.forcePathStyle).toBe(true);
  });

  it('lets path-style addressing be turned off explicitly', () => {
    const config = loadConfig({ HOTSPOTS_S3_ENDPOINT: 'http://127.0.0.1:4569', HOTSPOTS_S3_FORCE_PATH_STYLE: 'false' });

    expect(config.s3.forcePathStyle).toBe(false);
  });

  it('falls back to AWS_REGION for the S3 region', () => {
    expect(loadConfig({ AWS_REGION: 'eu-west-1' }).s3.region).toBe('eu-west-1');
  });

  it('prefers HOTSPOTS_S3_REGION over AWS_REGION', () => {
    const config = loadConfig({ AWS_REGION: 'eu-west-1', HOTSPOTS_S3_REGION: 'eu-central-1' });

    expect(config.s3.region).toBe('eu-central-1');
  });

  it('builds static S3 credentials only when an access key id is set', () => {
    const config = loadConfig({ HOTSPOTS_S3_ACCESS_KEY_ID: 'AKIA', HOTSPOTS_S3_SECRET_ACCESS_KEY: 'secret' });

    expect(config.s3.credentials).toEqual({ accessKeyId: 'AKIA', secretAccessKey: 'secret' });
  });

  it('builds SASL settings when a mechanism is set', () => {
    const config = loadConfig({
      HOTSPOTS_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      HOTSPOTS_KAFKA_SASL_USERNAME: 'u',
      HOTSPOTS_KAFKA_SASL_PASSWORD: 'p',
    });

    expect(config.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
  });

  it('switches ClickHouse to a cluster when HOTSPOTS_CLICKHOUSE_CLUSTER names one', () => {
    expect(loadConfig({ HOTSPOTS_CLICKHOUSE_CLUSTER: 'hotspots_prod' }).clickhouse.cluster).toBe('hotspots_prod');
  });

  it('keeps ClickHouse single-node when HOTSPOTS_CLICKHOUSE_CLUSTER is empty', () => {
    expect(loadConfig({ HOTSPOTS_CLICKHOUSE_CLUSTER: '' }).clickhouse.cluster).toBeUndefined();
  });

  it('bounds the consumer by 16 MiB inserts and 4 prefetched payloads, decoding in WebAssembly, unless told otherwise', () => {
    expect(loadConfig({}).consumer).toEqual({ insertChunkBytes: 16 * MiB, prefetch: 4, pprofDecoder: 'wasm' });
    expect(
      loadConfig({
        HOTSPOTS_INSERT_CHUNK_BYTES: String(MiB),
        HOTSPOTS_CONSUMER_PREFETCH: '1',
        HOTSPOTS_PPROF_DECODER: 'js',
      }).consumer,
    ).toEqual({ insertChunkBytes: MiB, prefetch: 1, pprofDecoder: 'js' });
  });

  it.each([
    ['HOTSPOTS_INSERT_CHUNK_BYTES', '65535'],
    ['HOTSPOTS_INSERT_CHUNK_BYTES', String(1024 * MiB + 1)],
    ['HOTSPOTS_CONSUMER_PREFETCH', '0'],
    ['HOTSPOTS_CONSUMER_PREFETCH', '65'],
    ['HOTSPOTS_PPROF_DECODER', 'native'],
  ])('refuses %s=%s, naming the variable', (variable, raw) => {
    expect(configError(() => loadConfig({ [variable]: raw })).message).toContain(variable);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('reads the boolean %s as %s', (raw, expected) => {
    expect(loadConfig({ HOTSPOTS_KAFKA_SSL: raw }).kafka.ssl).toBe(expected);
  });
});

describe('loadConfig integer ranges', () => {
  const ranges = [
    ['HOTSPOTS_MAX_BODY_BYTES', 'maxBodyBytes', 1024, 1024 * MiB],
    ['HOTSPOTS_MAX_DECOMPRESSED_BYTES', 'maxDecompressedBytes', 1024, 4096 * MiB],
    ['HOTSPOTS_MAX_SAMPLES_PER_PROFILE', 'maxSamplesPerProfile', 1, 100_000_000],
    ['HOTSPOTS_MAX_LABELS_PER_SAMPLE', 'maxLabelsPerSample', 1, 10_000],
    ['HOTSPOTS_MAX_LABEL_VALUE_BYTES', 'maxLabelValueBytes', 16, MiB],
    ['HOTSPOTS_MAX_STACK_FRAMES', 'maxStackFrames', 1_000, 1_000_000_000],
    ['HOTSPOTS_MAX_PROFILE_RECORDS', 'maxProfileRecords', 1_000, 1_000_000_000],
    ['HOTSPOTS_MAX_QUERY_RANGE_SECONDS', 'maxQueryRangeSeconds', 60, 10 * 365 * 24 * 3600],
    ['HOTSPOTS_MAX_RESULT_ROWS', 'maxResultRows', 1, 1_000_000],
  ] as const;

  it.each(ranges)('accepts %s at its minimum', (variable, field, min) => {
    expect(loadConfig({ [variable]: String(min) }).limits[field]).toBe(min);
  });

  it.each(ranges)('accepts %s at its maximum', (variable, field, _min, max) => {
    expect(loadConfig({ [variable]: String(max) }).limits[field]).toBe(max);
  });

  it.each(ranges)('refuses %s below its minimum, naming the variable', (variable, _field, min) => {
    const error = configError(() => loadConfig({ [variable]: String(min - 1) }));

    expect(error.message).toContain(variable);
  });

  it.each(ranges)('refuses %s above its maximum, naming the variable', (variable, _field, _min, max) => {
    const error = configError(() => loadConfig({ [variable]: String(max + 1) }));

    expect(error.message).toContain(variable);
  });

  it.each(['12abc', '-5', '1.5', '1e6', ' 10'])('refuses the non-integer %j', (raw) => {
    const error = configError(() => loadConfig({ HOTSPOTS_MAX_RESULT_ROWS: raw }));

    expect(error.message).toContain('HOTSPOTS_MAX_RESULT_ROWS');
  });
});

describe('loadConfig validation', () => {
  it.each([
    ['HOTSPOTS_KAFKA_BROKERS', 'kafka'],
    ['HOTSPOTS_KAFKA_BROKERS', 'host:port:1'],
    ['HOTSPOTS_KAFKA_BROKERS', 'host name:9092'],
    ['HOTSPOTS_CLICKHOUSE_URL', 'ftp://clickhouse:21'],
    ['HOTSPOTS_CLICKHOUSE_URL', 'clickhouse:8123'],
    ['HOTSPOTS_CLICKHOUSE_DATABASE', 'hot-spots'],
    ['HOTSPOTS_CLICKHOUSE_DATABASE', 'hotspots; DROP TABLE x'],
    ['HOTSPOTS_CLICKHOUSE_CLUSTER', 'hot-spots'],
    ['HOTSPOTS_CLICKHOUSE_CLUSTER', '1cluster'],
    ['HOTSPOTS_CLICKHOUSE_CLUSTER', 'c, default'],
    ['HOTSPOTS_CLICKHOUSE_CLUSTER', 'c'.repeat(65)],
    ['HOTSPOTS_KAFKA_SSL', 'yes'],
    ['HOTSPOTS_S3_FORCE_PATH_STYLE', 'TRUE'],
    ['HOTSPOTS_KAFKA_SASL_MECHANISM', 'gssapi'],
    ['HOTSPOTS_LOG_LEVEL', 'verbose'],
    ['HOTSPOTS_API_KEYS', 'short:t'],
  ])('refuses %s=%j with a message naming it', (variable, raw) => {
    const error = configError(() => loadConfig({ [variable]: raw }));

    expect(error.message).toContain(variable);
  });

  it('reports problems as ConfigError', () => {
    expect(() => loadConfig({ HOTSPOTS_LOG_LEVEL: 'loud' })).toThrow(ConfigError);
  });
});

describe('parseApiKeys', () => {
  it('maps each key to its tenant', () => {
    const keys = parseApiKeys('key-one-1:acme,key-two-22:globex');

    expect(keys).toEqual([
      { key: 'key-one-1', tenant: 'acme' },
      { key: 'key-two-22', tenant: 'globex' },
    ]);
  });

  it('trims entries and skips empty ones', () => {
    expect(parseApiKeys(' key-one-1:acme , ,')).toEqual([{ key: 'key-one-1', tenant: 'acme' }]);
  });

  it('splits at the last colon, so keys may hold colons', () => {
    expect(parseApiKeys('a:b:c:d:e:acme')).toEqual([{ key: 'a:b:c:d:e', tenant: 'acme' }]);
  });

  it('refuses an entry without a tenant', () => {
    expect(() => parseApiKeys('key-without-tenant')).toThrow(/HOTSPOTS_API_KEYS/);
  });

  it('refuses an entry that starts with the colon', () => {
    expect(() => parseApiKeys(':acme')).toThrow(/must be key:tenant/);
  });

  it('refuses keys shorter than 8 characters', () => {
    expect(() => parseApiKeys('1234567:acme')).toThrow(/at least 8 characters/);
  });

  it('accepts a key of exactly 8 characters', () => {
    expect(parseApiKeys('12345678:acme')).toEqual([{ key: '12345678', tenant: 'acme' }]);
  });

  it.each(['', '-acme', 'ac/me', 'a'.repeat(65), 'ten ant', '../x'])('refuses the tenant %j', (tenant) => {
    expect(() => parseApiKeys(`long-enough-key:${tenant}`)).toThrow(/tenant/);
  });

  it('accepts a tenant of 64 characters', () => {
    const tenant = `t${'x'.repeat(63)}`;

    expect(parseApiKeys(`long-enough-key:${tenant}`)[0]?.tenant).toBe(tenant);
  });

  it('refuses a list without any entry', () => {
    expect(() => parseApiKeys(' , ')).toThrow(/at least one/);
  });

  it('names the variable it was given', () => {
    expect(() => parseApiKeys('', 'MY_KEYS')).toThrow(/MY_KEYS/);
  });

  it('does not echo a short key in its error', () => {
    const error = configError(() => parseApiKeys('s3cr3t:acme'));

    expect(error.message).not.toContain('s3cr3t');
  });
});
