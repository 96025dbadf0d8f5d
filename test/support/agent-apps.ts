/**
 * Real agent clients for tests: two small Go services under test/go, built from source and run as
 * child processes.
 *
 * - `dd-app`: dd-trace-go v2 tracer + profiler (code hotspots, endpoint labels and counts). Where
 *   it sends is set only by `DD_TRACE_AGENT_URL`.
 * - `pyroscope-app`: the Pyroscope Go SDK, the OpenTelemetry Go SDK with the OTLP/HTTP trace
 *   exporter, and otel-profiling-go joining them. Set by `PYROSCOPE_SERVER_ADDRESS` and
 *   `OTEL_EXPORTER_OTLP_ENDPOINT`.
 *
 * Both answer `GET /work?n=&workers=` by JSON-encoding a large structure n times in each of
 * `workers` goroutines the handler spawns and waits for (the goroutines inherit the request
 * span's pprof labels), and reply with the request span's ids.
 *
 * Builds are cached per source hash under the OS temp dir, like go-pprof.ts does: a content-keyed
 * directory is shared by concurrent test processes and never piles up per run.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findGo } from './go-pprof.js';
import { type ListeningApp, startListeningApp } from './listening-app.js';

/** Go programs under test/go built by buildAgentApp (the query client is Grafana's, not an agent). */
export type AgentAppName = 'dd-app' | 'pyroscope-app' | 'pyroscope-query-client' | 'otlp-profiles-exporter';

const GO_DIR = fileURLToPath(new URL('../go/', import.meta.url));
// A cold build downloads the modules (~80 MB for dd-trace-go) and compiles a few hundred packages
// on a possibly busy 2-core machine.
const BUILD_TIMEOUT_MS = 600_000;
const START_TIMEOUT_MS = 30_000;

export function agentAppDir(name: AgentAppName): string {
  return path.join(GO_DIR, name);
}

function goBuildEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Never download another toolchain because of a go directive, and build each module on its
    // own whatever go.work is around.
    GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local',
    GOWORK: 'off',
  };
}

// -mod=readonly: go.sum must already be complete. -buildvcs=false: no git needed, and dd-trace-go
// would otherwise add the commit to every profile as a git.commit.sha tag.
const buildFlags = ['-mod=readonly', '-buildvcs=false'];

/** Source hash: the module's Go files, go.mod and go.sum, plus the toolchain and flags used. */
async function buildKey(goBin: string, dir: string): Promise<string> {
  const hash = createHash('sha256');
  const goStat = await stat(goBin);
  hash.update(`${goBin}\0${goStat.mtimeMs}\0${buildFlags.join(' ')}\0`);
  for (const name of (await readdir(dir)).sort()) {
    if (!/\.(go|mod|sum)$/.test(name)) continue;
    hash.update(`${name}\0`);
    hash.update(await readFile(path.join(dir, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

function execGo(goBin: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      goBin,
      args,
      { cwd, env: goBuildEnv(), timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const why = error.killed ? `killed after ${BUILD_TIMEOUT_MS} ms` : `exit code ${String(error.code)}`;
        reject(new Error(`${goBin} ${args.join(' ')} in ${cwd} failed (${why})\n${stderr}`));
      },
    );
  });
}

const builds = new Map<AgentAppName, Promise<string>>();

/** Builds test/go/<name> (once per source hash) and returns the binary's path. */
export function buildAgentApp(name: AgentAppName): Promise<string> {
  const known = builds.get(name);
  if (known) return known;
  const building = (async () => {
    const goBin = await findGo();
    const dir = agentAppDir(name);
    const outDir = path.join(tmpdir(), 'hotspots-agent-apps', name, await buildKey(goBin, dir));
    const bin = path.join(outDir, name);
    try {
      await access(bin, fsConstants.X_OK);
      return bin;
    } catch {
      // not built yet
    }
    await mkdir(outDir, { recursive: true });
    // Built under a private name then renamed (atomic on one file system), so a concurrent test
    // process never runs a half-written binary.
    const tmp = `${bin}.${process.pid}.tmp`;
    try {
      await execGo(goBin, ['build', ...buildFlags, '-o', tmp, '.'], dir);
      await rename(tmp, bin);
    } finally {
      await rm(tmp, { force: true });
    }
    return bin;
  })();
  builds.set(name, building);
  building.catch(() => builds.delete(name));
  return building;
}

export interface DdAppEnvOptions {
  /** What DD_TRACE_AGENT_URL is set to, e.g. `${apiUrl}/k/<key>`. */
  agentUrl: string;
  service: string;
  env?: string;
  version?: string;
  /** Profiling period (and CPU profile duration), seconds. */
  periodSeconds?: number;
  /** dd-trace-go's default is on (one execution trace of up to 5 MiB every 15 min). */
  executionTrace?: boolean;
}

/**
 * The environment a real deployment would set for dd-trace-go, all standard DD_* variables except
 * DD_APP_PROFILING_PERIOD (read by dd-app, since the profiler's period is an option in code).
 */
export function ddAppEnv(options: DdAppEnvOptions): Record<string, string> {
  return {
    DD_TRACE_AGENT_URL: options.agentUrl,
    DD_SERVICE: options.service,
    DD_ENV: options.env ?? 'test',
    DD_VERSION: options.version ?? '1.0.0',
    // Both default to true in dd-trace-go v2; set anyway, as the README tells users to.
    DD_PROFILING_CODE_HOTSPOTS_COLLECTION_ENABLED: 'true',
    DD_PROFILING_ENDPOINT_COLLECTION_ENABLED: 'true',
    // Off by default: event.json then carries no endpoint_counts.
    DD_PROFILING_ENDPOINT_COUNT_ENABLED: 'true',
    // Off by default: profiler.Stop() then drops the period in progress.
    DD_PROFILING_FLUSH_ON_EXIT: 'true',
    DD_PROFILING_EXECUTION_TRACE_ENABLED: String(options.executionTrace ?? false),
    DD_APP_PROFILING_PERIOD: `${options.periodSeconds ?? 3}s`,
  };
}

export interface PyroscopeAppEnvOptions {
  /** What PYROSCOPE_SERVER_ADDRESS is set to; the SDK posts to `<it>/ingest`. */
  serverAddress: string;
  /** What OTEL_EXPORTER_OTLP_ENDPOINT is set to; the exporter posts to `<it>/v1/traces`. */
  otlpEndpoint: string;
  service: string;
  env?: string;
  version?: string;
  periodSeconds?: number;
}

export function pyroscopeAppEnv(options: PyroscopeAppEnvOptions): Record<string, string> {
  return {
    PYROSCOPE_SERVER_ADDRESS: options.serverAddress,
    OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpEndpoint,
    OTEL_SERVICE_NAME: options.service,
    APP_ENV: options.env ?? 'test',
    APP_VERSION: options.version ?? '1.0.0',
    PYROSCOPE_UPLOAD_RATE: `${options.periodSeconds ?? 3}s`,
  };
}

export interface AgentApp extends ListeningApp {
  name: AgentAppName;
}

/** Builds (if needed) and starts an app; resolves once it prints its listening address. */
export async function startAgentApp(name: AgentAppName, env: Record<string, string>): Promise<AgentApp> {
  const bin = await buildAgentApp(name);
  return { name, ...(await startListeningApp(name, { file: bin }, env, START_TIMEOUT_MS)) };
}

/** What `GET /work` answers. Span ids: dd-app decimal uint64, pyroscope-app 16 hex. */
export interface WorkResult {
  span_id: string;
  trace_id: string;
  n: number;
  workers: number;
  elapsed_ns: number;
  gomaxprocs: number;
  /** Client-side wall time of the request, for orientation. */
  client_ms: number;
}

export interface DriveOptions {
  /** Encodes per worker goroutine (default 20, ≈ 30 ms of CPU here). */
  n?: number;
  workers?: number;
  /** Stop after this many requests… */
  count?: number;
  /** …or after this long, whichever comes first (at least one of the two is required). */
  durationMs?: number;
  /** Requests in flight at once (default 1). */
  concurrency?: number;
}

/** Sends `GET /work` requests (bounded in count and time) and returns every answer. */
export async function driveRequests(app: AgentApp, options: DriveOptions): Promise<WorkResult[]> {
  if (options.count === undefined && options.durationMs === undefined) {
    throw new Error('driveRequests needs a count or a durationMs');
  }
  const deadline = Date.now() + (options.durationMs ?? Number.POSITIVE_INFINITY);
  const limit = options.count ?? Number.POSITIVE_INFINITY;
  const query = new URLSearchParams({ n: String(options.n ?? 20), workers: String(options.workers ?? 1) });
  const results: WorkResult[] = [];
  let started = 0;
  const worker = async () => {
    while (started < limit && Date.now() < deadline) {
      started++;
      const begin = performance.now();
      const answer = await fetch(`${app.url}/work?${query}`);
      const body = await answer.text();
      if (answer.status !== 200) throw new Error(`${app.name} GET /work answered ${answer.status}: ${body}`);
      results.push({ ...(JSON.parse(body) as Omit<WorkResult, 'client_ms'>), client_ms: performance.now() - begin });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 1 }, worker));
  return results;
}
