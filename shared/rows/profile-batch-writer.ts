import type { ProfileEnvelope } from '../envelope.js';
import type { CompactExplodedProfile } from '../pprof/explode.js';
import type { OrderedInserts } from './ordered-inserts.js';
import {
  encodeEndpointCountRows,
  encodeFrameRow,
  encodeProfileRow,
  encodeStackRow,
  endpointCountsTable,
  framesTable,
  profilesTable,
  SampleRowEncoder,
  samplesTable,
  stacksTable,
} from './profile-rows.js';
import { RowBinaryWriter } from './row-binary.js';

/**
 * Collects the rows of many profiles (a Kafka batch) into a few large RowBinary inserts instead
 * of one small insert per profile and table; ClickHouse's cost is per insert and per part, so
 * this is what lets a consumer keep up with its insert rate. A flush queues, in this order,
 * frames, stacks, endpoint counts, samples and last the `profiles` rows of the profiles whose
 * samples are all queued: a profile is committed only after everything it needs. A profile larger
 * than one chunk is flushed in several sample inserts before its commit row.
 */
export interface InsertedIds {
  has(key: string): boolean;
  add(key: string): void;
}

/**
 * Stack and frame ids (content hashes) this process has seen ClickHouse acknowledge: a warm
 * consumer skips re-inserting them. Bounded; forgetting only costs a redundant insert.
 */
export function createInsertedIds(maxIds: number): InsertedIds {
  let ids = new Set<string>();
  return {
    has: (key) => ids.has(key),
    add(key) {
      if (ids.size >= maxIds) ids = new Set();
      ids.add(key);
    },
  };
}

export interface ProfileToWrite {
  envelope: ProfileEnvelope;
  ingestId: string;
  exploded: CompactExplodedProfile;
  startSeconds: number;
}

export class ProfileBatchWriter {
  private readonly samples: RowBinaryWriter;
  private readonly stacks = new RowBinaryWriter();
  private readonly frames = new RowBinaryWriter();
  private readonly counts = new RowBinaryWriter();
  private readonly commits = new RowBinaryWriter();
  private readonly queuedIds = new Set<string>();
  private unflushed = { frames: [] as string[], stacks: [] as string[] };

  constructor(
    private readonly inserts: OrderedInserts,
    private readonly chunkBytes: number,
    private readonly insertedIds: InsertedIds,
    private readonly now: () => bigint = () => BigInt(Date.now()) * 1_000_000n,
  ) {
    this.samples = new RowBinaryWriter(Math.min(chunkBytes + (1 << 16), 1 << 24));
  }

  private isNew(key: string, kind: 'frames' | 'stacks'): boolean {
    if (this.insertedIds.has(key) || this.queuedIds.has(key)) return false;
    this.queuedIds.add(key);
    this.unflushed[kind].push(key);
    return true;
  }

  async add(profile: ProfileToWrite): Promise<void> {
    const { envelope, ingestId, exploded } = profile;
    const tenant = envelope.tenant;
    const { frameIds, stackIds } = exploded.compact;
    for (let frame = 0; frame < frameIds.length; frame++) {
      if (this.isNew(`${tenant}\u0000f${frameIds[frame]}`, 'frames')) {
        encodeFrameRow(this.frames, exploded.compact.frameRow(frame, tenant));
      }
    }
    for (let stack = 0; stack < stackIds.length; stack++) {
      if (this.isNew(`${tenant}\u0000s${stackIds[stack]}`, 'stacks')) {
        encodeStackRow(this.stacks, tenant, exploded.compact, stack);
      }
    }
    encodeEndpointCountRows(this.counts, envelope, ingestId, profile.startSeconds);
    const encoder = new SampleRowEncoder(
      {
        tenant,
        service: envelope.service,
        env: envelope.env,
        version: envelope.version,
        profileId: envelope.profile_id,
        ingestId,
      },
      exploded,
    );
    for (let row = 0; row < encoder.rowCount; ) {
      row = encoder.encode(this.samples, row, this.chunkBytes);
      if (this.samples.length >= this.chunkBytes) await this.flush();
    }
    encodeProfileRow(this.commits, {
      envelope,
      ingestId,
      startSeconds: profile.startSeconds,
      startNs: exploded.startNs,
      durationNs: exploded.durationNs,
      period: exploded.period,
      periodType: exploded.periodType,
      sampleTypes: exploded.sampleTypes,
      sampleCount: exploded.sampleCount,
      rowCount: exploded.compact.rowCount,
      committedNs: this.now(),
    });
    const buffered = this.frames.length + this.stacks.length + this.counts.length + this.commits.length;
    if (this.samples.length + buffered >= this.chunkBytes) await this.flush();
  }

  /** Queues everything buffered, in commit order. */
  async flush(): Promise<void> {
    const { frames, stacks } = this.unflushed;
    this.unflushed = { frames: [], stacks: [] };
    // Content-addressed rows count as inserted once ClickHouse acknowledged them.
    const remember = (ids: string[]) => () => {
      for (const id of ids) this.insertedIds.add(id);
    };
    await this.inserts.enqueue(framesTable, this.frames.take(), remember(frames));
    await this.inserts.enqueue(stacksTable, this.stacks.take(), remember(stacks));
    await this.inserts.enqueue(endpointCountsTable, this.counts.take());
    await this.inserts.enqueue(samplesTable, this.samples.take());
    await this.inserts.enqueue(profilesTable, this.commits.take());
  }

  async finish(): Promise<void> {
    await this.flush();
    await this.inserts.drain();
  }
}
