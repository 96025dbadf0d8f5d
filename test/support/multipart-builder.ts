import { randomBytes } from 'node:crypto';

/**
 * multipart/form-data bodies written the way Go's mime/multipart Writer writes them (CRLF line
 * breaks, `--boundary` before each part, `--boundary--` at the end), so tests post exactly what
 * dd-trace-go and pyroscope-go post.
 */
export interface PartSpec {
  name: string;
  /** Present for file parts (CreateFormFile); absent for fields (WriteField). */
  filename?: string;
  contentType?: string;
  body: Uint8Array | string;
}

export interface MultipartBody {
  body: Buffer;
  contentType: string;
}

export function buildMultipart(parts: readonly PartSpec[], boundary = randomBytes(30).toString('hex')): MultipartBody {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition =
      part.filename === undefined
        ? `form-data; name="${part.name}"`
        : `form-data; name="${part.name}"; filename="${part.filename}"`;
    const type = part.contentType ?? (part.filename === undefined ? undefined : 'application/octet-stream');
    const headers = [`Content-Disposition: ${disposition}`, ...(type ? [`Content-Type: ${type}`] : [])];
    chunks.push(Buffer.from(`--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`));
    chunks.push(typeof part.body === 'string' ? Buffer.from(part.body, 'utf8') : Buffer.from(part.body));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A file part as dd-trace-go v1.42+ writes each attachment: field name = file name. */
export const filePart = (name: string, body: Uint8Array): PartSpec => ({ name, filename: name, body });

/** The event.json part of dd-trace-go v1.42+ (always last). */
export const eventPart = (event: unknown): PartSpec => ({
  name: 'event',
  filename: 'event.json',
  contentType: 'application/json',
  body: `${JSON.stringify(event)}\n`,
});
