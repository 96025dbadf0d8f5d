/**
 * Every environment variable Hotspots reads: its kind, default, bounds and meaning. loadConfig
 * (config.ts) reads nothing else, and docs/configuration.md's table is generated from this one
 * (`npm run docs:config`), in this order.
 */
import {
  boolean,
  type ConfigVariable,
  integer,
  list,
  oneOf,
  structured,
  type TextFormat,
  text,
} from './config-kinds.js';
import { apiKeysSyntax, parseApiKeys, parseLabelMappings, tenantName } from './config-tenants.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const DAY_SECONDS = 24 * 3600;

const httpUrl: TextFormat = {
  pattern: /^https?:\/\/[^\s]+$/,
  allowed: 'http(s) URL',
  problem: (value) => `must be an http(s) URL, got ${JSON.stringify(value)}`,
};

const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const identifierAllowed = `identifier \`${identifierPattern.source}\``;

const hostPort: TextFormat = {
  pattern: /^[^\s:]+:\d{1,5}$/,
  allowed: '`host:port`',
  problem: (entry) => `entry ${JSON.stringify(entry)} must be host:port`,
};

export const configVariables = {
  HOTSPOTS_API_KEYS: structured({
    default: 'local-dev-key:default',
    syntax: apiKeysSyntax,
    parse: parseApiKeys,
    doc: 'API keys and the tenant each one stands for. Unset or empty means the local development key, so give every deployed stage its own (on AWS, an SSM reference as the `apiKeys` param)',
    onAws:
      'the `apiKeys` param; without it a placeholder that is no `key:tenant` pair, so the functions refuse to start',
  }),
  HOTSPOTS_AGENT_TRUSTED_TENANT: text({
    format: tenantName,
    doc: 'tenant of agent requests that carry no API key; unset: agents need a key. Only for an API reachable from a private network alone',
  }),
  HOTSPOTS_LABEL_MAPPINGS: structured({
    default: '',
    syntax: 'JSON object keyed by tenant ([data-model.md](data-model.md#labels))',
    parse: parseLabelMappings,
    doc: "per-tenant pprof label keys of span id, local root span id, endpoint and trace id; a tenant's entry replaces the default keys of the meanings it names, unlisted tenants keep the defaults",
  }),

  HOTSPOTS_MAX_BODY_BYTES: integer({
    default: 10 * MiB,
    min: KiB,
    max: 1024 * MiB,
    unit: 'bytes',
    doc: "largest request body of an upload route, as received (413 above). API Gateway caps bodies at 10 MB and Lambda's request payload at 6 MB, so on AWS the effective limit is ~4.5 MB of binary",
  }),
  HOTSPOTS_OTLP_MAX_BODY_BYTES: integer({
    default: 64 * MiB,
    min: KiB,
    max: 1024 * MiB,
    unit: 'bytes',
    doc: "largest OTLP profiles request (`/v1development/profiles`) as received (413 above); 64 MiB is the OTLP specification's suggestion. Decompressed, it is bounded by `HOTSPOTS_MAX_DECOMPRESSED_BYTES`; on AWS, API Gateway's 10 MB and Lambda's 6 MB caps come first",
  }),
  HOTSPOTS_OTLP_MAX_PROFILES_PER_REQUEST: integer({
    default: 1000,
    min: 1,
    max: 1_000_000,
    doc: 'profiles (resource × scope × profile, empty ones not counted) in one OTLP profiles request; each costs an envelope and a receipt, so more refuses the request whole (413)',
  }),
  HOTSPOTS_MAX_UPLOAD_PARTS: integer({
    default: 32,
    min: 2,
    max: 1000,
    doc: 'parts (attachments and form fields) of one agent multipart upload (413 above)',
  }),
  HOTSPOTS_MAX_UPLOAD_PART_BYTES: integer({
    default: 8 * MiB,
    min: KiB,
    max: 1024 * MiB,
    unit: 'bytes',
    doc: 'largest single part of an agent multipart upload, as received (413 above); the whole body stays bounded by `HOTSPOTS_MAX_BODY_BYTES`',
  }),
  HOTSPOTS_MAX_PROFILE_TAGS: integer({
    default: 128,
    min: 1,
    max: 10_000,
    doc: 'tags (Datadog) or `name` labels (Pyroscope) one upload may declare (400 above)',
  }),
  HOTSPOTS_MAX_ENDPOINT_COUNTS: integer({
    default: 10_000,
    min: 1,
    max: 1_000_000,
    doc: "entries of a Datadog event's `endpoint_counts` (413 above)",
  }),
  HOTSPOTS_MAX_SPANS_PER_PAYLOAD: integer({
    default: 100_000,
    min: 1,
    max: 10_000_000,
    doc: 'spans in one trace request; more refuses the request whole (413)',
  }),
  HOTSPOTS_MAX_TAGS_PER_SPAN: integer({
    default: 1024,
    min: 1,
    max: 100_000,
    doc: 'tags of one span (meta + metrics, or OTLP attributes); more refuses the span (Datadog: the payload)',
  }),
  HOTSPOTS_MAX_SPAN_STRING_BYTES: integer({
    default: 25_000,
    min: 64,
    max: MiB,
    unit: 'bytes',
    doc: 'longest span name, tag key or tag value kept (UTF-8); longer ones are cut at a whole character, as the Datadog agent does',
  }),

  HOTSPOTS_MAX_DECOMPRESSED_BYTES: integer({
    default: 64 * MiB,
    min: KiB,
    max: 4096 * MiB,
    unit: 'bytes',
    doc: 'largest pprof after gzip/zstd decompression; a bigger one is stopped while inflating and dead-lettered',
  }),
  HOTSPOTS_MAX_SAMPLES_PER_PROFILE: integer({
    default: 2_000_000,
    min: 1,
    max: 100_000_000,
    doc: 'samples of one profile; more dead-letters the profile rather than truncating it',
  }),
  HOTSPOTS_MAX_LABELS_PER_SAMPLE: integer({
    default: 64,
    min: 1,
    max: 10_000,
    doc: 'labels on one sample; more dead-letters the profile',
  }),
  HOTSPOTS_MAX_LABEL_VALUE_BYTES: integer({
    default: 4096,
    min: 16,
    max: MiB,
    unit: 'bytes',
    doc: 'longest label key or value (UTF-8); a longer one dead-letters the profile',
  }),
  HOTSPOTS_MAX_STACK_FRAMES: integer({
    default: 32_000_000,
    min: 1_000,
    max: 1_000_000_000,
    doc: "frames summed over a profile's distinct stacks (and caller paths); more dead-letters the profile. Bounds the decoder's work and the stack rows (8 bytes a frame)",
  }),
  HOTSPOTS_MAX_PROFILE_RECORDS: integer({
    default: 4_000_000,
    min: 1_000,
    max: 1_000_000_000,
    doc: "locations, lines, functions and strings of one profile, summed; more dead-letters the profile. Bounds the decoder's tables: an empty record is 2 bytes, so a small gzip can hold tens of millions ([performance.md](performance.md#memory))",
  }),
  HOTSPOTS_MAX_ROWS_PER_PROFILE: integer({
    default: 4_000_000,
    min: 1_000,
    max: 1_000_000_000,
    doc: 'sample rows of one profile (its non-zero values: samples × sample types); more dead-letters the profile. Bounds what a small profile of many sample types makes the consumer hold (~20 bytes a row) and write',
  }),
  HOTSPOTS_MAX_LABEL_BYTES_PER_PROFILE: integer({
    default: 256 * MiB,
    min: KiB,
    max: 64 * 1024 * MiB,
    unit: 'bytes',
    doc: 'label text (keys and values, bytes) all sample rows of one profile would write, each row carrying its labels; more dead-letters the profile. Bounds the insert a few samples of long labels can cause',
  }),

  HOTSPOTS_INSERT_CHUNK_BYTES: integer({
    default: 16 * MiB,
    min: 64 * KiB,
    max: 1024 * MiB,
    unit: 'bytes',
    doc: "encoded rows per ClickHouse INSERT of the consumer; one insert runs while at most one more waits, so this bounds the consumer's memory ([performance.md](performance.md#memory))",
  }),
  HOTSPOTS_MAX_UNEXPECTED_FAILURES: integer({
    default: 5,
    min: 1,
    max: 1000,
    doc: 'attempts a consumer gives a record that fails with an error nobody classified (a bug, not an outage) before dead-lettering it with `internal`, so one record cannot stop its partition; counted per warm container. An outage (`unavailable`) is retried for as long as it lasts',
  }),
  HOTSPOTS_CONSUMER_PREFETCH: integer({
    default: 4,
    min: 1,
    max: 64,
    doc: 'raw payloads the consumer fetches from S3 ahead of the one it decodes',
  }),
  HOTSPOTS_PPROF_DECODER: oneOf({
    values: ['wasm', 'js'],
    default: 'wasm',
    doc: '`wasm`: the WebAssembly decoder, which hands unusual profiles to the JavaScript one; `js`: the JavaScript decoder only, ~2.5× slower (a switch for operators, should the WebAssembly decoder misbehave)',
  }),

  HOTSPOTS_MAX_QUERY_RANGE_SECONDS: integer({
    default: 31 * DAY_SECONDS,
    min: 60,
    max: 10 * 365 * DAY_SECONDS,
    unit: 'seconds',
    doc: 'widest query window (400 above)',
  }),
  HOTSPOTS_MAX_RESULT_ROWS: integer({
    default: 10_000,
    min: 1,
    max: 1_000_000,
    doc: 'most rows a query route returns (`truncated: true` beyond)',
  }),
  HOTSPOTS_FLAMEGRAPH_MAX_NODES: integer({
    default: 5000,
    min: 10,
    max: 1_000_000,
    doc: 'most nodes of a JSON flame graph; smaller nodes fold into `(other)`',
  }),
  HOTSPOTS_MAX_STACKS: integer({
    default: 100_000,
    min: 10,
    max: 10_000_000,
    doc: 'most distinct stacks resolved for one flame graph; the rest is one `(other stacks)` entry, totals stay exact',
  }),
  HOTSPOTS_MAX_TIMESERIES_POINTS: integer({
    default: 1000,
    min: 10,
    max: 100_000,
    doc: 'most points per series of a timeseries, (to − from) / step (400 above)',
  }),
  HOTSPOTS_MAX_TIMESERIES_SERIES: integer({
    default: 50,
    min: 2,
    max: 10_000,
    doc: 'most series of a timeseries; the smallest are summed into one `other` series',
  }),
  HOTSPOTS_MAX_ENDPOINT_REQUESTS: integer({
    default: 100_000,
    min: 10,
    max: 10_000_000,
    doc: 'most requests (local roots) of one endpoint `/v1/endpoints/requests` ranks and draws in its heatmap; 400 above',
  }),
  HOTSPOTS_CHANGES_MAX_VERSIONS: integer({
    default: 20,
    min: 2,
    max: 1000,
    doc: 'most versions of a service `/v1/changes` compares in one window (the oldest first; `truncated: true` beyond)',
  }),
  HOTSPOTS_CHANGE_MIN_PERCENT: integer({
    default: 10,
    min: 0,
    max: 1000,
    doc: 'smallest relative change of an endpoint’s CPU per request (or share) that `/v1/changes` reports as a change, on top of the 3σ noise rule',
  }),
  HOTSPOTS_TOP_FUNCTIONS: integer({
    default: 20,
    min: 1,
    max: 1000,
    doc: "functions in each of a span's top-functions lists",
  }),
  HOTSPOTS_MAX_REQUEST_SPANS: integer({
    default: 100_000,
    min: 1,
    max: 10_000_000,
    doc: "spans of one request (a local root's same-service subtree) read when samples carry span ids only; a larger request answers 422 on span hotspots and the request flame graph. A truncated trace view reads at most this many spans' parentage to sum its local roots' requests (`cpu_ns_with_children: null` beyond)",
  }),
  HOTSPOTS_PYROSCOPE_MAX_REQUEST_BYTES: integer({
    default: 1 * MiB,
    min: KiB,
    max: 64 * MiB,
    unit: 'bytes',
    doc: 'largest request body of the Pyroscope query API (`/querier.v1.QuerierService/*`), after gzip; 413 above',
  }),
  HOTSPOTS_PYROSCOPE_MAX_SELECTOR_BYTES: integer({
    default: 16 * KiB,
    min: 64,
    max: MiB,
    unit: 'bytes',
    doc: 'longest label selector of the Pyroscope query API; 400 above',
  }),
  HOTSPOTS_PYROSCOPE_MAX_MATCHERS: integer({
    default: 64,
    min: 1,
    max: 10_000,
    doc: 'most label matchers in one selector, and most selectors, `label_names` or `group_by` labels in one Pyroscope query; 400 above',
  }),
  HOTSPOTS_PYROSCOPE_MAX_HEATMAP_POINTS: integer({
    default: 100_000,
    min: 10,
    max: 10_000_000,
    doc: 'most points (profiles or spans) one SelectHeatmap of the Pyroscope query API reads; 400 above',
  }),
  HOTSPOTS_PYROSCOPE_MAX_SPAN_SELECTORS: integer({
    default: 1000,
    min: 1,
    max: 1_000_000,
    doc: 'most span ids in one `span_selector` of the Pyroscope query API; 400 above',
  }),

  HOTSPOTS_PYROSCOPE_MAX_TRACE_SELECTORS: integer({
    default: 1000,
    min: 1,
    max: 1_000_000,
    doc: 'most trace ids in one `trace_id_selector` of the Pyroscope query API; 400 above',
  }),

  HOTSPOTS_RAW_BUCKET: text({
    default: 'hotspots-raw',
    doc: 'S3 bucket of raw payloads and dead letters',
    onAws: '`hotspots-<stage>-raw-<region>`, created by the stack (`rawBucket` param)',
  }),
  HOTSPOTS_DEAD_LETTER_PREFIX: text({
    default: 'dead-letter/',
    doc: 'S3 key prefix of dead letters',
  }),
  HOTSPOTS_S3_ENDPOINT: text({
    doc: "S3 API endpoint of an S3-compatible server (s3rver in the local stack); unset: AWS's endpoint of the region",
  }),
  HOTSPOTS_S3_REGION: text({
    derivedDefault: 'the value of `AWS_REGION`',
    doc: 'region of the raw bucket',
  }),
  AWS_REGION: text({
    default: 'us-east-1',
    doc: "set by Lambda to the function's region; the S3 region when `HOTSPOTS_S3_REGION` is unset",
  }),
  HOTSPOTS_S3_FORCE_PATH_STYLE: boolean({
    derivedDefault: '`true` when `HOTSPOTS_S3_ENDPOINT` is set, else `false`',
    doc: 'path-style S3 addressing (`endpoint/bucket/key`), which S3-compatible servers need',
  }),
  HOTSPOTS_S3_ACCESS_KEY_ID: text({
    doc: "static S3 credentials, with `HOTSPOTS_S3_SECRET_ACCESS_KEY`; unset: the AWS SDK's own (on Lambda, the function's role)",
  }),
  HOTSPOTS_S3_SECRET_ACCESS_KEY: text({
    default: '',
    doc: 'secret of `HOTSPOTS_S3_ACCESS_KEY_ID` (read only when that is set)',
  }),
  HOTSPOTS_S3_REQUEST_TIMEOUT_MS: integer({
    default: 5000,
    min: 100,
    max: 600_000,
    unit: 'milliseconds',
    doc: "longest one S3 request may take (2 attempts); a hung S3 fails an upload with 503 well before API Gateway's 29 s",
  }),

  HOTSPOTS_KAFKA_BROKERS: list({
    default: ['127.0.0.1:9092'],
    item: hostPort,
    doc: 'bootstrap servers the functions publish to',
    onAws: "the `kafkaBrokers` param, by default the `kafkaBootstrapServers` param (the consumers' event source)",
  }),
  HOTSPOTS_KAFKA_CLIENT_ID: text({
    default: 'hotspots',
    doc: 'Kafka client id of the functions',
  }),
  HOTSPOTS_PROFILES_TOPIC: text({
    default: 'hotspots.profiles',
    doc: 'topic of profile envelopes',
  }),
  HOTSPOTS_SPANS_TOPIC: text({
    default: 'hotspots.spans',
    doc: 'topic of span envelopes',
  }),
  HOTSPOTS_DEAD_LETTER_TOPIC: text({
    default: 'hotspots.dead-letter',
    doc: 'topic that receives every dead letter (reason and original record), besides its S3 copy',
  }),
  HOTSPOTS_KAFKA_PUBLISH_TIMEOUT_MS: integer({
    default: 10_000,
    min: 1000,
    max: 25_000,
    unit: 'milliseconds',
    doc: 'deadline of one envelope publish, connection included: past it the upload answers 503 and the next publish starts on a fresh producer',
  }),
  HOTSPOTS_CONSUMER_GROUP: text({
    default: 'hotspots-consumer',
    doc: "consumer group of the local event source (processSpans' is `<group>.processSpans`); on AWS, serverless.yml names the event sources' groups",
  }),
  HOTSPOTS_KAFKA_SSL: boolean({
    default: false,
    doc: 'TLS to the brokers',
  }),
  HOTSPOTS_KAFKA_SASL_MECHANISM: oneOf({
    values: ['plain', 'scram-sha-256', 'scram-sha-512'],
    doc: 'SASL mechanism; unset: no SASL',
  }),
  HOTSPOTS_KAFKA_SASL_USERNAME: text({
    default: '',
    doc: 'SASL user name (read only when `HOTSPOTS_KAFKA_SASL_MECHANISM` is set)',
  }),
  HOTSPOTS_KAFKA_SASL_PASSWORD: text({
    default: '',
    doc: 'SASL password (read only when `HOTSPOTS_KAFKA_SASL_MECHANISM` is set)',
  }),

  HOTSPOTS_CLICKHOUSE_URL: text({
    default: 'http://127.0.0.1:8123',
    format: httpUrl,
    doc: 'ClickHouse HTTP interface',
    onAws: 'the `clickhouseUrl` param (a placeholder without it)',
  }),
  HOTSPOTS_CLICKHOUSE_USER: text({
    default: 'default',
    doc: 'ClickHouse user',
  }),
  HOTSPOTS_CLICKHOUSE_PASSWORD: text({
    default: '',
    doc: 'ClickHouse password (on AWS, an SSM reference as the `clickhousePassword` param)',
  }),
  HOTSPOTS_CLICKHOUSE_DATABASE: text({
    default: 'hotspots',
    format: { pattern: identifierPattern, allowed: identifierAllowed, problem: () => 'must be a plain identifier' },
    doc: 'ClickHouse database of the tables',
  }),
  HOTSPOTS_CLICKHOUSE_REQUEST_TIMEOUT_MS: integer({
    default: 30_000,
    min: 100,
    max: 3_600_000,
    unit: 'milliseconds',
    doc: 'longest one ClickHouse request may take',
  }),
  // Cluster names go into DDL (ON CLUSTER, Distributed(...)) unquoted: plain identifiers only.
  HOTSPOTS_CLICKHOUSE_CLUSTER: text({
    format: {
      pattern: identifierPattern,
      allowed: identifierAllowed,
      problem: (value) => `must be a plain identifier, got ${JSON.stringify(value)}`,
    },
    doc: "a cluster of the servers' `remote_servers`: migrations create the sharded, replicated schema and queries run with the settings it needs ([deployment.md](deployment.md#clickhouse-cluster)); unset: one server",
  }),

  HOTSPOTS_LOG_LEVEL: oneOf({
    values: ['debug', 'info', 'warn', 'error'],
    default: 'info',
    doc: 'least severity of the JSON log lines written to stderr',
  }),
} satisfies Record<string, ConfigVariable>;

export type ConfigVariables = typeof configVariables;
export type ConfigVariableName = keyof ConfigVariables;
