import { parseArgs } from 'node:util';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createKafka } from '../../shared/platform/adapters/kafka/client.js';
import { createKafkaEnvelopePublisher } from '../../shared/platform/adapters/kafka/envelope-publisher.js';
import { loadConfig } from '../../shared/platform/config.js';
import { createLogger } from '../../shared/platform/logger.js';
import { type DeadLetterObjects, replayDeadLetters } from './replay-dead-letters.js';
import { appEnvironment, stackSettings } from './settings.js';

/**
 * `npm run replay-dead-letters -- --prefix dead-letter/profiles/<tenant>/<yyyy>/<mm>/<dd>/ [options]`
 *
 *   --prefix <p>        S3 prefix of the dead letters to replay (required; under HOTSPOTS_DEAD_LETTER_PREFIX)
 *   --dry-run           list what would be replayed, publish nothing
 *   --archive           move each replayed letter to dead-letter-replayed/… (a rerun skips it)
 *   --code <code>       only letters with this reason code (unprocessable, not_found, …)
 *   --reason <text>     only letters whose reason contains this text
 *   --limit <n>         replay at most n letters
 *   --local             use the local stack's addresses (npm start / npm run stack:up)
 *
 * S3, Kafka and topic settings come from the usual HOTSPOTS_* variables (shared/platform/config.ts).
 * Prints one JSON line per dead letter, then a summary line; exits 1 if any letter was skipped.
 */
const { values } = parseArgs({
  options: {
    prefix: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    archive: { type: 'boolean', default: false },
    code: { type: 'string' },
    reason: { type: 'string' },
    limit: { type: 'string' },
    local: { type: 'boolean', default: false },
    'archive-prefix': { type: 'string', default: 'dead-letter-replayed/' },
  },
  strict: true,
});

if (!values.prefix) {
  console.error(
    'usage: npm run replay-dead-letters -- --prefix dead-letter/profiles/<tenant>/… [--dry-run] [--archive]',
  );
  process.exit(2);
}
const limit = values.limit === undefined ? undefined : Number(values.limit);
if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
  console.error('--limit must be a positive whole number');
  process.exit(2);
}

const config = loadConfig(values.local ? { ...process.env, ...appEnvironment(stackSettings()) } : process.env);
const logger = createLogger('warn', { component: 'replay-dead-letters' });
const s3 = new S3Client({
  region: config.s3.region,
  forcePathStyle: config.s3.forcePathStyle,
  ...(config.s3.endpoint ? { endpoint: config.s3.endpoint } : {}),
  ...(config.s3.credentials ? { credentials: config.s3.credentials } : {}),
});
const Bucket = config.s3.bucket;

const objects: DeadLetterObjects = {
  async *list(prefix) {
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken }));
      for (const item of page.Contents ?? []) if (item.Key) yield item.Key;
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  },
  async get(key) {
    const answer = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
    if (!answer.Body) throw new Error(`${key} has no body`);
    return answer.Body.transformToByteArray();
  },
  async move(from, to) {
    const bytes = await objects.get(from);
    await s3.send(new PutObjectCommand({ Bucket, Key: to, Body: bytes, ContentType: 'application/json' }));
    await s3.send(new DeleteObjectCommand({ Bucket, Key: from }));
  },
};

const publisher = createKafkaEnvelopePublisher(createKafka(config.kafka, logger), {
  publishTimeoutMs: config.kafka.publishTimeoutMs,
});
try {
  const summary = await replayDeadLetters(
    // Letters left out by --code/--reason are only counted: a day's prefix may hold thousands.
    { objects, publisher, onEntry: (entry) => entry.outcome !== 'filtered' && console.log(JSON.stringify(entry)) },
    {
      prefix: values.prefix,
      dryRun: values['dry-run'],
      archive: values.archive,
      deadLetterPrefix: config.deadLetterPrefix,
      archivePrefix: values['archive-prefix'],
      topics: { profiles: config.kafka.profilesTopic, spans: config.kafka.spansTopic },
      ...(values.code === undefined ? {} : { code: values.code }),
      ...(values.reason === undefined ? {} : { reasonContains: values.reason }),
      ...(limit === undefined ? {} : { limit }),
    },
  );
  const { entries: _entries, ...counts } = summary;
  console.log(JSON.stringify({ summary: counts, dry_run: values['dry-run'] }));
  process.exitCode = summary.skipped > 0 ? 1 : 0;
} finally {
  await publisher.disconnect().catch(() => undefined);
  s3.destroy();
}
