import type { EnvelopePublisher, RawPayloadStore, SqlDatabase } from '../platform/ports.js';

export interface HealthReport {
  ok: boolean;
  checks: Record<'kafka' | 's3' | 'clickhouse', { ok: boolean; error?: string }>;
}

/** Healthy only when every dependency answers: an upload accepted now must be processable. */
export async function checkHealth(deps: {
  publisher: EnvelopePublisher;
  rawStore: RawPayloadStore;
  db: SqlDatabase;
}): Promise<HealthReport> {
  const probe = async (ping: () => Promise<void>) => {
    try {
      await ping();
      return { ok: true };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  };
  const [kafka, s3, clickhouse] = await Promise.all([
    probe(() => deps.publisher.ping()),
    probe(() => deps.rawStore.ping()),
    probe(() => deps.db.ping()),
  ]);
  return { ok: kafka.ok && s3.ok && clickhouse.ok, checks: { kafka, s3, clickhouse } };
}
