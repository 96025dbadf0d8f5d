import { readFileSync } from 'node:fs';
import { createDeps } from '../../shared/app/deps.js';
import { loadConfig } from '../../shared/platform/config.js';
import type { KafkaEventRecord } from '../../shared/platform/kafka-event.js';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import { createLogger } from '../../shared/platform/logger.js';
import { createProfileDecoder } from '../../shared/pprof/index.js';
import { encodeEnvelope } from '../../shared/profiles/envelope.js';
import { processProfileRecords } from '../../shared/profiles/process-profiles.js';
import { lambdaRecord } from '../support/kafka-records.js';
import { benchEnvelope } from './envelopes.js';
import { round } from './stats.js';

/**
 * Peak RSS of one consumer batch, in a fresh process so nothing else inflates it:
 * `node --import tsx test/bench/memory-probe.ts <s3-key> <records> <encoding>` with the stack's
 * HOTSPOTS_* environment. Every record points at the same S3 object under a new profile id. The
 * insert chunk (HOTSPOTS_INSERT_CHUNK_BYTES) and prefetch (HOTSPOTS_CONSUMER_PREFETCH) come from
 * the configuration, as in the Lambda. Prints one JSON line.
 */
const [key, recordsArg, encoding] = process.argv.slice(2);
if (!key || !recordsArg || (encoding !== 'gzip' && encoding !== 'identity')) {
  throw new Error('usage: memory-probe.ts <s3-key> <records> <gzip|identity>');
}
const config = loadConfig();
const deps = createDeps(config);
const tenant = `bench-memory-${Date.now().toString(36)}`;
const records: KafkaEventRecord[] = Array.from({ length: Number(recordsArg) }, (_, i) => {
  const envelope = benchEnvelope({ tenant, service: 'memory', bucket: config.s3.bucket, key, encoding });
  return lambdaRecord(encodeEnvelope(envelope), i);
});
const idleRssMiB = process.memoryUsage().rss / 2 ** 20;
const started = performance.now();
const summary = await processProfileRecords(
  {
    rawStore: deps.rawStore,
    db: deps.db,
    logger: createLogger('warn'),
    limits: config.limits,
    labelMappingFor: () => defaultLabelMapping,
    decoder: createProfileDecoder({ decoder: 'wasm' }),
    deadLetterPrefix: config.deadLetterPrefix,
    insertChunkBytes: config.consumer.insertChunkBytes,
    prefetch: config.consumer.prefetch,
  },
  records,
);
const seconds = (performance.now() - started) / 1000;

/**
 * This process's peak RSS in KiB. Not resourceUsage().maxRSS: Linux carries the spawning
 * process's RSS over into it at exec, so it reported the bench runner's size (hundreds of MiB
 * after the decode benchmarks) instead of the batch's. VmHWM belongs to this process's memory.
 */
function peakRssKiB(): number {
  const status = readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+) kB$/m);
  return status ? Number(status[1]) : process.resourceUsage().maxRSS;
}
await deps.close();
console.log(
  JSON.stringify({
    records: records.length,
    processed: summary.processed,
    dead_lettered: summary.dead_lettered,
    seconds: round(seconds),
    idle_rss_mib: Math.round(idleRssMiB),
    peak_rss_mib: Math.round(peakRssKiB() / 1024),
  }),
);
