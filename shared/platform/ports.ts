import type { Sql } from './sql.js';

/**
 * Ports the use cases depend on, named for the domain. Adapters for S3, Kafka and ClickHouse live
 * under shared/platform/adapters/; tests run use cases against the real services through the same adapters.
 */
export interface RawPayloadStore {
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** Throws a non-retriable not_found error when the object is absent. */
  get(key: string): Promise<Uint8Array>;
  ping(): Promise<void>;
}

export interface EnvelopePublisher {
  publish(topic: string, key: string, value: Buffer): Promise<void>;
  ping(): Promise<void>;
}

export interface SqlDatabase {
  query<T>(statement: Sql): Promise<T[]>;
  insert(table: string, rows: readonly object[]): Promise<void>;
  /**
   * Inserts pre-encoded RowBinary rows (shared/profiles/rows/row-binary.ts) into the listed columns. Once
   * it resolves, `rows` is the caller's again: the batch writer writes its next chunk into it.
   */
  insertRowBinary(table: string, columns: readonly string[], rows: Uint8Array): Promise<void>;
  command(statement: Sql): Promise<void>;
  ping(): Promise<void>;
}
