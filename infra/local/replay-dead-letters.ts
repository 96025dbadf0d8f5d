import { parseDeadLetter } from '../../shared/platform/dead-letters.js';
import type { EnvelopePublisher } from '../../shared/platform/ports.js';
import { parseEnvelope } from '../../shared/profiles/envelope.js';
import { parseSpanEnvelope } from '../../shared/spans/envelope.js';

/**
 * Replays dead letters after a fix: reads each dead letter under an S3 prefix, and republishes its
 * original record value, byte for byte, to the topic it was consumed from. The consumers are
 * idempotent (a committed profile id is skipped; spans are replaced by (tenant, trace, span)), so
 * replaying a letter twice, or one whose record did get through, counts nothing twice. A record
 * that still fails simply becomes a new dead letter (at its new offset).
 *
 * Only the configured consumer topics are written to (a dead letter names its topic, and a file
 * must not be able to steer the tool elsewhere), and records whose envelope does not parse are
 * reported and skipped: republishing them could only dead-letter them again.
 */
export interface DeadLetterObjects {
  /** Keys under `prefix`, in lexical order. */
  list(prefix: string): AsyncIterable<string>;
  get(key: string): Promise<Uint8Array>;
  /** Moves a replayed letter out of the way (to `to`), so a later run does not replay it again. */
  move(from: string, to: string): Promise<void>;
}

export interface ReplayOptions {
  prefix: string;
  dryRun: boolean;
  /** Move replayed letters from `<deadLetterPrefix>…` to `<archivePrefix>…`. */
  archive: boolean;
  deadLetterPrefix: string;
  archivePrefix: string;
  /** Topics a letter may be replayed to, mapped to how their envelopes are checked. */
  topics: { profiles: string; spans: string };
  /** Only letters whose reason code equals this. */
  code?: string;
  /** Only letters whose reason message contains this text. */
  reasonContains?: string;
  limit?: number;
}

export type ReplayOutcome = 'replayed' | 'would_replay' | 'skipped' | 'filtered';

export interface ReplayEntry {
  key: string;
  outcome: ReplayOutcome;
  topic?: string;
  id?: string | null;
  tenant?: string | null;
  reason?: string;
  why?: string;
  archived_to?: string;
}

export interface ReplaySummary {
  scanned: number;
  replayed: number;
  would_replay: number;
  skipped: number;
  filtered: number;
  entries: ReplayEntry[];
}

function checkEnvelope(topic: string, value: Buffer, topics: ReplayOptions['topics']): string | undefined {
  try {
    if (topic === topics.profiles) parseEnvelope(value);
    else if (topic === topics.spans) parseSpanEnvelope(value);
    else return `topic ${topic} is not a consumer topic (${topics.profiles}, ${topics.spans})`;
    return undefined;
  } catch (error) {
    return `envelope does not parse, a replay would dead-letter it again: ${(error as Error).message}`;
  }
}

export async function replayDeadLetters(
  deps: { objects: DeadLetterObjects; publisher: EnvelopePublisher; onEntry?: (entry: ReplayEntry) => void },
  options: ReplayOptions,
): Promise<ReplaySummary> {
  if (!options.prefix.startsWith(options.deadLetterPrefix)) {
    throw new Error(`--prefix must start with the dead-letter prefix ${options.deadLetterPrefix}`);
  }
  const summary: ReplaySummary = { scanned: 0, replayed: 0, would_replay: 0, skipped: 0, filtered: 0, entries: [] };
  const note = (entry: ReplayEntry) => {
    summary[entry.outcome] += 1;
    summary.entries.push(entry);
    deps.onEntry?.(entry);
  };
  for await (const key of deps.objects.list(options.prefix)) {
    if (!key.endsWith('.json')) continue;
    if (options.limit !== undefined && summary.replayed + summary.would_replay >= options.limit) break;
    summary.scanned += 1;
    let letter: ReturnType<typeof parseDeadLetter>;
    try {
      letter = parseDeadLetter(await deps.objects.get(key));
    } catch (error) {
      note({ key, outcome: 'skipped', why: `not a dead letter: ${(error as Error).message}` });
      continue;
    }
    const base = { key, topic: letter.topic, id: letter.id, tenant: letter.tenant, reason: letter.reason.message };
    if (
      (options.code !== undefined && letter.reason.code !== options.code) ||
      (options.reasonContains !== undefined && !letter.reason.message.includes(options.reasonContains))
    ) {
      note({ ...base, outcome: 'filtered' });
      continue;
    }
    if (letter.value === null) {
      note({ ...base, outcome: 'skipped', why: 'the dead letter holds no record value' });
      continue;
    }
    const problem = checkEnvelope(letter.topic, letter.value, options.topics);
    if (problem !== undefined) {
      note({ ...base, outcome: 'skipped', why: problem });
      continue;
    }
    if (options.dryRun) {
      note({ ...base, outcome: 'would_replay' });
      continue;
    }
    // Keyed as the intake keys it (profile id / batch id), so it lands on the same partition.
    await deps.publisher.publish(
      letter.topic,
      letter.id ?? `${letter.topic}-${letter.partition}-${letter.offset}`,
      letter.value,
    );
    const entry: ReplayEntry = { ...base, outcome: 'replayed' };
    if (options.archive) {
      const to = `${options.archivePrefix}${key.slice(options.deadLetterPrefix.length)}`;
      await deps.objects.move(key, to);
      entry.archived_to = to;
    }
    note(entry);
  }
  return summary;
}
