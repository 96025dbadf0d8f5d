#!/usr/bin/env node
// `node infra/scripts/node24.mjs '<command>' [args…]`, as the whole of an npm script: runs the
// command on Node 24, the Lambda runtime's major (serverless.yml: nodejs24.x), whatever the PATH's
// node is. On Node 24 it runs the command in a shell with the args appended, as npm would. On
// another Node it has infra/scripts/install-node.sh install the pinned Node 24 (quick when
// present) and runs the same npm script again with that Node first on PATH, so npm itself and
// everything the command starts (tsc, vitest and its workers, serverless offline, tsx) run on 24.
// Kept to syntax and APIs that Node 18 and 20 have.
import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const major = 24;
const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node infra/scripts/node24.mjs <command> [args…]');
  process.exit(2);
}
const quote = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);

function run(file, argv, options) {
  const child = spawn(file, argv, { stdio: 'inherit', ...options });
  // Ctrl-C reaches the whole process group, the child included; a signal sent to this process
  // alone is passed on. Either way this process waits for the child and exits as it did.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    console.error(`node24: cannot run ${file}: ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
}

if (Number(process.versions.node.split('.')[0]) === major) {
  run([command, ...args.map(quote)].join(' '), [], { shell: true });
} else if (process.env.HOTSPOTS_NODE24_BIN === dirname(process.execPath)) {
  // Re-run on the Node that install-node.sh gave, and it is not of the major: stop, not loop.
  console.error(`node24: ${process.execPath} is Node ${process.versions.node}, not ${major}`);
  process.exit(1);
} else {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const install = spawnSync('bash', [join(root, 'infra', 'scripts', 'install-node.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const bin = install.stdout?.trim().split('\n').pop();
  if (install.status !== 0 || !bin) {
    console.error(`node24: could not install Node ${major} (infra/scripts/install-node.sh)`);
    process.exit(install.status || 1);
  }
  console.error(`node24: on Node ${process.versions.node}; running this again on the Node ${major} in ${bin}`);
  const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, HOTSPOTS_NODE24_BIN: bin };
  const node = join(bin, 'node');
  // Through the same npm when this is the npm script's command (not a process that inherited
  // npm's variables), so that npm's own variables (NODE…) name Node 24 too.
  const script = process.env.npm_lifecycle_script?.includes(command) && process.env.npm_lifecycle_event;
  const npm = process.env.npm_execpath;
  if (script && npm?.endsWith('.js')) run(node, [npm, 'run', script, '--', ...args], { env });
  else if (script) run('npm', ['run', script, '--', ...args], { env });
  else run(node, [fileURLToPath(import.meta.url), command, ...args], { env });
}
