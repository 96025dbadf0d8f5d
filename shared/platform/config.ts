/**
 * All environment reading happens here, once per cold start, through the table of variables in
 * config-variables.ts. Each variable is validated (type, range, allowed values) and a bad one fails
 * start-up with a message naming it, the way clickhouse-js validates its URL parameters. Nothing
 * else in the project reads process.env.
 */
import type { Env } from './config-kinds.js';
import type { ApiKeyEntry, LabelMappingOverride } from './config-tenants.js';
import { type ConfigVariableName, type ConfigVariables, configVariables } from './config-variables.js';

export { ConfigError } from './config-kinds.js';
export { type ApiKeyEntry, type LabelMappingOverride, parseApiKeys, parseLabelMappings } from './config-tenants.js';

export interface Config {
  apiKeys: ApiKeyEntry[];
  limits: {
    /** Largest request body accepted by upload routes (bytes, as received). */
    maxBodyBytes: number;
    /** Largest OTLP profiles request as received (bytes). */
    otlpMaxBodyBytes: number;
    /** Profiles one OTLP profiles request may hold. */
    otlpMaxProfilesPerRequest: number;
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
    /** Sample rows (non-zero values: samples × sample types) of one profile; a profile above it is dead-lettered. */
    maxRowsPerProfile: number;
    /** Label text (keys and values, bytes) all rows of one profile would write; a profile above it is dead-lettered. */
    maxLabelBytesPerProfile: number;
    /** Times a consumer retries a record failing with an unclassified error before dead-lettering it. */
    maxUnexpectedFailures: number;
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
    /** Requests of one endpoint `/v1/endpoints/requests` reads; more answers 400. */
    maxEndpointRequests: number;
    /** Versions `/v1/changes` compares in one window. */
    changesMaxVersions: number;
    /** Smallest relative change `/v1/changes` reports, in percent. */
    changeMinPercent: number;
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
  /** Limits of the Pyroscope query API (Connect, `/querier.v1.QuerierService/*`). */
  pyroscopeLimits: {
    maxRequestBytes: number;
    maxSelectorBytes: number;
    maxMatchers: number;
    maxSpanSelectors: number;
    maxTraceSelectors: number;
    maxHeatmapPoints: number;
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

type ConfigValue<N extends ConfigVariableName> = ReturnType<ConfigVariables[N]['value']>;

/** The value of one variable of the table, typed by its entry. */
function readVariable<N extends ConfigVariableName>(env: Env, name: N): ConfigValue<N> {
  // TypeScript widens a generic index into the table to the union of its entries; N pins one entry.
  return configVariables[name].value(env[name], name) as ConfigValue<N>;
}

export function loadConfig(env: Env = process.env): Config {
  const read = <N extends ConfigVariableName>(name: N) => readVariable(env, name);
  const s3Endpoint = read('HOTSPOTS_S3_ENDPOINT');
  const s3AccessKeyId = read('HOTSPOTS_S3_ACCESS_KEY_ID');
  const saslMechanism = read('HOTSPOTS_KAFKA_SASL_MECHANISM');
  return {
    apiKeys: read('HOTSPOTS_API_KEYS'),
    limits: {
      maxBodyBytes: read('HOTSPOTS_MAX_BODY_BYTES'),
      otlpMaxBodyBytes: read('HOTSPOTS_OTLP_MAX_BODY_BYTES'),
      otlpMaxProfilesPerRequest: read('HOTSPOTS_OTLP_MAX_PROFILES_PER_REQUEST'),
      maxDecompressedBytes: read('HOTSPOTS_MAX_DECOMPRESSED_BYTES'),
      maxSamplesPerProfile: read('HOTSPOTS_MAX_SAMPLES_PER_PROFILE'),
      maxLabelsPerSample: read('HOTSPOTS_MAX_LABELS_PER_SAMPLE'),
      maxLabelValueBytes: read('HOTSPOTS_MAX_LABEL_VALUE_BYTES'),
      maxStackFrames: read('HOTSPOTS_MAX_STACK_FRAMES'),
      maxProfileRecords: read('HOTSPOTS_MAX_PROFILE_RECORDS'),
      maxRowsPerProfile: read('HOTSPOTS_MAX_ROWS_PER_PROFILE'),
      maxLabelBytesPerProfile: read('HOTSPOTS_MAX_LABEL_BYTES_PER_PROFILE'),
      maxUnexpectedFailures: read('HOTSPOTS_MAX_UNEXPECTED_FAILURES'),
      maxQueryRangeSeconds: read('HOTSPOTS_MAX_QUERY_RANGE_SECONDS'),
      maxResultRows: read('HOTSPOTS_MAX_RESULT_ROWS'),
      flamegraphMaxNodes: read('HOTSPOTS_FLAMEGRAPH_MAX_NODES'),
      maxStacks: read('HOTSPOTS_MAX_STACKS'),
      maxTimeseriesPoints: read('HOTSPOTS_MAX_TIMESERIES_POINTS'),
      maxTimeseriesSeries: read('HOTSPOTS_MAX_TIMESERIES_SERIES'),
      topFunctions: read('HOTSPOTS_TOP_FUNCTIONS'),
      maxRequestSpans: read('HOTSPOTS_MAX_REQUEST_SPANS'),
      maxEndpointRequests: read('HOTSPOTS_MAX_ENDPOINT_REQUESTS'),
      changesMaxVersions: read('HOTSPOTS_CHANGES_MAX_VERSIONS'),
      changeMinPercent: read('HOTSPOTS_CHANGE_MIN_PERCENT'),
    },
    agentLimits: {
      maxParts: read('HOTSPOTS_MAX_UPLOAD_PARTS'),
      maxPartBytes: read('HOTSPOTS_MAX_UPLOAD_PART_BYTES'),
      maxTags: read('HOTSPOTS_MAX_PROFILE_TAGS'),
      maxEndpointCounts: read('HOTSPOTS_MAX_ENDPOINT_COUNTS'),
    },
    pyroscopeLimits: {
      maxRequestBytes: read('HOTSPOTS_PYROSCOPE_MAX_REQUEST_BYTES'),
      maxSelectorBytes: read('HOTSPOTS_PYROSCOPE_MAX_SELECTOR_BYTES'),
      maxMatchers: read('HOTSPOTS_PYROSCOPE_MAX_MATCHERS'),
      maxSpanSelectors: read('HOTSPOTS_PYROSCOPE_MAX_SPAN_SELECTORS'),
      maxTraceSelectors: read('HOTSPOTS_PYROSCOPE_MAX_TRACE_SELECTORS'),
      maxHeatmapPoints: read('HOTSPOTS_PYROSCOPE_MAX_HEATMAP_POINTS'),
    },
    spanLimits: {
      maxSpansPerPayload: read('HOTSPOTS_MAX_SPANS_PER_PAYLOAD'),
      maxTagsPerSpan: read('HOTSPOTS_MAX_TAGS_PER_SPAN'),
      maxStringBytes: read('HOTSPOTS_MAX_SPAN_STRING_BYTES'),
    },
    s3: {
      bucket: read('HOTSPOTS_RAW_BUCKET'),
      // The two derived defaults the table documents (derivedDefault).
      region: read('HOTSPOTS_S3_REGION') ?? read('AWS_REGION'),
      endpoint: s3Endpoint,
      forcePathStyle: read('HOTSPOTS_S3_FORCE_PATH_STYLE') ?? s3Endpoint !== undefined,
      requestTimeoutMs: read('HOTSPOTS_S3_REQUEST_TIMEOUT_MS'),
      credentials:
        s3AccessKeyId === undefined
          ? undefined
          : { accessKeyId: s3AccessKeyId, secretAccessKey: read('HOTSPOTS_S3_SECRET_ACCESS_KEY') },
    },
    kafka: {
      brokers: read('HOTSPOTS_KAFKA_BROKERS'),
      clientId: read('HOTSPOTS_KAFKA_CLIENT_ID'),
      profilesTopic: read('HOTSPOTS_PROFILES_TOPIC'),
      spansTopic: read('HOTSPOTS_SPANS_TOPIC'),
      deadLetterTopic: read('HOTSPOTS_DEAD_LETTER_TOPIC'),
      publishTimeoutMs: read('HOTSPOTS_KAFKA_PUBLISH_TIMEOUT_MS'),
      consumerGroup: read('HOTSPOTS_CONSUMER_GROUP'),
      ssl: read('HOTSPOTS_KAFKA_SSL'),
      sasl:
        saslMechanism === undefined
          ? undefined
          : {
              mechanism: saslMechanism,
              username: read('HOTSPOTS_KAFKA_SASL_USERNAME'),
              password: read('HOTSPOTS_KAFKA_SASL_PASSWORD'),
            },
    },
    clickhouse: {
      url: read('HOTSPOTS_CLICKHOUSE_URL'),
      username: read('HOTSPOTS_CLICKHOUSE_USER'),
      password: read('HOTSPOTS_CLICKHOUSE_PASSWORD'),
      database: read('HOTSPOTS_CLICKHOUSE_DATABASE'),
      requestTimeoutMs: read('HOTSPOTS_CLICKHOUSE_REQUEST_TIMEOUT_MS'),
      cluster: read('HOTSPOTS_CLICKHOUSE_CLUSTER'),
    },
    labelMappings: read('HOTSPOTS_LABEL_MAPPINGS'),
    agentTrustedTenant: read('HOTSPOTS_AGENT_TRUSTED_TENANT'),
    deadLetterPrefix: read('HOTSPOTS_DEAD_LETTER_PREFIX'),
    consumer: {
      insertChunkBytes: read('HOTSPOTS_INSERT_CHUNK_BYTES'),
      prefetch: read('HOTSPOTS_CONSUMER_PREFETCH'),
      pprofDecoder: read('HOTSPOTS_PPROF_DECODER'),
    },
    logLevel: read('HOTSPOTS_LOG_LEVEL'),
  };
}
