#!/usr/bin/env node
// `npm start`: installs what a fresh machine lacks (Debian packages, Kafka jars, npm packages),
// then runs infra/local/start.ts, which starts the stack and the functions until Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const prereqs = spawnSync('bash', [join(root, 'infra', 'scripts', 'install-prereqs.sh')], {
  cwd: root,
  stdio: 'inherit',
});
if (prereqs.status !== 0) process.exit(prereqs.status ?? 1);

const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'infra', 'local', 'start.ts')], {
  cwd: root,
  stdio: 'inherit',
});
// Ctrl-C reaches the whole process group; the child does the orderly shutdown, we wait for it.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
