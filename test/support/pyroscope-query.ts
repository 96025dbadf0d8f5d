/**
 * Calls Hotspots' Pyroscope query API through test/go/pyroscope-query-client, the official
 * Connect client of github.com/grafana/pyroscope/api built as Grafana's datasource builds it, and
 * checks flame graphs ("flamebearers") for well-formedness.
 */
import { execFile } from 'node:child_process';
import { inject } from 'vitest';
import { buildAgentApp } from './agent-apps.js';

export interface QueryCall {
  method: string;
  request?: Record<string, unknown>;
}

export interface QueryResult<T = Record<string, unknown>> {
  response?: T;
  error?: { code: string; message: string };
}

/** Protobuf JSON of any of the API's messages; tests read the fields they expect. */
// biome-ignore lint/suspicious/noExplicitAny: answers of many message types, checked by the tests' expectations
export type AnyMessage = any;

export type ClientAuth = { bearer: string } | { basicUser: string; basicPassword: string };

/** Runs the calls in one client process; answers in protobuf JSON (int64 as strings). */
export async function callWithGoClient(
  calls: QueryCall[],
  auth: ClientAuth = { bearer: inject('apiKey') },
): Promise<QueryResult<AnyMessage>[]> {
  const bin = await buildAgentApp('pyroscope-query-client');
  const args = ['-url', inject('apiUrl')];
  if ('bearer' in auth) args.push('-bearer', auth.bearer);
  else args.push('-basic', '-basic-user', auth.basicUser, '-basic-password', auth.basicPassword);
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(bin, args, { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, out, err) => {
      if (error) reject(new Error(`pyroscope-query-client failed: ${error.message}\n${err}`));
      else resolve(out);
    });
    child.stdin?.end(JSON.stringify(calls));
  });
  return JSON.parse(stdout) as QueryResult<AnyMessage>[];
}

/** A SelectSeries answer's totals: each series' points summed, by its value of `label` (null = none). */
export function seriesTotalsBy(
  answer: { series?: { labels: { name: string; value: string }[]; points: { value: number }[] }[] } | undefined,
  label: string,
): Map<string | null, bigint> {
  const totals = new Map<string | null, bigint>();
  for (const series of answer?.series ?? []) {
    const value = series.labels.find((l) => l.name === label)?.value ?? null;
    totals.set(
      value,
      series.points.reduce((sum, p) => sum + BigInt(p.value), 0n),
    );
  }
  return totals;
}

export interface FlameGraphMessage {
  names: string[];
  levels: { values: string[] }[];
  total: string;
  maxSelf: string;
}

interface Node {
  name: string;
  start: bigint;
  total: bigint;
  self: bigint;
  children: Node[];
}

/**
 * Decodes a flamebearer as Grafana does (x-deltas relative to the end of the previous node on the
 * level; a node's parent is the node of the level above whose span holds it), checking on the
 * way that it is well formed: names[0] = "total", one root holding the total, every node within
 * its parent, children's totals plus self equal to the node's total, maxSelf the largest self.
 * Returns the self value of every root-to-leaf path (frames joined by ';', root excluded).
 */
export function flameGraphPaths(graph: FlameGraphMessage): Map<string, bigint> {
  if (graph.names[0] !== 'total') throw new Error(`names[0] is ${graph.names[0]}, not "total"`);
  const levels = graph.levels.map((level) => (level.values ?? []).map((v) => BigInt(v)));
  if (levels.length === 0) throw new Error('no levels');
  const levelNodes: Node[][] = [];
  levels.forEach((values, depth) => {
    if (values.length % 4 !== 0) throw new Error(`level ${depth} holds ${values.length} values, not 4-tuples`);
    const nodes: Node[] = [];
    let end = 0n;
    for (let i = 0; i < values.length; i += 4) {
      const [delta, total, self, name] = values.slice(i, i + 4) as [bigint, bigint, bigint, bigint];
      if (delta < 0n || total < 0n || self < 0n || self > total) throw new Error(`bad node at level ${depth}`);
      const nameText = graph.names[Number(name)];
      if (nameText === undefined) throw new Error(`name index ${name} out of range`);
      const node: Node = { name: nameText, start: end + delta, total, self, children: [] };
      end = node.start + total;
      nodes.push(node);
      if (depth > 0) {
        const parent = (levelNodes[depth - 1] as Node[]).find(
          (p) => p.start <= node.start && node.start + node.total <= p.start + p.total,
        );
        if (!parent) throw new Error(`node ${nameText} at level ${depth} lies within no parent`);
        parent.children.push(node);
      }
    }
    levelNodes.push(nodes);
  });
  const roots = levelNodes[0] as Node[];
  if (roots.length !== 1) throw new Error(`level 0 has ${roots.length} nodes`);
  const root = roots[0] as Node;
  if (root.total !== BigInt(graph.total)) throw new Error(`root total ${root.total} != total ${graph.total}`);
  let maxSelf = 0n;
  const paths = new Map<string, bigint>();
  const visit = (node: Node, path: string[]) => {
    const childSum = node.children.reduce((sum, c) => sum + c.total, 0n);
    if (childSum + node.self !== node.total) {
      throw new Error(`node ${path.join(';')}: children ${childSum} + self ${node.self} != total ${node.total}`);
    }
    if (node.self > maxSelf) maxSelf = node.self;
    if (node.self > 0n) {
      const key = path.join(';');
      paths.set(key, (paths.get(key) ?? 0n) + node.self);
    }
    for (const child of node.children) visit(child, [...path, child.name]);
  };
  visit(root, []);
  if (maxSelf !== BigInt(graph.maxSelf ?? '0')) throw new Error(`maxSelf ${graph.maxSelf} != ${maxSelf}`);
  return paths;
}
