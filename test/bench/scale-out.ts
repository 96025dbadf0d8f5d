import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Kafka, logLevel } from 'kafkajs';
import { CONSUMER_NODE_FLAGS } from '../../infra/local/processes.js';
import { repoRoot } from '../../infra/local/settings.js';
import type { Deps } from '../../shared/app/deps.js';
import { sql } from '../../shared/platform/sql.js';
import { encodeEnvelope, type ProfileEnvelope } from '../../shared/profiles/envelope.js';
import { benchEnvelope } from './envelopes.js';
import { buildRealisticProfile } from './realistic-profile.js';
import { round } from './stats.js';

/**
 * Scale-out on the local Kafka: a topic with `partitions` partitions holding `profiles`
 * envelopes, drained by M consumer processes in one group (M = 1, 2, 4 by default), each the
 * local event source running the real consumer handler. Throughput = profiles committed in
 * ClickHouse over the time from the first envelope published to the last profile committed.
 */
// A type (not an interface) so that rows print with stats.table.
export type ScaleOutFigures = {
  consumers: number;
  partitions: number;
  profiles: number;
  samples: number;
  seconds: number;
  profiles_per_s: number;
  samples_per_s: number;
  speed_up_over_one: number;
};

export interface ScaleOutOptions {
  env: Record<string, string>;
  consumerCounts: number[];
  partitions: number;
  profiles: number;
  log: (message: string) => void;
}

function startConsumer(env: Record<string, string>, topic: string, group: string): ChildProcess {
  const script = join(repoRoot, 'infra', 'local', 'event-source-main.ts');
  return spawn(process.execPath, [...CONSUMER_NODE_FLAGS, '--import', 'tsx', script], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...env,
      HOTSPOTS_PROFILES_TOPIC: topic,
      HOTSPOTS_CONSUMER_GROUP: group,
      HOTSPOTS_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves once each process logged (JSON lines on stderr) that its profiles event source runs. */
function running(children: ChildProcess[]): Promise<void> {
  return Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          let seen = '';
          const timer = setTimeout(() => reject(new Error(`consumer did not start: ${seen.slice(-500)}`)), 60_000);
          child.stderr?.on('data', (chunk: Buffer) => {
            seen += chunk.toString();
            const lines = seen.split('\n');
            if (lines.some((line) => line.includes('event source running') && line.includes('processProfiles'))) {
              clearTimeout(timer);
              resolve();
            }
          });
          child.once('exit', (code) => reject(new Error(`consumer exited with ${code}: ${seen.slice(-500)}`)));
        }),
    ),
  ).then(() => undefined);
}

async function stop(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.removeAllListeners('exit');
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
}

export async function benchScaleOut(deps: Deps, options: ScaleOutOptions): Promise<ScaleOutFigures[]> {
  const run = Date.now().toString(36);
  const samplesPerProfile = 20_000;
  const keys: string[] = [];
  for (let i = 0; i < 8; i++) {
    const key = `bench/scale-out/${run}/${i}.pprof.gz`;
    const bytes = gzipSync(buildRealisticProfile({ seed: 100 + i, startNs: BigInt(Date.now()) * 1_000_000n }));
    await deps.rawStore.put(key, bytes, 'application/octet-stream');
    keys.push(key);
  }
  const kafka = new Kafka({ brokers: deps.config.kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  const figures: ScaleOutFigures[] = [];
  try {
    for (const consumers of options.consumerCounts) {
      const tenant = `bench-scale-${run}-m${consumers}`;
      const topic = `bench.scale.${run}.m${consumers}`;
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: options.partitions, replicationFactor: 1 }],
      });
      const children = Array.from({ length: consumers }, () => startConsumer(options.env, topic, `bench-${topic}`));
      try {
        await running(children);
        // The group rebalances as members join; let it settle so every member owns partitions.
        await new Promise((resolve) => setTimeout(resolve, 5000));
        const envelopes: ProfileEnvelope[] = Array.from({ length: options.profiles }, (_, i) =>
          benchEnvelope({
            tenant,
            service: 'checkout',
            bucket: deps.config.s3.bucket,
            key: keys[i % keys.length] as string,
          }),
        );
        const started = performance.now();
        await producer.send({
          topic,
          acks: -1,
          messages: envelopes.map((e) => ({ key: e.profile_id, value: encodeEnvelope(e) })),
        });
        for (;;) {
          const rows = await deps.db.query<{ n: string }>(
            sql`SELECT toString(count()) AS n FROM profiles WHERE tenant = ${tenant}`,
          );
          if (Number(rows[0]?.n) >= options.profiles) break;
          if (performance.now() - started > 600_000) throw new Error(`scale-out: ${tenant} not drained in 600 s`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const seconds = (performance.now() - started) / 1000;
        const base = figures[0];
        const profilesPerS = options.profiles / seconds;
        figures.push({
          consumers,
          partitions: options.partitions,
          profiles: options.profiles,
          samples: options.profiles * samplesPerProfile,
          seconds: round(seconds, 2),
          profiles_per_s: round(profilesPerS),
          samples_per_s: Math.round((options.profiles * samplesPerProfile) / seconds),
          speed_up_over_one: base ? round(profilesPerS / base.profiles_per_s, 2) : 1,
        });
        options.log(`scale-out: M=${consumers} drained ${options.profiles} profiles in ${round(seconds, 2)} s`);
      } finally {
        await stop(children);
      }
    }
  } finally {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }
  return figures;
}
