/**
 * A test app run as a child process: it prints "listening on <url>" once it accepts connections
 * and exits on SIGTERM. Shared by the Go agent apps (agent-apps.ts) and the other runtimes'
 * tracer apps (runtime-apps.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';

const STOP_TIMEOUT_MS = 60_000;

/**
 * Variables that configure tracers are not inherited, so a developer's own settings cannot
 * redirect a test app; NODE_OPTIONS and PYTHON* would change how the runtimes themselves start.
 */
const clientEnvPrefixes = ['DD_', 'OTEL_', 'PYROSCOPE_', 'NODE_OPTIONS', 'PYTHON'];

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface ListeningApp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then waits for the exit (the apps flush their last profile and spans first). */
  stop(): Promise<Exit>;
}

function waitForExit(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Starts `file args` with `env` over the inherited environment; resolves once it listens. */
export async function startListeningApp(
  name: string,
  command: { file: string; args?: string[]; cwd?: string },
  env: Record<string, string>,
  startTimeoutMs: number,
): Promise<ListeningApp> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !clientEnvPrefixes.some((prefix) => key.startsWith(prefix))),
  );
  const child = spawn(command.file, command.args ?? [], {
    ...(command.cwd === undefined ? {} : { cwd: command.cwd }),
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
      reject(new Error(`${name} printed no "listening on" line within ${startTimeoutMs} ms\nstderr:\n${stderr}`));
    }, startTimeoutMs);
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
    url,
    pid: child.pid ?? -1,
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
