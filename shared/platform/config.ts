/**
 * All environment reading happens here, once per cold start. Each variable is validated (type,
 * range, allowed values) and a bad one fails start-up with a message naming it, the way
 * clickhouse-js validates its URL parameters. Nothing else in the project reads process.env.
 */
import type { IdFormat, LabelKeyRule, LabelMapping } from './labels.js';

export interface ApiKeyEntry {
  key: string;
  tenant: string;
}

export interface Config {
  apiKeys: ApiKeyEntry[];
  limits: {
    /** Largest request body accepted by upload routes (bytes, as received). */
    maxBodyBytes: number;
    /** Largest pprof after gzip/zstd decompression, checked by the consumer (bytes). */
    maxDecompressedBytes: number;
    /** Samples per profile; a profile above it is dead-lettered, not truncated. */
    maxSamplesPerProfile: number;
    /** Labels on one sample; extra labels make the profile unprocessable. */
    maxLabelsPerSample: number;
    /** Longest label key or value kept (bytes of UTF-8); longer values are refused. */
    maxLabelValueBytes: number;
    /** Frames summed over a profile's distinct stacks (and caller paths); a profile above it is dead-lettered. */
    maxStackFrames: number;
    /** Locations, lines, functions and strings of one profile, summed; a profile above it is dead-lettered. */
    maxProfileRecords: number;
    /** Widest query window (seconds). */
    maxQueryRangeSeconds: number;
    /** Most rows a query route returns. */
    maxResultRows: number;
    /** Most nodes in a JSON flame graph; smaller nodes fold into "(other)". */
    flamegraphMaxNodes: number;
    /** Most distinct stacks resolved for one flame graph; the rest is one "(other stacks)" entry. */
    maxStacks: number;
    /** Most points per series of a timeseries (range / step). */
    maxTimeseriesPoints: number;
    /** Most series of a timeseries; the smallest are summed into one "other" series. */
    maxTimeseriesSeries: number;
    /** Functions listed in a span's top-functions lists. */
    topFunctions: number;
    /** Spans of one service in a trace read to find a request from its span tree; more answers 422. */
    maxRequestSpans: number;
  };
  /** Limits of the agent intakes (Datadog profiling, Pyroscope); the whole body is bounded by maxBodyBytes. */
  agentLimits: {
    /** Parts (attachments and form fields) of one multipart upload. */
    maxParts: number;
    /** Largest single part of a multipart upload (bytes, as received). */
    maxPartBytes: number;
    /** Tags (Datadog) or labels (Pyroscope `name`) one upload may declare. */
    maxTags: number;
    /** Entries of a Datadog event's endpoint_counts. */
    maxEndpointCounts: number;
  };
  /** Limits of the trace intakes (Datadog /v0.4 and /v0.5 traces, OTLP/HTTP); bodies are bounded by maxBodyBytes. */
  spanLimits: {
    /** Spans in one request; more is refused whole (413). */
    maxSpansPerPayload: number;
    /** Tags of one span (meta + metrics, or OTLP attributes); more refuses the span. */
    maxTagsPerSpan: number;
    /** Longest string kept (UTF-8 bytes); longer names, keys and values are truncated, as the Datadog agent does. */
    maxStringBytes: number;
  };
  s3: {
    bucket: string;
    region: string;
    endpoint: string | undefined;
    forcePathStyle: boolean;
    /** Longest one S3 request may take (2 attempts); a hung S3 fails an upload with 503 well before API Gateway's 29 s. */
    requestTimeoutMs: number;
    credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  };
  kafka: {
    brokers: string[];
    clientId: string;
    profilesTopic: string;
    spansTopic: string;
    /** Topic that receives every dead letter (reason + original record), besides its S3 copy. */
    deadLetterTopic: string;
    /** Deadline of one envelope publish, connection included: past it the upload answers 503. */
    publishTimeoutMs: number;
    consumerGroup: string;
    ssl: boolean;
    sasl: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
  };
  clickhouse: {
    url: string;
    username: string;
    password: string;
    database: string;
    requestTimeoutMs: number;
    /**
     * HOTSPOTS_CLICKHOUSE_CLUSTER: a cluster of the servers' `remote_servers`. Set, migrations
     * create the sharded schema (infra/clickhouse/cluster/README.md) and queries run with the
     * settings it needs; unset, a single node.
     */
    cluster: string | undefined;
  };
  /** Per-tenant label key overrides (HOTSPOTS_LABEL_MAPPINGS); tenants not listed use the defaults. */
  labelMappings: Record<string, LabelMappingOverride>;
  /** Tenant for key-less agent requests (shared/agents/agent-auth.ts); undefined = keys required. */
  agentTrustedTenant: string | undefined;
  deadLetterPrefix: string;
  /** How the profiles consumer batches its work; together they bound its memory (README "Capacity"). */
  consumer: {
    /** Encoded rows per ClickHouse INSERT (bytes); one insert runs while at most one more waits. */
    insertChunkBytes: number;
    /** Raw payloads fetched from S3 ahead of the one being decoded. */
    prefetch: number;
    /**
     * `wasm`: the WebAssembly decoder, which leaves unusual profiles to the JavaScript one;
     * `js`: the JavaScript decoder only (a fallback for operators, should the other misbehave).
     */
    pprofDecoder: 'wasm' | 'js';
  };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

function optionalText(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got ${JSON.stringify(raw)}`);
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

const tenantPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `key:tenant,key2:tenant2`. Tenants name S3 prefixes, so their alphabet is restricted. */
export function parseApiKeys(raw: string, variable = 'HOTSPOTS_API_KEYS'): ApiKeyEntry[] {
  const entries: ApiKeyEntry[] = [];
  for (const item of raw.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const colon = trimmed.lastIndexOf(':');
    // The entry itself is not echoed: it would put a key into start-up logs.
    if (colon <= 0) throw new ConfigError(variable, `entry ${entries.length + 1} must be key:tenant`);
    const key = trimmed.slice(0, colon);
    const tenant = trimmed.slice(colon + 1);
    if (key.length < 8) throw new ConfigError(variable, 'keys must be at least 8 characters');
    if (!tenantPattern.test(tenant)) {
      throw new ConfigError(variable, `tenant ${JSON.stringify(tenant)} must match ${tenantPattern.source}`);
    }
    entries.push({ key, tenant });
  }
  if (entries.length === 0) throw new ConfigError(variable, 'must name at least one key:tenant');
  return entries;
}

export type LabelMappingOverride = Partial<LabelMapping>;

const labelMeanings: readonly (keyof LabelMapping)[] = ['spanId', 'localRootSpanId', 'endpoint', 'traceId'];
const idMeanings: readonly (keyof LabelMapping)[] = ['spanId', 'localRootSpanId'];
const idFormats: readonly IdFormat[] = ['decimal', 'hex16-or-decimal'];
const MAX_LABEL_RULES = 16;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function labelRules(variable: string, where: string, meaning: keyof LabelMapping, value: unknown): LabelKeyRule[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LABEL_RULES) {
    throw new ConfigError(variable, `${where} must be a list of 1 to ${MAX_LABEL_RULES} {"key", "format"} rules`);
  }
  return value.map((rule, index) => {
    const at = `${where}[${index}]`;
    if (!isPlainObject(rule)) throw new ConfigError(variable, `${at} must be an object`);
    const unknown = Object.keys(rule).filter((k) => k !== 'key' && k !== 'format');
    if (unknown.length > 0) throw new ConfigError(variable, `${at} has unknown field ${JSON.stringify(unknown[0])}`);
    if (typeof rule.key !== 'string' || rule.key === '' || rule.key.length > 256) {
      throw new ConfigError(variable, `${at}.key must be a non-empty label key`);
    }
    if (!idMeanings.includes(meaning)) {
      // Endpoints and trace ids are kept as text: a format would be silently ignored, so refuse it.
      if (rule.format !== undefined) throw new ConfigError(variable, `${at}.format applies to span ids only`);
      return { key: rule.key };
    }
    const format = rule.format ?? 'decimal';
    if (typeof format !== 'string' || !(idFormats as readonly string[]).includes(format)) {
      throw new ConfigError(variable, `${at}.format must be one of ${idFormats.join(', ')}`);
    }
    return { key: rule.key, format: format as IdFormat };
  });
}

/**
 * `{"<tenant>": {"spanId": [{"key": "…", "format": "decimal|hex16-or-decimal"}], "endpoint": [{"key": "…"}], …}}`.
 * A tenant's entry replaces the default rules of the meanings it names and keeps the others.
 */
export function parseLabelMappings(
  raw: string | undefined,
  variable = 'HOTSPOTS_LABEL_MAPPINGS',
): Record<string, LabelMappingOverride> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError(variable, `must be JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw new ConfigError(variable, 'must be a JSON object keyed by tenant');
  const mappings: Record<string, LabelMappingOverride> = {};
  for (const [tenant, entry] of Object.entries(parsed)) {
    if (!tenantPattern.test(tenant)) {
      throw new ConfigError(variable, `tenant ${JSON.stringify(tenant)} must match ${tenantPattern.source}`);
    }
    if (!isPlainObject(entry)) throw new ConfigError(variable, `entry of tenant ${tenant} must be an object`);
    const override: LabelMappingOverride = {};
    for (const [meaning, rules] of Object.entries(entry)) {
      if (!(labelMeanings as readonly string[]).includes(meaning)) {
        throw new ConfigError(variable, `${tenant}.${meaning} is not a label meaning; use ${labelMeanings.join(', ')}`);
      }
      const key = meaning as keyof LabelMapping;
      override[key] = labelRules(variable, `${tenant}.${meaning}`, key, rules);
    }
    mappings[tenant] = override;
  }
  return mappings;
}

const MiB = 1024 * 1024;

function trustedTenant(env: Env): string | undefined {
  const tenant = optionalText(env, 'HOTSPOTS_AGENT_TRUSTED_TENANT');
  if (tenant !== undefined && !tenantPattern.test(tenant)) {
    throw new ConfigError('HOTSPOTS_AGENT_TRUSTED_TENANT', `must match ${tenantPattern.source}`);
  }
  return tenant;
}

export function loadConfig(env: Env = process.env): Config {
  const brokers = text(env, 'HOTSPOTS_KAFKA_BROKERS', '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) {
      throw new ConfigError('HOTSPOTS_KAFKA_BROKERS', `entry ${JSON.stringify(broker)} must be host:port`);
    }
  }
  const saslMechanism = optionalText(env, 'HOTSPOTS_KAFKA_SASL_MECHANISM');
  const s3AccessKey = optionalText(env, 'HOTSPOTS_S3_ACCESS_KEY_ID');
  const clickhouseUrl = text(env, 'HOTSPOTS_CLICKHOUSE_URL', 'http://127.0.0.1:8123');
  if (!/^https?:\/\/[^\s]+$/.test(clickhouseUrl)) {
    throw new ConfigError('HOTSPOTS_CLICKHOUSE_URL', `must be an http(s) URL, got ${JSON.stringify(clickhouseUrl)}`);
  }
  const database = text(env, 'HOTSPOTS_CLICKHOUSE_DATABASE', 'hotspots');
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(database)) {
    throw new ConfigError('HOTSPOTS_CLICKHOUSE_DATABASE', 'must be a plain identifier');
  }
  // Cluster names go into DDL (ON CLUSTER, Distributed(...)) unquoted: plain identifiers only.
  const cluster = optionalText(env, 'HOTSPOTS_CLICKHOUSE_CLUSTER');
  if (cluster !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(cluster)) {
    throw new ConfigError('HOTSPOTS_CLICKHOUSE_CLUSTER', `must be a plain identifier, got ${JSON.stringify(cluster)}`);
  }
  return {
    apiKeys: parseApiKeys(text(env, 'HOTSPOTS_API_KEYS', 'local-dev-key:default')),
    limits: {
      maxBodyBytes: integer(env, 'HOTSPOTS_MAX_BODY_BYTES', 10 * MiB, 1024, 1024 * MiB),
      maxDecompressedBytes: integer(env, 'HOTSPOTS_MAX_DECOMPRESSED_BYTES', 64 * MiB, 1024, 4096 * MiB),
      maxSamplesPerProfile: integer(env, 'HOTSPOTS_MAX_SAMPLES_PER_PROFILE', 2_000_000, 1, 100_000_000),
      maxLabelsPerSample: integer(env, 'HOTSPOTS_MAX_LABELS_PER_SAMPLE', 64, 1, 10_000),
      maxLabelValueBytes: integer(env, 'HOTSPOTS_MAX_LABEL_VALUE_BYTES', 4096, 16, 1024 * 1024),
      maxStackFrames: integer(env, 'HOTSPOTS_MAX_STACK_FRAMES', 32_000_000, 1_000, 1_000_000_000),
      maxProfileRecords: integer(env, 'HOTSPOTS_MAX_PROFILE_RECORDS', 4_000_000, 1_000, 1_000_000_000),
      maxQueryRangeSeconds: integer(env, 'HOTSPOTS_MAX_QUERY_RANGE_SECONDS', 31 * 24 * 3600, 60, 10 * 365 * 24 * 3600),
      maxResultRows: integer(env, 'HOTSPOTS_MAX_RESULT_ROWS', 10_000, 1, 1_000_000),
      flamegraphMaxNodes: integer(env, 'HOTSPOTS_FLAMEGRAPH_MAX_NODES', 5000, 10, 1_000_000),
      maxStacks: integer(env, 'HOTSPOTS_MAX_STACKS', 100_000, 10, 10_000_000),
      maxTimeseriesPoints: integer(env, 'HOTSPOTS_MAX_TIMESERIES_POINTS', 1000, 10, 100_000),
      maxTimeseriesSeries: integer(env, 'HOTSPOTS_MAX_TIMESERIES_SERIES', 50, 2, 10_000),
      topFunctions: integer(env, 'HOTSPOTS_TOP_FUNCTIONS', 20, 1, 1000),
      maxRequestSpans: integer(env, 'HOTSPOTS_MAX_REQUEST_SPANS', 100_000, 1, 10_000_000),
    },
    agentLimits: {
      maxParts: integer(env, 'HOTSPOTS_MAX_UPLOAD_PARTS', 32, 2, 1000),
      maxPartBytes: integer(env, 'HOTSPOTS_MAX_UPLOAD_PART_BYTES', 8 * MiB, 1024, 1024 * MiB),
      maxTags: integer(env, 'HOTSPOTS_MAX_PROFILE_TAGS', 128, 1, 10_000),
      maxEndpointCounts: integer(env, 'HOTSPOTS_MAX_ENDPOINT_COUNTS', 10_000, 1, 1_000_000),
    },
    spanLimits: {
      maxSpansPerPayload: integer(env, 'HOTSPOTS_MAX_SPANS_PER_PAYLOAD', 100_000, 1, 10_000_000),
      maxTagsPerSpan: integer(env, 'HOTSPOTS_MAX_TAGS_PER_SPAN', 1024, 1, 100_000),
      maxStringBytes: integer(env, 'HOTSPOTS_MAX_SPAN_STRING_BYTES', 25_000, 64, 1024 * 1024),
    },
    s3: {
      bucket: text(env, 'HOTSPOTS_RAW_BUCKET', 'hotspots-raw'),
      region: text(env, 'HOTSPOTS_S3_REGION', text(env, 'AWS_REGION', 'us-east-1')),
      endpoint: optionalText(env, 'HOTSPOTS_S3_ENDPOINT'),
      forcePathStyle: boolean(
        env,
        'HOTSPOTS_S3_FORCE_PATH_STYLE',
        optionalText(env, 'HOTSPOTS_S3_ENDPOINT') !== undefined,
      ),
      requestTimeoutMs: integer(env, 'HOTSPOTS_S3_REQUEST_TIMEOUT_MS', 5000, 100, 600_000),
      credentials:
        s3AccessKey === undefined
          ? undefined
          : { accessKeyId: s3AccessKey, secretAccessKey: text(env, 'HOTSPOTS_S3_SECRET_ACCESS_KEY', '') },
    },
    kafka: {
      brokers,
      clientId: text(env, 'HOTSPOTS_KAFKA_CLIENT_ID', 'hotspots'),
      profilesTopic: text(env, 'HOTSPOTS_PROFILES_TOPIC', 'hotspots.profiles'),
      spansTopic: text(env, 'HOTSPOTS_SPANS_TOPIC', 'hotspots.spans'),
      deadLetterTopic: text(env, 'HOTSPOTS_DEAD_LETTER_TOPIC', 'hotspots.dead-letter'),
      publishTimeoutMs: integer(env, 'HOTSPOTS_KAFKA_PUBLISH_TIMEOUT_MS', 10_000, 1000, 25_000),
      consumerGroup: text(env, 'HOTSPOTS_CONSUMER_GROUP', 'hotspots-consumer'),
      ssl: boolean(env, 'HOTSPOTS_KAFKA_SSL', false),
      sasl:
        saslMechanism === undefined
          ? undefined
          : {
              mechanism: oneOf(env, 'HOTSPOTS_KAFKA_SASL_MECHANISM', 'plain', [
                'plain',
                'scram-sha-256',
                'scram-sha-512',
              ] as const),
              username: text(env, 'HOTSPOTS_KAFKA_SASL_USERNAME', ''),
              password: text(env, 'HOTSPOTS_KAFKA_SASL_PASSWORD', ''),
            },
    },
    clickhouse: {
      url: clickhouseUrl,
      username: text(env, 'HOTSPOTS_CLICKHOUSE_USER', 'default'),
      password: text(env, 'HOTSPOTS_CLICKHOUSE_PASSWORD', ''),
      database,
      requestTimeoutMs: integer(env, 'HOTSPOTS_CLICKHOUSE_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
      cluster,
    },
    labelMappings: parseLabelMappings(env.HOTSPOTS_LABEL_MAPPINGS),
    agentTrustedTenant: trustedTenant(env),
    deadLetterPrefix: text(env, 'HOTSPOTS_DEAD_LETTER_PREFIX', 'dead-letter/'),
    consumer: {
      insertChunkBytes: integer(env, 'HOTSPOTS_INSERT_CHUNK_BYTES', 16 * MiB, 64 * 1024, 1024 * MiB),
      prefetch: integer(env, 'HOTSPOTS_CONSUMER_PREFETCH', 4, 1, 64),
      pprofDecoder: oneOf(env, 'HOTSPOTS_PPROF_DECODER', 'wasm', ['wasm', 'js'] as const),
    },
    logLevel: oneOf(env, 'HOTSPOTS_LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error'] as const),
  };
}
