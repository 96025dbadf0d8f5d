import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decompressBounded, sniffEncoding } from '../../shared/platform/compression.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';
import { sampleText } from '../support/sample-text.js';
import {
  ZSTD_MAX_BLOCK_BYTES,
  zstdFrameWithWindow,
  zstdRleBomb,
  zstdWindowDescriptor,
} from '../support/zstd-frames.js';

/**
 * decompressBounded (fzstd underneath) against frames written by the reference zstd CLI, and the
 * hand-built test frames checked by the CLI's own decoder. Needs `zstd` on the PATH.
 */
const KiB = 1024;
const MiB = 1024 * KiB;

const zstd = (input: Uint8Array): Uint8Array => execFileSync('zstd', ['-c', '-q'], { input });
const unzstd = (input: Uint8Array): Uint8Array => execFileSync('zstd', ['-d', '-c', '-q'], { input });

describe('sniffEncoding', () => {
  it('recognises real gzip and zstd output', () => {
    const input = sampleText(1000);

    expect([sniffEncoding(gzipSync(input)), sniffEncoding(zstd(input))]).toEqual(['gzip', 'zstd']);
  });
});

describe('decompressBounded with frames from the zstd CLI', () => {
  it('round-trips bytes compressed by the zstd CLI', () => {
    const input = sampleText(300 * KiB);

    const { data, encoding } = decompressBounded(zstd(input), MiB);

    expect([encoding, Buffer.from(data).equals(Buffer.from(input))]).toEqual(['zstd', true]);
  });

  it('round-trips random bytes compressed by the zstd CLI', () => {
    const input = randomBytes(200 * KiB);

    const { data } = decompressBounded(zstd(input), MiB);

    expect(Buffer.from(data).equals(input)).toBe(true);
  });

  it('round-trips an empty payload compressed by the zstd CLI', () => {
    const { data } = decompressBounded(zstd(new Uint8Array(0)), MiB);

    expect(data.length).toBe(0);
  });

  it('round-trips two concatenated frames', () => {
    const first = sampleText(10 * KiB);
    const second = randomBytes(10 * KiB);

    const { data } = decompressBounded(Buffer.concat([zstd(first), zstd(second)]), MiB);

    expect(Buffer.from(data).equals(Buffer.concat([first, second]))).toBe(true);
  });

  it('refuses output one byte above the limit', () => {
    expectHotspotsError(() => decompressBounded(zstd(sampleText(4097)), 4096), {
      code: 'payload_too_large',
      message: 'decompressed payload exceeds the limit of 4096 bytes',
    });
  });

  it('refuses a corrupt frame, as corrupt or as declaring too much', () => {
    const frame = Buffer.from(zstd(randomBytes(10 * KiB)));
    frame.fill(0xff, 4, 12);

    // Garbage in the header reads as a corrupt frame or as absurd declared sizes: both refused.
    const error = expectHotspotsError(() => decompressBounded(frame, MiB), {
      message: /zstd payload is corrupt|exceeds the limit|window/,
    });
    expect(['unprocessable', 'payload_too_large']).toContain(error.code);
  });

  it('refuses a truncated frame as unprocessable', () => {
    const frame = zstd(randomBytes(10 * KiB));

    expectHotspotsError(() => decompressBounded(frame.subarray(0, frame.length - 100), MiB), { code: 'unprocessable' });
  });

  it('refuses garbage after a valid frame as unprocessable', () => {
    const frame = Buffer.concat([zstd(sampleText(1000)), Buffer.from('not another frame', 'utf8')]);

    expectHotspotsError(() => decompressBounded(frame, MiB), { code: 'unprocessable' });
  });
});

describe('zstd test frames', () => {
  it('builds an RLE frame the zstd CLI decodes to the requested bytes', () => {
    const total = 2 * ZSTD_MAX_BLOCK_BYTES + 12_345;

    const decoded = unzstd(zstdRleBomb(total, 0x7a));

    expect([decoded.length, decoded.every((byte) => byte === 0x7a)]).toEqual([total, true]);
  });

  it('builds an empty RLE frame the zstd CLI accepts', () => {
    expect(unzstd(zstdRleBomb(0)).length).toBe(0);
  });

  it('builds a wide-window frame the zstd CLI decodes', () => {
    const decoded = unzstd(zstdFrameWithWindow(zstdWindowDescriptor(10), 5, 0x41));

    expect(Buffer.from(decoded).toString('latin1')).toBe('AAAAA');
  });
});
