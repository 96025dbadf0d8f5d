import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startApp } from './app.js';
import { createTopics, migrateClickHouse } from './prepare.js';
import { appEnvironment, repoRoot, stackSettings } from './settings.js';
import { startStack, stopStack } from './stack.js';

/** `npm start`: the whole stack on 127.0.0.1, until Ctrl-C. */
const log = (message: string) => console.log(`[hotspots] ${message}`);
const settings = stackSettings();
const env = appEnvironment(settings);

let started: Awaited<ReturnType<typeof startStack>> = [];
let stopApp: (() => Promise<void>) | undefined;
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  await stopApp?.().catch(() => undefined);
  await stopStack(settings, started, log);
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  started = await startStack(settings, log);
  const applied = await migrateClickHouse(
    env.HOTSPOTS_CLICKHOUSE_URL ?? '',
    env.HOTSPOTS_CLICKHOUSE_DATABASE ?? 'hotspots',
  );
  log(`ClickHouse migrations applied: ${applied.length === 0 ? 'none (up to date)' : applied.join(', ')}`);
  const created = await createTopics([env.HOTSPOTS_KAFKA_BROKERS ?? '']);
  if (created.length > 0) log(`Kafka topics created: ${created.join(', ')}`);
  log('building functions and the web UI (npm run build)…');
  const build = spawnSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('TypeScript build failed');
  const app = await startApp(settings, { echo: process.env.HOTSPOTS_ECHO_LOGS === '1' });
  stopApp = app.stop;
  const key = settings.apiKeys.split(',')[0]?.split(':')[0];
  log('ready');
  console.log(`
  Web UI      ${app.url}/
  API         ${app.url}         (health: ${app.url}/healthz)
  API key     ${key}   (Authorization: Bearer ${key})
  ClickHouse  http://${settings.host}:${settings.clickhouse.httpPort}   database ${env.HOTSPOTS_CLICKHOUSE_DATABASE}
  Kafka       ${env.HOTSPOTS_KAFKA_BROKERS}   topic hotspots.profiles
  S3 (s3rver) ${env.HOTSPOTS_S3_ENDPOINT}   bucket ${settings.s3.bucket}
  Logs        ${join(settings.dataDir, 'app')}/*.log

  Upload:  curl -X POST -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/octet-stream' \\
             --data-binary @cpu.pprof '${app.url}/v1/profiles?service=my-service'
  Press Ctrl-C to stop everything this command started.
`);
  app.eventSource.on('exit', (code) => {
    if (!stopping) {
      log(`event source exited (${code}); stopping`);
      void shutdown(1);
    }
  });
} catch (error) {
  console.error(`[hotspots] start failed: ${(error as Error).message}`);
  await shutdown(1);
}
