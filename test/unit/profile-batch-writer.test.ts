import { describe, expect, it } from 'vitest';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import type { SqlDatabase } from '../../shared/platform/ports.js';
import { OrderedInserts } from '../../shared/profiles/rows/ordered-inserts.js';
import { createInsertedIds, ProfileBatchWriter } from '../../shared/profiles/rows/profile-batch-writer.js';
import { benchEnvelope } from '../bench/envelopes.js';
import { explodeProfileCompact } from '../support/decoders.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { testExplodeLimits, testProfileContext } from '../support/profile-context.js';

/**
 * The batch writer hands each chunk to an insert and takes its buffer back once the insert is
 * done (RowBinaryWriter.recycle). What an insert sends must not change while it runs, whatever
 * the inserts' timing; the database here is a stand-in that only records and waits.
 */
const limits = testExplodeLimits;

function profile(seed: number): Uint8Array {
  return buildCpuProfile({
    startNs: 1_764_000_000_000_000_000n,
    samples: Array.from({ length: 200 }, (_, i) => ({
      stack: [`leaf${(i * seed) % 13}`, `mid${i % 5}`, 'main.main'],
      cpuNs: 10_000_000n + BigInt(i * seed),
      labels: { 'span id': String(1000 + i), 'local root span id': String(1000 + i - (i % 4)) },
    })),
  });
}

interface Sent {
  table: string;
  bytes: Buffer;
}

/** Inserts that take `delays[i % n]` ms each and check their rows did not change meanwhile. */
function slowDatabase(delays: readonly number[], sent: Sent[], changed: string[]): SqlDatabase {
  let call = 0;
  const unused = () => Promise.reject(new Error('not used by the batch writer'));
  return {
    query: unused,
    insert: unused,
    command: unused,
    ping: unused,
    async insertRowBinary(table, _columns, rows) {
      const atStart = Buffer.from(rows);
      await new Promise((resolve) => setTimeout(resolve, delays[call++ % delays.length]));
      if (!atStart.equals(rows)) changed.push(table);
      sent.push({ table, bytes: atStart });
    },
  };
}

async function writeBatch(delays: readonly number[], chunkBytes: number): Promise<{ sent: Sent[]; changed: string[] }> {
  const sent: Sent[] = [];
  const changed: string[] = [];
  const inserts = new OrderedInserts(slowDatabase(delays, sent, changed), 2 * chunkBytes);
  const writer = new ProfileBatchWriter(inserts, chunkBytes, createInsertedIds(1000), () => 1n);
  for (let seed = 1; seed <= 6; seed++) {
    const exploded = explodeProfileCompact(profile(seed), testProfileContext, defaultLabelMapping, limits);
    const envelope = benchEnvelope({
      tenant: 'acme',
      service: 'checkout',
      bucket: 'b',
      key: `k${seed}`,
      profileId: `p${seed}`,
    });
    await writer.add({
      envelope: { ...envelope, received_at: '2026-11-25T00:00:00.000Z' },
      endpointCounts: {},
      ingestId: `i${seed}`,
      exploded,
      startSeconds: 1,
    });
  }
  await writer.finish();
  return { sent, changed };
}

describe('ProfileBatchWriter', () => {
  it('never changes a chunk while its insert runs, and sends what an instant database receives', async () => {
    const instant = await writeBatch([0], 4096);
    for (const delays of [[5, 0, 1], [0, 7], [3]]) {
      const { sent, changed } = await writeBatch(delays, 4096);
      expect(changed).toEqual([]);
      expect(sent.map((s) => s.table)).toEqual(instant.sent.map((s) => s.table));
      sent.forEach((s, i) => {
        expect([s.table, s.bytes.equals(instant.sent[i]?.bytes as Buffer)]).toEqual([s.table, true]);
      });
    }
    expect(instant.sent.filter((s) => s.table === 'samples').length).toBeGreaterThan(3);
  });
});
