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
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ListeningApp, startListeningApp } from './listening-app.js';

export type RuntimeAppName = 'node-dd-app' | 'python-dd-app';

const TEST_DIR = fileURLToPath(new URL('../', import.meta.url));
const START_TIMEOUT_MS = 60_000;

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

export interface RuntimeApp extends ListeningApp {
  name: RuntimeAppName;
}

export async function startRuntimeApp(name: RuntimeAppName, env: Record<string, string>): Promise<RuntimeApp> {
  return { name, ...(await startListeningApp(name, command(name), env, START_TIMEOUT_MS)) };
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
