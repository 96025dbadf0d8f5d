import { KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isMessageTooLarge } from '../../shared/platform/adapters/kafka/envelope-publisher.js';

/**
 * The broker's answer to a message above max.message.bytes, in the shapes kafkajs hands it over
 * (the adapter's integration test, test/integration/envelope-publisher.test.ts, meets the real one).
 */
const protocolError = (type: string, code: number) =>
  new KafkaJSProtocolError({ type, code, retriable: false, message: 'refused' } as unknown as Error);

describe('isMessageTooLarge', () => {
  it.each([
    ['MESSAGE_TOO_LARGE as it comes', protocolError('MESSAGE_TOO_LARGE', 10)],
    ['RECORD_LIST_TOO_LARGE as it comes', protocolError('RECORD_LIST_TOO_LARGE', 18)],
    [
      'wrapped as the cause of a non-retriable error',
      Object.assign(new KafkaJSNonRetriableError('send failed'), { cause: protocolError('MESSAGE_TOO_LARGE', 10) }),
    ],
    [
      'inside retries exceeded',
      new KafkaJSNumberOfRetriesExceeded(protocolError('MESSAGE_TOO_LARGE', 10), { retryCount: 3, retryTime: 1 }),
    ],
    [
      'among the errors of an aggregate',
      Object.assign(new Error('many'), { errors: [new Error('x'), protocolError('MESSAGE_TOO_LARGE', 10)] }),
    ],
  ])('recognises %s', (_what, error) => {
    expect(isMessageTooLarge(error)).toBe(true);
  });

  it.each([
    ['a connection error', new KafkaJSError('Connection error: ECONNREFUSED')],
    ['another protocol error', protocolError('NOT_LEADER_FOR_PARTITION', 6)],
    ['a timeout of ours', new Error('no answer within 10000 ms')],
    ['a thrown string', 'MESSAGE_TOO_LARGE'],
    ['nothing', undefined],
  ])('does not mistake %s for it', (_what, error) => {
    expect(isMessageTooLarge(error)).toBe(false);
  });
});
