import { type DecodedProfile, HI, LO, Uint64Map } from '../../pprof/index.js';
import type { EndpointCounts } from '../endpoint-counts.js';
import type { ProfileEnvelope } from '../envelope.js';
import type { OrderedInserts } from './ordered-inserts.js';
import {
  encodeEndpointCountRows,
  encodeProfileRow,
  endpointCountsTable,
  FrameRowEncoder,
  framesTable,
  profilesTable,
  SampleRowEncoder,
  StackRowEncoder,
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
export type ContentIdKind = 'frames' | 'stacks';

/** Content ids (frame and stack ids, uint64 as high and low 32-bit halves) per tenant and kind. */
export interface InsertedIds {
  has(tenant: string, kind: ContentIdKind, hi: number, lo: number): boolean;
  add(tenant: string, kind: ContentIdKind, hi: number, lo: number): void;
}

/** Sets of ids by tenant and kind, over typed arrays: no bigint or string per id and lookup. */
class IdSets {
  private readonly sets = new Map<string, Uint64Map>();
  size = 0;
  // The set asked for last: a profile asks for one tenant's frames, then its stacks, by the thousand.
  private lastTenant = '';
  private lastKind: ContentIdKind | undefined;
  private lastSet: Uint64Map | undefined;

  private setOf(tenant: string, kind: ContentIdKind, create: boolean): Uint64Map | undefined {
    if (tenant === this.lastTenant && kind === this.lastKind && this.lastSet) return this.lastSet;
    const key = `${kind}\u0000${tenant}`;
    let set = this.sets.get(key);
    if (!set && create) {
      set = new Uint64Map(1024);
      this.sets.set(key, set);
    }
    if (set) {
      this.lastTenant = tenant;
      this.lastKind = kind;
      this.lastSet = set;
    }
    return set;
  }

  has(tenant: string, kind: ContentIdKind, hi: number, lo: number): boolean {
    const set = this.setOf(tenant, kind, false);
    return set !== undefined && set.get(hi, lo) >= 0;
  }

  add(tenant: string, kind: ContentIdKind, hi: number, lo: number): void {
    const set = this.setOf(tenant, kind, true) as Uint64Map;
    if (set.get(hi, lo) < 0) {
      set.set(hi, lo, 1);
      this.size++;
    }
  }

  clear(): void {
    this.sets.clear();
    this.size = 0;
    this.lastSet = undefined;
  }
}

/**
 * Stack and frame ids (content hashes) this process has seen ClickHouse acknowledge: a warm
 * consumer skips re-inserting them. Bounded; forgetting only costs a redundant insert.
 */
export function createInsertedIds(maxIds: number): InsertedIds {
  const ids = new IdSets();
  return {
    has: (tenant, kind, hi, lo) => ids.has(tenant, kind, hi, lo),
    add(tenant, kind, hi, lo) {
      if (ids.size >= maxIds) ids.clear();
      ids.add(tenant, kind, hi, lo);
    },
  };
}

/** Ids queued for insertion, remembered as inserted once ClickHouse acknowledges them. */
interface QueuedIds {
  tenants: string[];
  halves: number[];
}

export interface ProfileToWrite {
  envelope: ProfileEnvelope;
  /** Hits per endpoint the envelope brought (shared/profiles/endpoint-counts.ts). */
  endpointCounts: EndpointCounts;
  ingestId: string;
  exploded: DecodedProfile;
  startSeconds: number;
}

export class ProfileBatchWriter {
  private readonly samples: RowBinaryWriter;
  private readonly stacks = new RowBinaryWriter();
  private readonly frames = new RowBinaryWriter();
  private readonly counts = new RowBinaryWriter();
  private readonly commits = new RowBinaryWriter();
  private readonly queuedIds = new IdSets();
  private unflushed = this.noQueuedIds();

  constructor(
    private readonly inserts: OrderedInserts,
    private readonly chunkBytes: number,
    private readonly insertedIds: InsertedIds,
    private readonly now: () => bigint = () => BigInt(Date.now()) * 1_000_000n,
  ) {
    // A chunk ends after the row that reaches chunkBytes: room for that row's overshoot, so the
    // buffer (handed over at each flush) never regrows by copying.
    this.samples = new RowBinaryWriter(chunkBytes + (1 << 20));
  }

  private noQueuedIds(): Record<ContentIdKind, QueuedIds> {
    return { frames: { tenants: [], halves: [] }, stacks: { tenants: [], halves: [] } };
  }

  /** Whether id `index` of `ids` (words: its 32-bit view) is neither inserted nor queued; queues it if so. */
  private isNew(tenant: string, kind: ContentIdKind, words: Uint32Array, index: number): boolean {
    const hi = words[2 * index + HI] as number;
    const lo = words[2 * index + LO] as number;
    if (this.insertedIds.has(tenant, kind, hi, lo) || this.queuedIds.has(tenant, kind, hi, lo)) return false;
    this.queuedIds.add(tenant, kind, hi, lo);
    const queued = this.unflushed[kind];
    queued.tenants.push(tenant);
    queued.halves.push(hi, lo);
    return true;
  }

  async add(profile: ProfileToWrite): Promise<void> {
    const { envelope, ingestId, exploded } = profile;
    const tenant = envelope.tenant;
    const { frameIds, stackIds } = exploded.compact;
    const frameWords = new Uint32Array(frameIds.buffer, frameIds.byteOffset, 2 * frameIds.length);
    let frameRows: FrameRowEncoder | undefined;
    for (let frame = 0; frame < frameIds.length; frame++) {
      if (this.isNew(tenant, 'frames', frameWords, frame)) {
        frameRows ??= new FrameRowEncoder(tenant, exploded.compact);
        frameRows.encode(this.frames, frame);
      }
    }
    const stackWords = new Uint32Array(stackIds.buffer, stackIds.byteOffset, 2 * stackIds.length);
    let stackRows: StackRowEncoder | undefined;
    for (let stack = 0; stack < stackIds.length; stack++) {
      if (this.isNew(tenant, 'stacks', stackWords, stack)) {
        stackRows ??= new StackRowEncoder(tenant, exploded.compact);
        stackRows.encode(this.stacks, stack);
      }
    }
    encodeEndpointCountRows(this.counts, envelope, profile.endpointCounts, ingestId, profile.startSeconds);
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
    this.unflushed = this.noQueuedIds();
    // Content-addressed rows count as inserted once ClickHouse acknowledged them.
    const remember = (kind: ContentIdKind, ids: QueuedIds) => () => {
      for (let i = 0; i < ids.tenants.length; i++) {
        this.insertedIds.add(
          ids.tenants[i] as string,
          kind,
          ids.halves[2 * i] as number,
          ids.halves[2 * i + 1] as number,
        );
      }
    };
    await this.inserts.enqueue(framesTable, this.frames.take(), remember('frames', frames));
    await this.inserts.enqueue(stacksTable, this.stacks.take(), remember('stacks', stacks));
    await this.inserts.enqueue(endpointCountsTable, this.counts.take());
    const samples = this.samples.take();
    await this.inserts.enqueue(samplesTable, samples, () => this.samples.recycle(samples));
    await this.inserts.enqueue(profilesTable, this.commits.take());
  }

  async finish(): Promise<void> {
    await this.flush();
    await this.inserts.drain();
  }
}
