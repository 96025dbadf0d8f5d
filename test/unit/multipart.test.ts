import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MultipartPart, parseMultipart } from '../../shared/agents/multipart.js';
import { expectHotspotsErrorAsync } from '../support/expect-hotspots-error.js';
import { buildMultipart } from '../support/multipart-builder.js';

const limits = { maxParts: 8, maxPartBytes: 1024 };

const sample = buildMultipart([
  { name: 'cpu.pprof', filename: 'cpu.pprof', body: Buffer.from([0x1f, 0x8b, 0x00, 0xff, 0x0d, 0x0a]) },
  { name: 'version', body: '3' },
]);

describe('parseMultipart', () => {
  it('reads file parts and fields alike as exact bytes', async () => {
    const parts = await parseMultipart(sample.body, sample.contentType, limits);

    expect(parts.map((p) => [p.name, p.filename, p.bytes.toString('hex')])).toEqual([
      ['cpu.pprof', 'cpu.pprof', '1f8b00ff0d0a'],
      ['version', undefined, '33'],
    ]);
  });

  it('keeps bytes that look like CRLF and boundaries inside a part', async () => {
    const tricky = Buffer.from('\r\n--\r\n--not-the-boundary\r\n\r\n');
    const body = buildMultipart([{ name: 'a', filename: 'a', body: tricky }], 'the-boundary');

    const [part] = await parseMultipart(body.body, body.contentType, limits);

    expect(part?.bytes.equals(tricky)).toBe(true);
  });

  it('round-trips any binary parts written by an independent encoder (undici FormData)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9._-]{0,15}$/), fc.uint8Array({ maxLength: 300 })), {
          minLength: 1,
          maxLength: 6,
        }),
        async (files) => {
          const form = new FormData();
          for (const [name, bytes] of files) form.append(name, new Blob([bytes]), `${name}.bin`);
          const request = new Request('http://localhost/', { method: 'POST', body: form });
          const body = Buffer.from(await request.arrayBuffer());

          const parts = await parseMultipart(body, request.headers.get('content-type') ?? '', limits);

          expect(parts.map((p: MultipartPart) => [p.name, p.bytes.toString('hex')])).toEqual(
            files.map(([name, bytes]) => [name, Buffer.from(bytes).toString('hex')]),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses a body cut before the closing boundary with 400', async () => {
    const cut = sample.body.subarray(0, sample.body.length - 20);

    await expectHotspotsErrorAsync(() => parseMultipart(cut, sample.contentType, limits), {
      status: 400,
      message: /malformed/,
    });
  });

  it('refuses a body written with another boundary with 400', async () => {
    await expectHotspotsErrorAsync(() => parseMultipart(sample.body, 'multipart/form-data; boundary=other', limits), {
      status: 400,
    });
  });

  it('refuses a multipart Content-Type without a boundary with 400', async () => {
    await expectHotspotsErrorAsync(() => parseMultipart(sample.body, 'multipart/form-data', limits), {
      status: 400,
      message: /Boundary/,
    });
  });

  it('refuses a body that is not multipart at all with 400', async () => {
    await expectHotspotsErrorAsync(() => parseMultipart(Buffer.from('{"a":1}'), sample.contentType, limits), {
      status: 400,
    });
  });

  it('refuses another content type with 415', async () => {
    await expectHotspotsErrorAsync(() => parseMultipart(sample.body, 'application/json', limits), { status: 415 });
  });

  it('refuses a part above the part size limit with 413, naming it', async () => {
    const body = buildMultipart([{ name: 'big.pprof', filename: 'big.pprof', body: Buffer.alloc(1025, 1) }]);

    await expectHotspotsErrorAsync(() => parseMultipart(body.body, body.contentType, limits), {
      status: 413,
      message: /big\.pprof/,
    });
  });

  it('accepts a part of exactly the part size limit', async () => {
    const body = buildMultipart([{ name: 'edge', filename: 'edge', body: Buffer.alloc(1024, 1) }]);

    const [part] = await parseMultipart(body.body, body.contentType, limits);

    expect(part?.bytes.length).toBe(1024);
  });

  it('refuses more parts than the limit with 413', async () => {
    const body = buildMultipart(Array.from({ length: 9 }, (_, i) => ({ name: `p${i}`, body: 'x' })));

    await expectHotspotsErrorAsync(() => parseMultipart(body.body, body.contentType, limits), {
      status: 413,
      message: /more than 8 parts/,
    });
  });

  it('refuses a multipart body without parts with 400', async () => {
    const body = buildMultipart([]);

    await expectHotspotsErrorAsync(() => parseMultipart(body.body, body.contentType, limits), { status: 400 });
  });
});
