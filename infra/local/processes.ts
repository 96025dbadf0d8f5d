import { spawn } from 'node:child_process';

/**
 * Node flags of consumer processes, as serverless.yml gives the consumer Lambda in NODE_OPTIONS:
 * 64 MiB semi-spaces, as decoding makes tens of MB of short-lived objects per profile.
 */
export const CONSUMER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** Small process helpers for the local stack: detached services with pid files and logs. */

export function isPortOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Starts a detached process (it outlives this one) with stdout/stderr appended to `logFile`. */
export function spawnDetached(
  command: string,
  args: string[],
  options: { logFile: string; pidFile: string; cwd?: string; env?: NodeJS.ProcessEnv },
): number {
  const out = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  child.unref();
  writeFileSync(options.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** Polls `check` until it is true; fails with what it waited for and the log's last lines. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; logFile?: string; pid?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (options.pid !== undefined && !isAlive(options.pid)) break;
    await delay(options.intervalMs ?? 250);
  }
  const tail =
    options.logFile && existsSync(options.logFile)
      ? readFileSync(options.logFile, 'utf8').split('\n').slice(-25).join('\n')
      : '';
  const reason =
    options.pid !== undefined && !isAlive(options.pid) ? 'the process exited' : `${options.timeoutMs} ms passed`;
  throw new Error(
    `gave up waiting for ${what}: ${reason}${tail ? `\n--- last lines of ${options.logFile} ---\n${tail}` : ''}`,
  );
}

/** SIGTERM, then SIGKILL after `graceMs`; removes the pid file. */
export async function stopPid(pidFile: string, graceMs = 20_000): Promise<boolean> {
  const pid = readPid(pidFile);
  if (pid === undefined) return false;
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await delay(100);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
  return true;
}
