import { Busboy } from '@fastify/busboy';
import { badRequest, type HotspotsError, payloadTooLarge, unsupportedMediaType } from '../platform/errors.js';

/**
 * multipart/form-data (RFC 7578) over a body that is already in memory, parsed with @fastify/busboy.
 * Every part is read as bytes, whether the sender wrote it as a field or as a file: agents mix
 * both (dd-trace-go's old layouts send metadata as fields, its event.json as a file), and binary
 * profiles must never go through a text decoder.
 */
export interface MultipartPart {
  name: string;
  filename: string | undefined;
  contentType: string;
  bytes: Buffer;
}

export interface MultipartLimits {
  maxParts: number;
  maxPartBytes: number;
}

export function isMultipart(contentType: string | undefined): boolean {
  return mediaTypeOf(contentType) === 'multipart/form-data';
}

export function mediaTypeOf(contentType: string | undefined): string | undefined {
  const media = contentType?.split(';')[0]?.trim().toLowerCase();
  return media === '' ? undefined : media;
}

export function parseMultipart(
  body: Uint8Array,
  contentType: string,
  limits: MultipartLimits,
): Promise<MultipartPart[]> {
  if (!isMultipart(contentType)) {
    return Promise.reject(
      unsupportedMediaType(`content type ${mediaTypeOf(contentType) ?? '(none)'} is not multipart/form-data`),
    );
  }
  return new Promise((resolve, reject) => {
    const parts: MultipartPart[] = [];
    let failure: HotspotsError | undefined;
    const fail = (error: HotspotsError) => {
      failure ??= error;
    };
    let parser: ReturnType<typeof Busboy>;
    try {
      parser = Busboy({
        headers: { 'content-type': contentType },
        // Every part as a byte stream: see the module comment.
        isPartAFile: () => true,
        // One part over the limit is reported (truncated stream), one part beyond the count too.
        limits: { files: limits.maxParts, parts: limits.maxParts, fileSize: limits.maxPartBytes },
      });
    } catch (error) {
      // Thrown synchronously for a Content-Type without a boundary.
      reject(badRequest(`multipart Content-Type is unusable: ${(error as Error).message}`, error));
      return;
    }
    parser.on('file', (name, stream, filename, _encoding, mimeType) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () =>
        fail(payloadTooLarge(`part ${JSON.stringify(name)} is larger than ${limits.maxPartBytes} bytes`)),
      );
      // A part cut short ("Part terminated early") errors on its own stream: unheard, that error
      // is an uncaught exception that takes the whole process down (test/fixtures/bad).
      stream.on('error', (error: unknown) =>
        fail(badRequest(`multipart part ${JSON.stringify(name)} is malformed: ${(error as Error)?.message}`, error)),
      );
      stream.on('end', () => {
        parts.push({ name, filename: filename || undefined, contentType: mimeType, bytes: Buffer.concat(chunks) });
      });
    });
    const tooMany = () => fail(payloadTooLarge(`the upload has more than ${limits.maxParts} parts`));
    parser.on('partsLimit', tooMany);
    parser.on('filesLimit', tooMany);
    parser.on('error', (error: unknown) => {
      reject(
        failure ?? badRequest(`multipart body is malformed: ${(error as Error)?.message ?? String(error)}`, error),
      );
    });
    parser.on('finish', () => {
      if (failure) reject(failure);
      else if (parts.length === 0) reject(badRequest('multipart body has no parts'));
      else resolve(parts);
    });
    parser.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
}
