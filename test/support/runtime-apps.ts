/**
 * Real tracers of other runtimes for the e2e tests, run unmodified as child processes:
 *
 * - `node-dd-app` (test/node/dd-app): dd-trace-js 5.x (`node --require dd-trace/init app.js`), on
 *   the Node running the tests. Its packages come from its own lock file (`npm ci` in that folder;
 *   infra/scripts/install-prereqs.sh does it).
 * - `python-dd-app` (test/python/dd-app): ddtrace 4.x (`ddtrace-run python app.py`) in the venv
 *   infra/scripts/install-prereqs.sh makes from its requirements.txt.
 *
 * Both answer `GET /work?n=` (burns CPU in the request) with the request span's ids, print
 * "listening on <url>" once they accept connections, and exit on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type RuntimeAppName = 'node-dd-app' | 'python-dd-app';

const TEST_DIR = fileURLToPath(new URL('../', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;

/** The venv install-prereqs.sh makes for test/python/dd-app (HOTSPOTS_CACHE_DIR as there). */
export function pythonAppVenv(): string {
  return path.join(process.env.HOTSPOTS_CACHE_DIR ?? path.join(homedir(), '.cache', 'hotspots'), 'python-dd-app-venv');
}

function command(name: RuntimeAppName): { cwd: string; file: string; args: string[] } {
  if (name === 'node-dd-app') {
    const cwd = path.join(TEST_DIR, 'node', 'dd-app');
    if (!existsSync(path.join(cwd, 'node_modules', 'dd-trace'))) {
      throw new Error(`dd-trace is not installed in ${cwd}: run infra/scripts/install-prereqs.sh (npm ci there)`);
    }
    return { cwd, file: process.execPath, args: ['--require', 'dd-trace/init', 'app.js'] };
  }
  const cwd = path.join(TEST_DIR, 'python', 'dd-app');
  const bin = path.join(pythonAppVenv(), 'bin');
  if (!existsSync(path.join(bin, 'ddtrace-run'))) {
    throw new Error(`ddtrace is not installed in ${pythonAppVenv()}: run infra/scripts/install-prereqs.sh`);
  }
  return { cwd, file: path.join(bin, 'ddtrace-run'), args: [path.join(bin, 'python'), 'app.py'] };
}

export interface RuntimeAppEnvOptions {
  /** DD_TRACE_AGENT_URL: the API's root (dd-trace-js drops any path). */
  agentUrl: string;
  /** The tenant's key, sent as DD_EXTERNAL_ENV=hk-<key> (Datadog-External-Env on every request). */
  key: string;
  service: string;
  version?: string;
  /** Profile upload period, seconds. */
  periodSeconds: number;
}

/** Standard DD_* settings only: where the agent is, the key, the service, short periods, logs. */
export function runtimeAppEnv(name: RuntimeAppName, options: RuntimeAppEnvOptions): Record<string, string> {
  const common = {
    DD_TRACE_AGENT_URL: options.agentUrl,
    DD_EXTERNAL_ENV: `hk-${options.key}`,
    DD_SERVICE: options.service,
    DD_ENV: 'test',
    DD_VERSION: options.version ?? '1.0.0',
    DD_PROFILING_ENABLED: 'true',
  };
  if (name === 'node-dd-app') {
    return {
      ...common,
      DD_PROFILING_UPLOAD_PERIOD: String(options.periodSeconds),
      DD_TRACE_FLUSH_INTERVAL: '500',
      // dd-trace-js logs nothing unless asked: warnings and errors to stderr.
      DD_TRACE_DEBUG: 'true',
      DD_TRACE_LOG_LEVEL: 'warn',
    };
  }
  return {
    ...common,
    DD_PROFILING_UPLOAD_INTERVAL: String(options.periodSeconds),
    DD_TRACE_WRITER_INTERVAL_SECONDS: '0.5',
    // Lock (and allocation) events are sampled, 1 % by default: every one, so a request's lock wait shows.
    DD_PROFILING_CAPTURE_PCT: '100',
    // ddtrace logs warnings and errors to stderr by default.
  };
}

export interface RuntimeApp {
  name: RuntimeAppName;
  url: string;
  stdout(): string;
  stderr(): string;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

// Variables that configure tracers are not inherited, so a developer's own settings cannot redirect a test app.
const clientEnvPrefixes = ['DD_', 'OTEL_', 'PYROSCOPE_', 'NODE_OPTIONS', 'PYTHON'];

export async function startRuntimeApp(name: RuntimeAppName, env: Record<string, string>): Promise<RuntimeApp> {
  const { cwd, file, args } = command(name);
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !clientEnvPrefixes.some((prefix) => key.startsWith(prefix))),
  );
  const child = spawn(file, args, { cwd, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = waitForExit(child);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} printed no "listening on" line within ${START_TIMEOUT_MS} ms\nstderr:\n${stderr}`));
    }, START_TIMEOUT_MS);
    const onData = () => {
      const match = /^listening on (http:\/\/\S+)$/m.exec(stdout);
      if (!match?.[1]) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before listening (code ${code}, signal ${signal})\nstderr:\n${stderr}`));
    });
  });
  return {
    name,
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** What the apps answer: decimal span ids, a 32-hex trace id. */
export interface RequestIds {
  span_id: string;
  trace_id: string;
  local_root_span_id: string;
}

/** Sends `GET <path>` requests one after another for `durationMs` (or `count` of them). */
export async function drive(
  app: RuntimeApp,
  pathAndQuery: string,
  limit: { count?: number; durationMs?: number },
): Promise<RequestIds[]> {
  const deadline = Date.now() + (limit.durationMs ?? Number.POSITIVE_INFINITY);
  const results: RequestIds[] = [];
  while (results.length < (limit.count ?? Number.POSITIVE_INFINITY) && Date.now() < deadline) {
    const answer = await fetch(`${app.url}${pathAndQuery}`);
    const body = await answer.text();
    if (answer.status !== 200) throw new Error(`${app.name} GET ${pathAndQuery} answered ${answer.status}: ${body}`);
    results.push(JSON.parse(body) as RequestIds);
  }
  return results;
}
