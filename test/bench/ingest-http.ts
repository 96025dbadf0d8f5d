import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { createTopics, topicDefinitions } from '../../infra/local/prepare.js';
import type { Deps } from '../../shared/app/deps.js';
import { createKafka } from '../../shared/platform/adapters/kafka/client.js';
import { createKafkaEnvelopePublisher } from '../../shared/platform/adapters/kafka/envelope-publisher.js';
import { encodeEnvelope } from '../../shared/profiles/envelope.js';
import { benchEnvelope } from './envelopes.js';
import { buildRealisticProfile } from './realistic-profile.js';
import { round, summarise } from './stats.js';

/**
 * Ingest over HTTP, the way an agent sees it (serverless offline → upload Lambda → S3 + Kafka):
 *
 * - `benchUploads`: throughput and latency of `POST /v1/profiles` for ~100 kB and ~2 MB profiles,
 *   C concurrent uploaders for D seconds each, next to baselines of the same bytes: the route
 *   rejecting the body before S3 (HTTP + serverless offline + Lambda invoke + auth + validation),
 *   and the project's S3 adapter and Kafka publisher called directly (what the route does after
 *   validation). Sizes are of the uncompressed pprof (the baseline profile is "20k samples,
 *   about 2 MB encoded"); the body is gzip, as Go's runtime/pprof writes it (at gzip.BestSpeed),
 *   or identity, the worst case on the wire. Each scenario waits until the consumer has made all
 *   its accepted profiles queryable, and reports that drain as the pipeline's throughput behind
 *   the route, so the next scenario (and `benchFreshness`) starts on an idle pipeline.
 * - `benchFreshness`: upload → queryable latency: a profile with a known CPU total for a service of
 *   its own, polled through `GET /v1/endpoints/cpu` until the service's total equals it.
 *
 * Both only talk HTTP to the API, except the direct S3/Kafka baselines (optional `baseline`).
 */

export type BodyEncoding = 'gzip' | 'identity';

export interface ProfileSize {
  /** As printed, e.g. `100 kB`: the uncompressed pprof size this shape lands near. */
  name: string;
  samples: number;
  functions: number;
}

/** Shapes of test/bench/realistic-profile.ts measured to land within ±3 % of 100 kB and 2 MB (10^3, 10^6 bytes). */
export const PROFILE_SIZES: readonly ProfileSize[] = [
  { name: '100 kB', samples: 720, functions: 300 },
  { name: '2 MB', samples: 18_000, functions: 3_000 },
];

export interface LatencyFigures {
  n: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

export interface ThroughputFigures extends LatencyFigures {
  per_s: number;
}

export interface UploadFigures {
  /** E.g. `2 MB pprof (uncompressed), sent gzip: 0.76 MB per request`. */
  label: string;
  size: string;
  encoding: BodyEncoding;
  samples_per_profile: number;
  /** Mean uncompressed pprof size and mean request body size, in bytes. */
  profile_bytes: number;
  wire_bytes: number;
  concurrency: number;
  seconds: number;
  distinct_profiles: number;
  requests: number;
  accepted: number;
  /** Answers other than 202 (status 0 = no answer: connection error or 60 s client timeout). */
  errors: number;
  statuses: Record<string, number>;
  accepted_per_s: number;
  /** Request bodies accepted per second (wire bytes, so gzip counts its compressed size). */
  accepted_bytes_per_s: number;
  /** Latency of the accepted uploads. */
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** The same POSTs without `service`, answered 400 after the body reached the handler: no S3, no Kafka. */
  route_floor: ThroughputFigures;
  /**
   * The project's S3 adapter putting the same bodies at the same concurrency (null without
   * `baseline`); `alone_p50_ms`: one put at a time.
   */
  s3_put: (ThroughputFigures & { alone_p50_ms: number }) | null;
  /**
   * The project's Kafka publisher sending an envelope like the route's (`message_bytes`), acks=all,
   * one publisher per uploader as serverless offline runs one worker (one producer) per concurrent
   * invocation; `alone_p50_ms`: one publish at a time.
   */
  kafka_publish: (LatencyFigures & { alone_p50_ms: number; message_bytes: number }) | null;
  /** Put then publish, one after the other as the route does: the route minus HTTP and validation. */
  s3_put_then_publish: ThroughputFigures | null;
  /**
   * The consumer behind the route: `seconds` from the last upload's answer until every accepted
   * profile's CPU is visible through the query route; the rates are the accepted profiles (and
   * their samples) over the time from the first upload to that point, when the consumer was busy
   * throughout (uploads outpace it), so they measure its throughput while the route competed for CPU.
   */
  drain: { seconds: number; profiles_per_s: number; samples_per_s: number };
}

export interface UploadBenchOptions {
  /** Uploaders in parallel (8). */
  concurrency?: number;
  /** Duration of the route measurement per scenario (10 s). */
  seconds?: number;
  /** Duration of each baseline (route floor, direct S3 + Kafka) per scenario (half of `seconds`). */
  baselineSeconds?: number;
  sizes?: readonly ProfileSize[];
  /** Bodies as agents send them (`gzip`, the default) and/or uncompressed (`identity`, the most bytes on the wire). */
  encodings?: readonly BodyEncoding[];
  /** Distinct profiles per scenario, pre-built and cycled (16). */
  distinctProfiles?: number;
  /**
   * The project's clients on the same stack (`createDeps(config)`), for the direct S3/Kafka
   * baselines. The Kafka baseline publishes to a topic of its own (created here, partitioned like
   * the profiles topic), so the consumer never sees those messages; S3 objects go under `bench/`.
   */
  baseline?: Pick<Deps, 'rawStore' | 'config' | 'logger'>;
  /**
   * Longest wait for the consumer to make a scenario's uploads queryable (30 min: on a busy 2-core
   * machine the consumer ingests ~10× slower than the route accepts, so 10 s of 2 MB uploads took
   * over 10 min to drain).
   */
  drainTimeoutMs?: number;
  runId?: string;
  log?: (message: string) => void;
}

export const BASELINE_TOPIC = 'hotspots.bench-baseline';

interface BuiltProfile {
  raw: Uint8Array;
  body: Uint8Array;
  cpuNs: bigint;
}

/** Sum of the `cpu/nanoseconds` sample values: what the query route must report for this profile. */
function cpuTotal(raw: Uint8Array): bigint {
  const profile = Profile.decode(raw);
  const strings = profile.stringTable.strings;
  const index = profile.sampleType.findIndex(
    (t) => strings[Number(t.type)] === 'cpu' && strings[Number(t.unit)] === 'nanoseconds',
  );
  if (index < 0) throw new Error('bench profile has no cpu/nanoseconds sample type');
  let total = 0n;
  for (const sample of profile.sample) total += BigInt(sample.value[index] ?? 0);
  return total;
}

function buildProfiles(
  size: ProfileSize,
  encoding: BodyEncoding,
  count: number,
  seedBase: number,
  startNs: bigint,
): BuiltProfile[] {
  return Array.from({ length: count }, (_, i) => {
    const raw = buildRealisticProfile({
      samples: size.samples,
      functions: size.functions,
      seed: seedBase + i,
      startNs: startNs + BigInt(i) * 1_000_000n,
    });
    // Go's runtime/pprof writes its profiles with gzip.BestSpeed.
    const body = encoding === 'gzip' ? gzipSync(raw, { level: 1 }) : raw;
    return { raw, body, cpuNs: cpuTotal(raw) };
  });
}

const mean = (values: readonly number[]) => Math.round(values.reduce((a, b) => a + b, 0) / values.length);
const megabytes = (bytes: number) => (bytes >= 1e6 ? `${round(bytes / 1e6, 2)} MB` : `${round(bytes / 1e3, 1)} kB`);
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

interface Answer {
  status: number;
  ms: number;
  text: string;
}

async function post(url: string, apiKey: string, body: Uint8Array): Promise<Answer> {
  const started = performance.now();
  try {
    const answer = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/octet-stream' },
      body,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await answer.text();
    return { status: answer.status, ms: performance.now() - started, text };
  } catch (error) {
    return { status: 0, ms: performance.now() - started, text: String(error) };
  }
}

/** `total_cpu_ns` read from the JSON text: it is a bare 64-bit number, never passed through a JS number. */
async function visibleCpu(apiUrl: string, apiKey: string, service: string, fromSec: number): Promise<bigint> {
  const query = new URLSearchParams({ service, from: String(fromSec), to: String(Math.ceil(Date.now() / 1000) + 60) });
  const answer = await fetch(`${apiUrl}/v1/endpoints/cpu?${query}`, {
    headers: { authorization: `Bearer ${apiKey}` },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await answer.text();
  if (answer.status !== 200) throw new Error(`GET /v1/endpoints/cpu for ${service} answered ${answer.status}: ${text}`);
  const total = /"total_cpu_ns":(\d+)/.exec(text)?.[1];
  if (total === undefined) throw new Error(`GET /v1/endpoints/cpu for ${service} has no total_cpu_ns: ${text}`);
  return BigInt(total);
}

/** Polls until `service` shows `expected` ns of CPU; fails loudly with what it waited for. */
async function waitForCpu(
  apiUrl: string,
  apiKey: string,
  service: string,
  fromSec: number,
  expected: bigint,
  options: { timeoutMs: number; pollMs: number; what: string; log?: (message: string) => void },
): Promise<{ polls: number; pollMs: number[] }> {
  const deadline = performance.now() + options.timeoutMs;
  const pollMs: number[] = [];
  let last = 0n;
  let reported = performance.now();
  while (performance.now() < deadline) {
    const started = performance.now();
    last = await visibleCpu(apiUrl, apiKey, service, fromSec);
    pollMs.push(performance.now() - started);
    if (options.log && started - reported >= 30_000) {
      reported = started;
      options.log(`${options.what}: ${Math.floor(Number((last * 1000n) / expected)) / 10} % visible`);
    }
    if (last === expected) return { polls: pollMs.length, pollMs };
    if (last > expected) {
      throw new Error(
        `${options.what}: service ${service} shows ${last} ns of CPU, more than the ${expected} expected`,
      );
    }
    await delay(Math.max(0, options.pollMs - (performance.now() - started)));
  }
  throw new Error(
    `${options.what}: service ${service} still shows ${last} of the ${expected} ns of CPU expected after ${options.timeoutMs} ms`,
  );
}

/** Runs `op` in `concurrency` loops until `seconds` have passed; returns the elapsed seconds. */
async function runFor(seconds: number, concurrency: number, op: (worker: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) await op(worker);
    }),
  );
  return (performance.now() - started) / 1000;
}

const throughput = (latencies: readonly number[], elapsedS: number): ThroughputFigures => ({
  ...summarise(latencies),
  per_s: round(latencies.length / elapsedS),
});

/** An envelope as the upload route builds it, for a body of `bytes` bytes: the Kafka baseline's message. */
function envelopeFor(bucket: string, bytes: number, encoding: BodyEncoding): Buffer {
  const profileId = randomUUID();
  const receivedAt = new Date();
  const envelope = benchEnvelope({
    tenant: 'bench',
    service: 'upload-bench-baseline',
    version: '1.0.0',
    profileId,
    receivedAt,
    bucket,
    key: `raw/profiles/bench/${receivedAt.toISOString().slice(0, 10)}/${profileId}.pprof.gz`,
    bytes,
    encoding,
  });
  return encodeEnvelope(envelope);
}

/**
 * What the route does after validation, without HTTP: put the body through the S3 adapter, then
 * publish an envelope through the Kafka adapter — first one at a time, then `concurrency` loops.
 */
async function directBaseline(
  baseline: NonNullable<UploadBenchOptions['baseline']>,
  pool: readonly BuiltProfile[],
  concurrency: number,
  seconds: number,
  encoding: BodyEncoding,
  runId: string,
): Promise<Pick<UploadFigures, 's3_put' | 'kafka_publish' | 's3_put_then_publish'>> {
  const publishers = Array.from({ length: concurrency }, () =>
    createKafkaEnvelopePublisher(createKafka(baseline.config.kafka, baseline.logger), {
      publishTimeoutMs: baseline.config.kafka.publishTimeoutMs,
    }),
  );
  const wireBytes = mean(pool.map((p) => p.body.length));
  const message = envelopeFor(baseline.config.s3.bucket, wireBytes, encoding);
  let next = 0;
  const once = async (worker: number, into?: { put: number[]; publish: number[]; both: number[] }) => {
    const body = pool[next++ % pool.length]?.body ?? new Uint8Array();
    const publisher = publishers[worker] ?? publishers[0];
    const started = performance.now();
    await baseline.rawStore.put(`bench/baseline/${runId}/${randomUUID()}`, body, 'application/octet-stream');
    const put = performance.now();
    await publisher?.publish(BASELINE_TOPIC, randomUUID(), message);
    const done = performance.now();
    into?.put.push(put - started);
    into?.publish.push(done - put);
    into?.both.push(done - started);
  };
  try {
    // Connects every producer (a cold start, not measured).
    await Promise.all(publishers.map((_, worker) => once(worker)));
    const alone = { put: [] as number[], publish: [] as number[], both: [] as number[] };
    for (let i = 0; i < 20; i += 1) await once(0, alone);
    const loaded = { put: [] as number[], publish: [] as number[], both: [] as number[] };
    const elapsedS = await runFor(seconds, concurrency, (worker) => once(worker, loaded));
    return {
      s3_put: { ...throughput(loaded.put, elapsedS), alone_p50_ms: summarise(alone.put).p50_ms },
      kafka_publish: {
        ...summarise(loaded.publish),
        alone_p50_ms: summarise(alone.publish).p50_ms,
        message_bytes: message.length,
      },
      s3_put_then_publish: throughput(loaded.both, elapsedS),
    };
  } finally {
    await Promise.all(publishers.map((p) => p.disconnect().catch(() => undefined)));
  }
}

export async function benchUploads(
  apiUrl: string,
  apiKey: string,
  options: UploadBenchOptions = {},
): Promise<UploadFigures[]> {
  const concurrency = options.concurrency ?? 8;
  const seconds = options.seconds ?? 10;
  const baselineSeconds = options.baselineSeconds ?? seconds / 2;
  const distinct = options.distinctProfiles ?? 16;
  const runId = options.runId ?? randomUUID().slice(0, 8);
  const log = options.log ?? (() => undefined);
  const baseline = options.baseline;
  if (baseline) {
    const partitions = topicDefinitions().find((t) => t.name === 'hotspots.profiles')?.partitions ?? 1;
    await createTopics(baseline.config.kafka.brokers, [{ name: BASELINE_TOPIC, partitions }]);
  }
  const figures: UploadFigures[] = [];
  let seedBase = 1;
  for (const size of options.sizes ?? PROFILE_SIZES) {
    for (const encoding of options.encodings ?? ['gzip']) {
      const startNs = nowNs() - 60_000_000_000n;
      const fromSec = Math.floor(Date.now() / 1000) - 3600;
      const pool = buildProfiles(size, encoding, distinct, seedBase, startNs);
      seedBase += distinct;
      const profileBytes = mean(pool.map((p) => p.raw.length));
      const wireBytes = mean(pool.map((p) => p.body.length));
      const label = `${size.name} pprof (uncompressed), sent ${encoding}: ${megabytes(wireBytes)} per request`;
      const service = `upload-${runId}-${size.name.replace(/\s/g, '')}-${encoding}`;
      const uploadUrl = `${apiUrl}/v1/profiles?${new URLSearchParams({ service, env: 'bench', version: '1.0.0' })}`;
      const floorUrl = `${apiUrl}/v1/profiles?env=bench`;
      log(`${label}: ${distinct} distinct profiles of ${size.samples} samples, ${concurrency} uploaders`);

      // Route floor first: it leaves no work for the consumer behind.
      await Promise.all(
        Array.from({ length: concurrency }, (_, i) =>
          post(floorUrl, apiKey, pool[i % distinct]?.body ?? new Uint8Array()),
        ),
      );
      const floorMs: number[] = [];
      let next = 0;
      const floorS = await runFor(baselineSeconds, concurrency, async () => {
        const answer = await post(floorUrl, apiKey, pool[next++ % distinct]?.body ?? new Uint8Array());
        if (answer.status !== 400) throw new Error(`route floor: expected 400, got ${answer.status}: ${answer.text}`);
        floorMs.push(answer.ms);
      });

      const direct = baseline
        ? await directBaseline(baseline, pool, concurrency, baselineSeconds, encoding, runId)
        : null;

      // The route itself; warm-up uploads (one per uploader) count towards the drain, not the figures.
      const acceptedCpu: bigint[] = [];
      const accept = (answer: Answer, profile: BuiltProfile | undefined) => {
        if (answer.status === 202 && profile) acceptedCpu.push(profile.cpuNs);
      };
      const firstUpload = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async (_, i) =>
          accept(await post(uploadUrl, apiKey, pool[i % distinct]?.body ?? new Uint8Array()), pool[i % distinct]),
        ),
      );
      const acceptedMs: number[] = [];
      const statuses: Record<string, number> = {};
      let requests = 0;
      const routeS = await runFor(seconds, concurrency, async () => {
        const profile = pool[next++ % distinct];
        const answer = await post(uploadUrl, apiKey, profile?.body ?? new Uint8Array());
        requests += 1;
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        if (answer.status === 202) acceptedMs.push(answer.ms);
        accept(answer, profile);
      });
      const loadEnded = performance.now();
      const expected = acceptedCpu.reduce((a, b) => a + b, 0n);
      await waitForCpu(apiUrl, apiKey, service, fromSec, expected, {
        timeoutMs: options.drainTimeoutMs ?? 1_800_000,
        pollMs: 250,
        what: `waiting for the ${acceptedCpu.length} accepted uploads of ${label} to become queryable`,
        log,
      });
      const drainS = (performance.now() - loadEnded) / 1000;
      const busyS = (performance.now() - firstUpload) / 1000;

      const route = summarise(acceptedMs);
      const figure: UploadFigures = {
        label,
        size: size.name,
        encoding,
        samples_per_profile: size.samples,
        profile_bytes: profileBytes,
        wire_bytes: wireBytes,
        concurrency,
        seconds: round(routeS),
        distinct_profiles: distinct,
        requests,
        accepted: acceptedMs.length,
        errors: requests - acceptedMs.length,
        statuses,
        accepted_per_s: round(acceptedMs.length / routeS),
        accepted_bytes_per_s: Math.round((acceptedMs.length * wireBytes) / routeS),
        p50_ms: route.p50_ms,
        p99_ms: route.p99_ms,
        max_ms: route.max_ms,
        route_floor: throughput(floorMs, floorS),
        s3_put: direct?.s3_put ?? null,
        kafka_publish: direct?.kafka_publish ?? null,
        s3_put_then_publish: direct?.s3_put_then_publish ?? null,
        drain: {
          seconds: round(drainS),
          profiles_per_s: round(acceptedCpu.length / busyS),
          samples_per_s: Math.round((acceptedCpu.length * size.samples) / busyS),
        },
      };
      figures.push(figure);
      log(
        `${label}: ${figure.accepted_per_s}/s accepted, p50 ${figure.p50_ms} ms, p99 ${figure.p99_ms} ms, ` +
          `${figure.errors} errors; floor p50 ${figure.route_floor.p50_ms} ms; ` +
          `S3 put p50 ${figure.s3_put?.p50_ms ?? '-'} ms, Kafka publish p50 ${figure.kafka_publish?.p50_ms ?? '-'} ms; ` +
          `drained in ${figure.drain.seconds} s`,
      );
    }
  }
  return figures;
}

export interface FreshnessOptions {
  /** Sequential upload → visible measurements per variant (30). */
  runs?: number;
  /** Pause between polls of the query route, from the start of one to the start of the next (25 ms). */
  pollMs?: number;
  /** Longest wait for one profile to become visible (60 s). */
  timeoutMs?: number;
  /** Shape of the measured profiles (the 100 kB one), sent gzip. */
  size?: ProfileSize;
  /**
   * The variant under load: other uploads at a steady rate, for another service, while measuring
   * (default 2/s of the 100 kB profile; `false` skips it). A rate the consumer cannot sustain makes
   * the figure grow with the run's length, so keep it below the drain rate `benchUploads` reports.
   */
  background?: { uploadsPerSecond: number; size: ProfileSize } | false;
  runId?: string;
  log?: (message: string) => void;
}

export interface FreshnessSeries extends LatencyFigures {
  /** POST → 202 part of each run. */
  upload: LatencyFigures;
  /** 202 → first poll that saw the total: Kafka, the consumer, ClickHouse, and the poll's own latency. */
  after_accept: LatencyFigures;
  /** One `GET /v1/endpoints/cpu` poll: the resolution of the measurement. */
  poll: LatencyFigures;
  polls_per_run_p50: number;
}

export interface FreshnessFigures {
  label: string;
  profile_bytes: number;
  wire_bytes: number;
  samples_per_profile: number;
  poll_interval_ms: number;
  /** Upload → queryable on an otherwise idle pipeline. */
  idle: FreshnessSeries;
  under_load:
    | (FreshnessSeries & { background_label: string; background_uploads_per_s: number; background_errors: number })
    | null;
}

async function freshnessSeries(
  apiUrl: string,
  apiKey: string,
  profiles: readonly BuiltProfile[],
  prefix: string,
  fromSec: number,
  pollMs: number,
  timeoutMs: number,
): Promise<FreshnessSeries> {
  const totals: number[] = [];
  const uploads: number[] = [];
  const afterAccept: number[] = [];
  const polls: number[] = [];
  const pollCounts: number[] = [];
  for (const [i, profile] of profiles.entries()) {
    const service = `${prefix}-${i}`;
    const started = performance.now();
    const answer = await post(
      `${apiUrl}/v1/profiles?${new URLSearchParams({ service, env: 'bench' })}`,
      apiKey,
      profile.body,
    );
    if (answer.status !== 202)
      throw new Error(`freshness upload for ${service} answered ${answer.status}: ${answer.text}`);
    const accepted = performance.now();
    const seen = await waitForCpu(apiUrl, apiKey, service, fromSec, profile.cpuNs, {
      timeoutMs,
      pollMs,
      what: `waiting for the profile uploaded for ${service} (${answer.text}) to become queryable`,
    });
    const visible = performance.now();
    totals.push(visible - started);
    uploads.push(accepted - started);
    afterAccept.push(visible - accepted);
    polls.push(...seen.pollMs);
    pollCounts.push(seen.polls);
  }
  return {
    ...summarise(totals),
    upload: summarise(uploads),
    after_accept: summarise(afterAccept),
    poll: summarise(polls),
    polls_per_run_p50: summarise(pollCounts).p50_ms,
  };
}

export async function benchFreshness(
  apiUrl: string,
  apiKey: string,
  options: FreshnessOptions = {},
): Promise<FreshnessFigures> {
  const runs = options.runs ?? 30;
  const pollMs = options.pollMs ?? 25;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const size = options.size ?? (PROFILE_SIZES[0] as ProfileSize);
  const runId = options.runId ?? randomUUID().slice(0, 8);
  const log = options.log ?? (() => undefined);
  const fromSec = Math.floor(Date.now() / 1000) - 3600;
  const startNs = nowNs() - 60_000_000_000n;
  const measured = buildProfiles(size, 'gzip', runs, 10_000, startNs);
  const label = `${size.name} pprof (uncompressed), sent gzip: ${megabytes(mean(measured.map((p) => p.body.length)))}`;

  log(`freshness, idle: ${runs} sequential uploads of ${label}`);
  // One unmeasured round trip warms the upload and query Lambdas.
  const [warm] = buildProfiles(size, 'gzip', 1, 9_999, startNs);
  if (warm) await freshnessSeries(apiUrl, apiKey, [warm], `fresh-${runId}-warm`, fromSec, pollMs, timeoutMs);
  const idle = await freshnessSeries(apiUrl, apiKey, measured, `fresh-${runId}`, fromSec, pollMs, timeoutMs);
  log(`freshness, idle: p50 ${idle.p50_ms} ms, p99 ${idle.p99_ms} ms, max ${idle.max_ms} ms`);

  const background = options.background ?? { uploadsPerSecond: 2, size };
  let underLoad: FreshnessFigures['under_load'] = null;
  if (background) {
    const loadPool = buildProfiles(background.size, 'gzip', 16, 20_000, startNs);
    const again = buildProfiles(size, 'gzip', runs, 30_000, startNs);
    const backgroundService = `fresh-${runId}-background`;
    const loadUrl = `${apiUrl}/v1/profiles?${new URLSearchParams({ service: backgroundService, env: 'bench' })}`;
    const backgroundLabel = `${background.uploadsPerSecond}/s of ${background.size.name} pprof, gzip`;
    log(`freshness under load (${backgroundLabel})`);
    let running = true;
    let acceptedCpu = 0n;
    let sent = 0;
    let errors = 0;
    // Open loop: uploads start on schedule whether or not earlier ones have answered.
    const inFlight: Promise<void>[] = [];
    const loadStarted = performance.now();
    const scheduler = (async () => {
      while (running) {
        const profile = loadPool[sent % loadPool.length];
        sent += 1;
        inFlight.push(
          post(loadUrl, apiKey, profile?.body ?? new Uint8Array()).then((answer) => {
            if (answer.status === 202 && profile) acceptedCpu += profile.cpuNs;
            else errors += 1;
          }),
        );
        const due = loadStarted + (sent * 1000) / background.uploadsPerSecond;
        await delay(Math.max(0, due - performance.now()));
      }
    })();
    let series: FreshnessSeries;
    try {
      series = await freshnessSeries(apiUrl, apiKey, again, `fresh-${runId}-loaded`, fromSec, pollMs, timeoutMs);
    } finally {
      running = false;
      await scheduler;
      await Promise.all(inFlight);
    }
    const loadS = (performance.now() - loadStarted) / 1000;
    // Leave the pipeline idle for whatever runs next.
    await waitForCpu(apiUrl, apiKey, backgroundService, fromSec, acceptedCpu, {
      timeoutMs: 600_000,
      pollMs: 250,
      what: 'waiting for the background uploads of the freshness benchmark to become queryable',
      log,
    });
    underLoad = {
      ...series,
      background_label: backgroundLabel,
      background_uploads_per_s: round(sent / loadS),
      background_errors: errors,
    };
    log(`freshness under load: p50 ${underLoad.p50_ms} ms, p99 ${underLoad.p99_ms} ms, max ${underLoad.max_ms} ms`);
  }
  return {
    label,
    profile_bytes: mean(measured.map((p) => p.raw.length)),
    wire_bytes: mean(measured.map((p) => p.body.length)),
    samples_per_profile: size.samples,
    poll_interval_ms: pollMs,
    idle,
    under_load: underLoad,
  };
}
