import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONSUMER_NODE_FLAGS, isPortOpen, waitFor } from './processes.js';
import { appEnvironment, repoRoot, type StackSettings } from './settings.js';

/**
 * The functions running locally: `serverless offline` serving the httpApi routes from the built
 * handlers (dist/), and the Kafka event source feeding the consumer handler.
 */
export interface RunningApp {
  url: string;
  eventSource: ChildProcess;
  stop(): Promise<void>;
  /** Restarts the event source (tests kill it to prove nothing is lost). */
  restartEventSource(): ChildProcess;
}

function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startApp(
  settings: StackSettings,
  options: {
    echo?: boolean;
    /** The app's own database, topics and consumer groups (appEnvironment), and logs in `app-<namespace>/`. */
    namespace?: string;
    extraEnv?: Record<string, string>;
  } = {},
): Promise<RunningApp> {
  const { port, lambdaPort } = settings.api;
  for (const [p, variable] of [
    [port, 'PORT'],
    [lambdaPort, 'HOTSPOTS_LAMBDA_PORT'],
  ] as const) {
    if (await isPortOpen(settings.host, p)) {
      throw new Error(`port ${p} on ${settings.host} is taken; stop what uses it or choose another with ${variable}`);
    }
  }
  const logDir = join(settings.dataDir, options.namespace === undefined ? 'app' : `app-${options.namespace}`);
  mkdirSync(logDir, { recursive: true });
  const env = {
    ...process.env,
    ...appEnvironment(settings, options.namespace),
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    ...options.extraEnv,
  };
  const launch = (name: string, args: string[]): ChildProcess => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.pipe(log, { end: false });
      if (options.echo) stream?.on('data', (chunk: Buffer) => process.stdout.write(`[${name}] ${chunk.toString()}`));
    }
    return child;
  };
  const serverless = launch('serverless-offline', [
    join(repoRoot, 'node_modules', 'serverless', 'bin', 'serverless.js'),
    'offline',
    '--stage',
    'local',
    '--host',
    settings.host,
    '--httpPort',
    String(port),
    '--lambdaPort',
    String(lambdaPort),
    '--localEnvironment',
    '--noPrependStageInUrl',
  ]);
  const startEventSource = () =>
    launch('event-source', [
      ...CONSUMER_NODE_FLAGS,
      '--import',
      'tsx',
      join(repoRoot, 'infra', 'local', 'event-source-main.ts'),
    ]);
  let eventSource = startEventSource();
  const url = `http://${settings.host}:${port}`;
  const app: RunningApp = {
    url,
    get eventSource() {
      return eventSource;
    },
    async stop() {
      await Promise.all([stopChild(serverless), stopChild(eventSource)]);
    },
    restartEventSource() {
      eventSource = startEventSource();
      return eventSource;
    },
  };
  try {
    await waitFor(
      `GET ${url}/healthz to answer 200`,
      async () => (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) })).status === 200,
      { timeoutMs: 120_000, intervalMs: 500, logFile: join(logDir, 'serverless-offline.log') },
    );
  } catch (error) {
    await app.stop();
    throw error;
  }
  return app;
}
