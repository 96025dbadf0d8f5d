import { inject } from 'vitest';

/**
 * JSON from the query API with 64-bit integers kept exact: numbers of 16+ digits are read as
 * BigInt (JSON.parse would round them). Tests compare CPU to the nanosecond.
 */
export function parseJsonExact<T>(text: string): T {
  // Marked as strings first; the marker cannot occur in JSON text we produce (a raw '~' pair).
  const marked = text.replace(/([:,[]\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1"~~big:$2"');
  return JSON.parse(marked, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith('~~big:') ? BigInt(value.slice(6)) : value,
  ) as T;
}

export async function getExact<T>(
  path: string,
  apiKey: string | null = inject('apiKey'),
): Promise<{ status: number; body: T }> {
  const answer = await fetch(`${inject('apiUrl')}${path}`, {
    headers: apiKey === null ? {} : { authorization: `Bearer ${apiKey}` },
  });
  return { status: answer.status, body: parseJsonExact<T>(await answer.text()) };
}

export async function getBytes(
  path: string,
  apiKey: string = inject('apiKey'),
): Promise<{ status: number; bytes: Buffer; contentType: string }> {
  const answer = await fetch(`${inject('apiUrl')}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
  return {
    status: answer.status,
    bytes: Buffer.from(await answer.arrayBuffer()),
    contentType: answer.headers.get('content-type') ?? '',
  };
}

/** Any numeric JSON value (number or exact BigInt) as a BigInt. */
export const big = (value: number | bigint | null | undefined): bigint => BigInt(value ?? 0);
