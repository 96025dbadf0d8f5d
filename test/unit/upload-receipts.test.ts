import { describe, expect, it } from 'vitest';
import { HotspotsError } from '../../shared/platform/errors.js';
import type { RawPayloadStore } from '../../shared/platform/ports.js';
import { putReceipt, readReceipt, receiptKey, type UploadReceipt } from '../../shared/platform/upload-receipts.js';
import { nameBasedUuid, parseUuid } from '../../shared/platform/uuids.js';

function memoryStore(): RawPayloadStore & { objects: Map<string, Uint8Array> } {
  const objects = new Map<string, Uint8Array>();
  return {
    objects,
    async put(key, bytes) {
      objects.set(key, bytes);
    },
    async get(key) {
      const bytes = objects.get(key);
      if (!bytes) throw new HotspotsError('not_found', `no object ${key}`);
      return bytes;
    },
    async ping() {},
  };
}

const receipt: UploadReceipt = {
  v: 1,
  tenant: 'acme',
  profile_id: '0190e0c2-6f1b-7000-8000-000000000001',
  service: 'checkout',
  accepted_at: '2026-11-24T10:01:02.003Z',
  upload_id: 'u-1',
};

describe('upload receipts', () => {
  it('are found by tenant and profile id alone', async () => {
    const store = memoryStore();

    await putReceipt(store, receipt);

    expect(await readReceipt(store, 'acme', receipt.profile_id)).toEqual(receipt);
  });

  it('are not found under another tenant', async () => {
    const store = memoryStore();
    await putReceipt(store, receipt);

    expect(await readReceipt(store, 'globex', receipt.profile_id)).toBeUndefined();
  });

  it('are not trusted when their content names another tenant than their key', async () => {
    const store = memoryStore();
    store.objects.set(receiptKey('globex', receipt.profile_id), Buffer.from(JSON.stringify(receipt)));

    expect(await readReceipt(store, 'globex', receipt.profile_id)).toBeUndefined();
  });

  it('let S3 failures other than a missing object through (retriable)', async () => {
    const store = memoryStore();
    store.get = async () => Promise.reject(new HotspotsError('unavailable', 'S3 down', { retriable: true }));

    await expect(readReceipt(store, 'acme', receipt.profile_id)).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('uuids', () => {
  it('reads a UUID in any case as its canonical lower-case form', () => {
    expect(parseUuid('0190E0C2-6F1B-7000-8000-00000000000A')).toBe('0190e0c2-6f1b-7000-8000-00000000000a');
  });

  it.each([
    '',
    'prof-1',
    '0190e0c2-6f1b-7000-8000-00000000000',
    '../../etc/passwd',
    '0190e0c26f1b70008000000000000001',
  ])('refuses %j', (text) => {
    expect(parseUuid(text)).toBeUndefined();
  });

  it('derives the same version 8 UUID from the same parts, and another from other parts', () => {
    const id = nameBasedUuid(['a', 'b']);

    expect(nameBasedUuid(['a', 'b'])).toBe(id);
    expect(nameBasedUuid(['a:b'])).not.toBe(id);
    expect(parseUuid(id)).toBe(id);
    expect(id[14]).toBe('8');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
  });
});
