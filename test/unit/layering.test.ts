import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/local/settings.js';

/**
 * ARCHITECTURE.md's rooms, held by biome.json's noRestrictedImports overrides: probe files laid
 * out like the repository are linted with the repository's biome.json.
 */
const biome = join(repoRoot, 'node_modules', '.bin', 'biome');
const scratch = mkdtempSync(join(tmpdir(), 'hotspots-layering-'));
copyFileSync(join(repoRoot, 'biome.json'), join(scratch, 'biome.json'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function lintProbe(path: string, source: string): string[] {
  mkdirSync(dirname(join(scratch, path)), { recursive: true });
  writeFileSync(join(scratch, path), source);
  const result = spawnSync(biome, ['lint', '--max-diagnostics=50', path], { cwd: scratch, encoding: 'utf8' });
  return [...`${result.stdout}${result.stderr}`.matchAll(/lint\/style\/noRestrictedImports/g)].map((m) => m[0]);
}

describe('the layering rule', () => {
  it('refuses a platform module that imports the read side', () => {
    expect(
      lintProbe('shared/platform/probe-a.ts', "import { x } from '../query/flamegraph.js';\nexport const y = x;\n"),
    ).toHaveLength(1);
  });

  it('refuses the query side reaching into profile ingest', () => {
    expect(
      lintProbe('shared/query/probe-b.ts', "import { x } from '../profiles/envelope.js';\nexport const y = x;\n"),
    ).toHaveLength(1);
  });

  it('refuses pprof internals outside shared/pprof, and accepts its index', () => {
    const source =
      "import { a } from '../pprof/explode.js';\nimport { b } from '../pprof/index.js';\nexport const y = [a, b];\n";
    expect(lintProbe('shared/profiles/probe-c.ts', source)).toHaveLength(1);
  });

  it('refuses a handler that skips the composition root', () => {
    const source = "import { x } from '../../shared/query/endpoint-cpu.js';\nexport const y = x;\n";
    expect(lintProbe('functions/probe/handler.ts', source)).toHaveLength(1);
  });

  it('accepts imports within a room and downwards', () => {
    const source =
      "import { a } from '../platform/errors.js';\nimport { b } from './sql/stacks.js';\nexport const y = [a, b];\n";
    expect(lintProbe('shared/query/probe-d.ts', source)).toHaveLength(0);
  });
});

/** Relative imports of every module under shared/ (wasm/assembly is AssemblyScript, built apart). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'assembly') walk(path);
      } else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(path, 'utf8');
        const targets = [...source.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) =>
          relative(repoRoot, resolve(dirname(path), (m[1] as string).replace(/\.js$/, '.ts'))),
        );
        graph.set(relative(repoRoot, path), targets);
      }
    }
  };
  walk(join(repoRoot, 'shared'));
  return graph;
}

describe('shared/', () => {
  it('has no import cycle', () => {
    const graph = importGraph();
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (module: string, path: string[]) => {
      if (state.get(module) === 'done') return;
      if (state.get(module) === 'open') {
        cycles.push([...path.slice(path.indexOf(module)), module].join(' -> '));
        return;
      }
      state.set(module, 'open');
      for (const target of graph.get(module) ?? []) visit(target, [...path, module]);
      state.set(module, 'done');
    };
    for (const module of graph.keys()) visit(module, []);

    expect(cycles).toEqual([]);
  });
});
