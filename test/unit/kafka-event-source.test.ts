import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { toLambdaEvent, toLambdaRecord } from '../../infra/local/kafka-event-source.js';
import { type KafkaEventRecord, recordsOf } from '../../shared/platform/kafka-event.js';

/** A message as kafkajs hands it to eachBatch (record batch format, magic byte 2). */
function message(overrides: Partial<Extract<KafkaMessage, { headers: unknown }>> = {}): KafkaMessage {
  return {
    key: Buffer.from('prof-0001', 'utf8'),
    value: Buffer.from('{"v":1}', 'utf8'),
    timestamp: '1795514400123',
    attributes: 0,
    offset: '42',
    headers: {},
    ...overrides,
  };
}

describe('toLambdaRecord', () => {
  it('builds exactly the record shape of the Lambda Kafka event', () => {
    const record = toLambdaRecord('hotspots.profiles', 3, message({ headers: { source: Buffer.from('hi', 'utf8') } }));

    expect(record).toEqual({
      topic: 'hotspots.profiles',
      partition: 3,
      offset: 42,
      timestamp: 1_795_514_400_123,
      timestampType: 'CREATE_TIME',
      key: Buffer.from('prof-0001', 'utf8').toString('base64'),
      value: Buffer.from('{"v":1}', 'utf8').toString('base64'),
      headers: [{ source: [104, 105] }],
    });
  });

  it('writes offsets and timestamps as numbers', () => {
    const record = toLambdaRecord('t', 0, message({ offset: '9007199254740991', timestamp: '0' }));

    expect([typeof record.offset, record.offset, record.timestamp]).toEqual(['number', 9_007_199_254_740_991, 0]);
  });

  it('base64-encodes a binary value byte for byte', () => {
    const bytes = Buffer.from([0x00, 0xff, 0x1f, 0x8b, 0x80, 0xc3, 0x28]);

    const record = toLambdaRecord('t', 0, message({ value: bytes }));

    expect(Buffer.from(record.value ?? '', 'base64').equals(bytes)).toBe(true);
  });

  it('gives a null key for a message without one', () => {
    expect(toLambdaRecord('t', 0, message({ key: null })).key).toBeNull();
  });

  it('gives a null value for a tombstone', () => {
    expect(toLambdaRecord('t', 0, message({ value: null })).value).toBeNull();
  });

  it('writes header values as arrays of byte values', () => {
    const record = toLambdaRecord('t', 0, message({ headers: { bin: Buffer.from([0, 127, 128, 255]) } }));

    expect(record.headers).toEqual([{ bin: [0, 127, 128, 255] }]);
  });

  it('writes a string header value as its UTF-8 bytes', () => {
    const record = toLambdaRecord('t', 0, message({ headers: { name: 'é' } }));

    expect(record.headers).toEqual([{ name: [0xc3, 0xa9] }]);
  });

  it('writes one entry per header, in order', () => {
    const record = toLambdaRecord('t', 0, message({ headers: { a: Buffer.from('1'), b: Buffer.from('2') } }));

    expect(record.headers).toEqual([{ a: [0x31] }, { b: [0x32] }]);
  });

  it('writes an empty header list for a message without headers', () => {
    const legacy = { key: null, value: null, timestamp: '1', attributes: 0, offset: '1', size: 10 } as KafkaMessage;

    expect(toLambdaRecord('t', 0, legacy).headers).toEqual([]);
  });

  it('keeps every value of a repeated header as its own entry, as Lambda does', () => {
    // kafkajs folds repeated header keys into an array; Lambda lists each Kafka header separately.
    const record = toLambdaRecord('t', 0, message({ headers: { trace: [Buffer.from('a'), Buffer.from('b')] } }));

    expect(record.headers).toEqual([{ trace: [0x61] }, { trace: [0x62] }]);
  });
});

describe('toLambdaEvent', () => {
  const record = (topic: string, partition: number, offset: number): KafkaEventRecord =>
    toLambdaRecord(topic, partition, message({ offset: String(offset) }));

  it('groups records by topic-partition', () => {
    const records = [record('p', 0, 1), record('p', 1, 7), record('p', 0, 2), record('q', 0, 5)];

    const event = toLambdaEvent('broker:9092', records);

    expect(Object.fromEntries(Object.entries(event.records).map(([k, v]) => [k, v.map((r) => r.offset)]))).toEqual({
      'p-0': [1, 2],
      'p-1': [7],
      'q-0': [5],
    });
  });

  it('describes a self-managed Kafka source with its bootstrap servers', () => {
    const event = toLambdaEvent('b1:9092,b2:9092', [record('p', 0, 1)]);

    expect([event.eventSource, event.bootstrapServers]).toEqual(['SelfManagedKafka', 'b1:9092,b2:9092']);
  });

  it('gives an empty record map for no records', () => {
    expect(toLambdaEvent('b:9092', []).records).toEqual({});
  });

  it('keeps a topic name with dashes apart from the partition', () => {
    const event = toLambdaEvent('b:9092', [record('hotspots-profiles-v2', 11, 1)]);

    expect(Object.keys(event.records)).toEqual(['hotspots-profiles-v2-11']);
  });

  it('reads back, through the shared event reader, as the records it was given', () => {
    const records = [record('p', 0, 1), record('p', 1, 7), record('p', 0, 2)];

    const event = toLambdaEvent('b:9092', records);

    expect(recordsOf(event).map((r) => [r.partition, r.offset])).toEqual([
      [0, 1],
      [0, 2],
      [1, 7],
    ]);
  });
});
