/**
 * Test helpers around real Go CPU profiles.
 *
 * - generateLabelledCpuProfile() builds and runs test/go/labelled-cpu, which
 *   burns CPU under dd-trace-go style pprof labels and writes the profile the
 *   Go runtime produces.
 * - pprofRaw()/pprofRawSamples()/pprofTotalsByLabel() and pprofTags()/
 *   pprofTagTotals() read such a file through `go tool pprof` itself, so the
 *   reference numbers tests compare against come from Go's own profile
 *   decoder, not from the decoder under test.
 *
 * Only node: built-ins are used so this works before/without extra deps.
 *
 * Why two pprof outputs for per-sample labels: `-raw` (Profile.String())
 * prints a sample's labels on one line as `key:[v] key:[v]`, joined by
 * spaces. Keys ("span id") and values ("GET /items/[id] v2") may contain
 * spaces and brackets, so that line cannot be split reliably: e.g.
 *   local root span id:[4242] span id:[4242] trace endpoint:[GET /x]
 * is also exactly what a single label `local root span id` with value
 * `4242] span id:[4242] trace endpoint:[GET /x` prints as. `-traces` prints
 * one label per line (`%10s:  %s`), unambiguous for any key without leading
 * spaces or ":  " and any value without a newline, but it scales values and
 * skips samples with an empty stack. So values and stacks are taken from
 * `-raw` (exact integers) and labels from `-traces -addresses` (the same
 * sample order, since both skip aggregation), and each label set is
 * re-serialised the way `-raw` prints it and compared with the `-raw` line,
 * which proves the two outputs were aligned and the labels parsed right.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One label set the labelled-cpu program used (from its JSON stdout line). */
export interface LabelledSpan {
  /** Decimal uint64, kept as a string: several exceed 2^53. */
  span_id: string;
  /** null when the samples carry no `local root span id` label. */
  local_root_span_id: string | null;
  /** null when the samples carry no `trace endpoint` label. */
  endpoint: string | null;
  /** Present on the in-process child span. */
  parent_span_id?: string;
  /** "root" | "child" | "span-only" */
  role: string;
}

export interface LabelledCpuLabels {
  scenario: string;
  duration_ms: number;
  /** True when some CPU was burnt with no labels at all. */
  unlabelled: boolean;
  spans: LabelledSpan[];
  /** Requests served per endpoint (the deploy scenario). */
  endpoint_counts?: Record<string, number>;
}

export interface GenerateOptions {
  /** Total run time of the Go program (default 3000). */
  durationMs?: number;
  /** Workload name (default "mixed"). */
  scenario?: string;
  /** XORed into the low 32 bits of every span id, so runs sharing a database don't collide. */
  idSalt?: number;
  /** Deploy scenario: work units of priceItems (POST /checkout) per request (default 1). */
  slowFactor?: number;
}

export interface SampleType {
  type: string;
  unit: string;
}

export interface RawSample {
  /** One exact integer per sample type, in `sampleTypes` order. */
  values: bigint[];
  /**
   * String labels. runtime/pprof labels are single-valued, and pprof's text
   * outputs join multiple values with spaces (indistinguishable from a value
   * containing spaces), so each array holds exactly one string.
   */
  labels: Record<string, string[]>;
  /** Function names, leaf first; inlined frames expanded (innermost first). */
  stack: string[];
  /** Location ids as printed by -raw, leaf first. */
  locationIds: number[];
  /** The raw `-raw` numeric-label line, if any (Go CPU profiles have none). */
  numLabelsText?: string;
}

export interface RawProfile {
  sampleTypes: SampleType[];
  /** Type name marked [dflt] by -raw, if the profile sets one. */
  defaultSampleType: string | null;
  periodType: SampleType | null;
  period: bigint | null;
  samples: RawSample[];
}

/** `RawSample[]` that also carries the sample type names. */
export type RawSampleList = RawSample[] & { sampleTypes: SampleType[] };

export interface TagKeyTotals {
  /** Sum over samples carrying this key. */
  tagTotal: bigint;
  /** Sum over all samples; null if this pprof version doesn't print it. */
  profileTotal: bigint | null;
  values: Map<string, bigint>;
}

const MODULE_DIR = fileURLToPath(new URL('../go/labelled-cpu/', import.meta.url));
const FALLBACK_GO = '/usr/local/go/bin/go';
// Cold Go caches must compile the runtime (and, for `go tool pprof`, the
// pprof tool itself: Go >= 1.24 no longer ships it prebuilt) on a possibly
// busy 2-core box, hence the generous limits.
const BUILD_TIMEOUT_MS = 300_000;
const PPROF_TIMEOUT_MS = 180_000;
const MAX_BUFFER = 256 * 1024 * 1024;

// ---------------------------------------------------------------------------
// Process plumbing

let goBinary: Promise<string> | undefined;

/** `go` from PATH, else the standard install location. */
export function findGo(): Promise<string> {
  goBinary ??= (async () => {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      if (!dir) continue;
      const candidate = path.join(dir, 'go');
      try {
        await access(candidate, fsConstants.X_OK);
        return candidate;
      } catch {
        // not here; keep looking
      }
    }
    return FALLBACK_GO;
  })();
  return goBinary;
}

function goEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Never try to download another toolchain because of a go directive.
    GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local',
    // The test module must build on its own, whatever go.work is around.
    GOWORK: 'off',
    ...extra,
  };
}

interface RunResult {
  stdout: string;
  stderr: string;
}

function run(
  file: string,
  args: string[],
  opts: { cwd?: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd: opts.cwd,
        env: goEnv(opts.env),
        timeout: opts.timeoutMs,
        maxBuffer: MAX_BUFFER,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (err) {
          // err.message repeats stderr for a non-zero exit; keep it only for
          // spawn failures (ENOENT...) where it is the sole explanation.
          const why = err.killed
            ? `killed after ${opts.timeoutMs} ms`
            : typeof err.code === 'number'
              ? `exit code ${err.code}`
              : err.message;
          reject(new Error(`${file} ${args.join(' ')} failed (${why})\nstderr:\n${stderr}`));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

async function goTool(args: string[]): Promise<string> {
  // cwd outside any module so no go.mod can influence the tool invocation.
  const { stdout } = await run(await findGo(), ['tool', ...args], {
    cwd: tmpdir(),
    timeoutMs: PPROF_TIMEOUT_MS,
  });
  return stdout;
}

// ---------------------------------------------------------------------------
// Profile generation

let builtBinary: Promise<string> | undefined;

/**
 * Key for the built binary: the module's sources plus the Go toolchain used,
 * so an edit to main.go or a Go upgrade gives a fresh build.
 */
async function buildKey(goBin: string): Promise<string> {
  const h = createHash('sha256');
  const goStat = await stat(goBin);
  h.update(`${goBin}\0${goStat.mtimeMs}\0`);
  for (const name of (await readdir(MODULE_DIR)).sort()) {
    if (!/\.(go|mod|sum)$/.test(name)) continue;
    h.update(`${name}\0`);
    h.update(await readFile(path.join(MODULE_DIR, name)));
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * Build test/go/labelled-cpu and return the binary's path. Memoised per
 * process, and the binary lives in a per-source-hash dir under the OS temp
 * dir: test workers are often killed rather than exited, so a per-process
 * temp dir could not be cleaned up reliably, while a content-keyed one is
 * shared and overwritten instead of piling up.
 */
export function buildLabelledCpu(): Promise<string> {
  if (builtBinary) return builtBinary;
  const building = (async () => {
    const goBin = await findGo();
    const dir = path.join(tmpdir(), 'hotspots-labelled-cpu', await buildKey(goBin));
    const bin = path.join(dir, 'labelled-cpu');
    try {
      await access(bin, fsConstants.X_OK);
      return bin;
    } catch {
      // not built yet
    }
    await mkdir(dir, { recursive: true });
    // Build under a private name, then rename (atomic on one file system),
    // so concurrent test processes never run a half-written binary.
    const tmp = `${bin}.${process.pid}.tmp`;
    try {
      await run(goBin, ['build', '-o', tmp, '.'], {
        cwd: MODULE_DIR,
        timeoutMs: BUILD_TIMEOUT_MS,
        // Standard library only, so no C toolchain is needed. Only here: for
        // `go tool pprof` it would change the tool's build config and force a
        // rebuild of it in the cache.
        env: { CGO_ENABLED: '0' },
      });
      await rename(tmp, bin);
    } finally {
      await rm(tmp, { force: true });
    }
    return bin;
  })();
  builtBinary = building;
  // A failed build must not poison later attempts in the same process.
  building.catch(() => {
    if (builtBinary === building) builtBinary = undefined;
  });
  return building;
}

function isStringOrNull(v: unknown): v is string | null {
  return v === null || typeof v === 'string';
}

function parseLabelsLine(stdout: string): LabelledCpuLabels {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .at(-1);
  if (line === undefined) throw new Error('labelled-cpu printed no JSON line');
  const parsed: unknown = JSON.parse(line);
  // Validate the shape so tests fail here, not on a confusing undefined later.
  const o = parsed as Partial<LabelledCpuLabels> | null;
  if (
    o === null ||
    typeof o !== 'object' ||
    typeof o.scenario !== 'string' ||
    typeof o.duration_ms !== 'number' ||
    typeof o.unlabelled !== 'boolean' ||
    !Array.isArray(o.spans) ||
    !o.spans.every(
      (s: Partial<LabelledSpan>) =>
        typeof s.span_id === 'string' &&
        isStringOrNull(s.local_root_span_id) &&
        isStringOrNull(s.endpoint) &&
        typeof s.role === 'string',
    )
  ) {
    throw new Error(`unexpected labelled-cpu output: ${line}`);
  }
  return o as LabelledCpuLabels;
}

/**
 * Write a real Go CPU profile (gzipped protobuf, as runtime/pprof writes it)
 * to outPath and return the label sets the program used.
 */
export async function generateLabelledCpuProfile(
  outPath: string,
  opts: GenerateOptions = {},
): Promise<{ labels: LabelledCpuLabels; elapsedMs: number }> {
  const durationMs = opts.durationMs ?? 3000;
  const scenario = opts.scenario ?? 'mixed';
  const bin = await buildLabelledCpu();
  const started = performance.now();
  const { stdout } = await run(
    bin,
    [
      '-out',
      path.resolve(outPath),
      '-duration',
      `${durationMs}ms`,
      '-scenario',
      scenario,
      '-id-salt',
      String(opts.idSalt ?? 0),
      '-slow-factor',
      String(opts.slowFactor ?? 1),
    ],
    { timeoutMs: durationMs + 60_000 },
  );
  return { labels: parseLabelsLine(stdout), elapsedMs: performance.now() - started };
}

// ---------------------------------------------------------------------------
// Parsing `go tool pprof` text outputs

// Go's sort.Strings orders by bytes; JS `<` orders by UTF-16 code units,
// which differs for astral characters, so compare UTF-8 bytes.
function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Serialise labels the way -raw's labelsToString does. */
function rawLabelText(entries: Array<[string, string]>): string {
  return entries
    .map(([k, v]) => `${k}:[${v}]`)
    .sort(byteCompare)
    .join(' ');
}

/**
 * Parse a value pprof printed via measurement.ScaledLabel ("%.2f" with ".00"
 * trimmed, then the unit). Exact only when no fraction is left and the
 * magnitude fits a float64 integer (< 2^53): otherwise throw rather than
 * return a rounded number.
 */
export function parseExactScaled(token: string): bigint {
  const m = /^(-?\d+)(?:\.(\d+))?(\D.*)?$/.exec(token);
  if (!m?.[1]) throw new Error(`not a pprof value: ${JSON.stringify(token)}`);
  if (m[2] !== undefined && /[1-9]/.test(m[2])) {
    throw new Error(`pprof printed a rounded value ${token}; pass -unit=<sample unit>`);
  }
  const n = BigInt(m[1]);
  const limit = 2n ** 53n;
  if (n >= limit || n <= -limit) {
    throw new Error(`pprof value ${token} went through float64 and may be inexact`);
  }
  return n;
}

interface ParsedLocation {
  address: bigint;
  /** Function names of the location's lines, innermost first; null = "??". */
  names: Array<string | null>;
}

interface RawFrame {
  name: string;
  address: bigint;
}

interface ParsedRawSample {
  values: bigint[];
  locationIds: number[];
  labelsText?: string;
  numLabelsText?: string;
}

export interface ParsedRawOutput {
  sampleTypes: SampleType[];
  defaultSampleType: string | null;
  periodType: SampleType | null;
  period: bigint | null;
  samples: Array<ParsedRawSample & { frames: RawFrame[] }>;
}

const RAW_LABEL_INDENT = ' '.repeat(16);

/** Parse `go tool pprof -raw` (github.com/google/pprof Profile.String()). */
export function parseRawOutput(text: string): ParsedRawOutput {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let i = 0;
  let periodType: SampleType | null = null;
  let period: bigint | null = null;

  // Header: Comment:/Doc:/PeriodType:/Period:/Time:/Duration:
  for (; i < lines.length && lines[i] !== 'Samples:'; i++) {
    const line = lines[i] ?? '';
    const pt = /^PeriodType: (\S+) (\S+)$/.exec(line);
    if (pt?.[1] && pt[2]) periodType = { type: pt[1], unit: pt[2] };
    const p = /^Period: (-?\d+)$/.exec(line);
    if (p?.[1]) period = BigInt(p[1]);
  }
  if (i >= lines.length) throw new Error('pprof -raw output has no "Samples:" section');
  i++;

  // "samples/count cpu/nanoseconds[dflt]"
  const sampleTypes: SampleType[] = [];
  let defaultSampleType: string | null = null;
  for (let tok of (lines[i++] ?? '').split(' ').filter((t) => t.length > 0)) {
    if (tok.endsWith('[dflt]')) {
      tok = tok.slice(0, -'[dflt]'.length);
      defaultSampleType = tok.slice(0, tok.lastIndexOf('/'));
    }
    const slash = tok.lastIndexOf('/');
    if (slash < 0) throw new Error(`bad sample type ${JSON.stringify(tok)} in pprof -raw output`);
    sampleTypes.push({ type: tok.slice(0, slash), unit: tok.slice(slash + 1) });
  }

  // Samples: " %10d" per value, ": ", "<locID> " per location; then up to
  // two 16-space-indented lines (string labels, numeric labels). Sample
  // lines have at most 10 leading spaces, so the indent is unambiguous.
  const samples: ParsedRawSample[] = [];
  for (; i < lines.length && lines[i] !== 'Locations'; i++) {
    const line = lines[i] ?? '';
    const current = samples.at(-1);
    if (line.startsWith(RAW_LABEL_INDENT)) {
      const body = line.slice(RAW_LABEL_INDENT.length);
      if (current === undefined) throw new Error(`label line before any sample: ${line}`);
      if (current.labelsText === undefined) current.labelsText = body;
      else if (current.numLabelsText === undefined) current.numLabelsText = body;
      else throw new Error(`unexpected third label line (newline in a label value?): ${line}`);
      continue;
    }
    const m = /^((?: +-?\d+)+): ((?:\d+ )*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) {
      throw new Error(`unparsable pprof -raw sample line: ${JSON.stringify(line)}`);
    }
    const values = m[1]
      .trim()
      .split(/ +/)
      .map((v) => BigInt(v));
    if (values.length !== sampleTypes.length) {
      throw new Error(`sample has ${values.length} values for ${sampleTypes.length} types: ${line}`);
    }
    const locationIds = m[2]
      .trim()
      .split(' ')
      .filter((t) => t.length > 0)
      .map(Number);
    samples.push({ values, locationIds });
  }
  if (i >= lines.length) throw new Error('pprof -raw output has no "Locations" section');
  i++;

  // Locations: "%6d: %#x [M=%d ][[F] ]<line>" then 13-space continuation
  // lines for inlined callers. <line> is "??" or
  // "<func> <file>:<line>:<col> s=<startLine>[(<systemName>)]".
  const locations = new Map<number, ParsedLocation>();
  let lastLoc: ParsedLocation | undefined;
  const lineName = (s: string): string | null => {
    if (s === '??') return null;
    // Greedy name: function names may contain spaces (C++), file names
    // rarely do; Go names contain neither.
    const m = /^(.*) (\S*):(-?\d+):(-?\d+) s=(-?\d+)(?:\(.*\))?$/s.exec(s);
    if (m?.[1] === undefined) throw new Error(`unparsable pprof -raw location line: ${s}`);
    return m[1];
  };
  for (; i < lines.length && lines[i] !== 'Mappings'; i++) {
    const line = lines[i] ?? '';
    const head = /^ *(\d+): 0x([0-9a-f]+) (?:M=\d+ )?(?:\[F\] )?(.*)$/.exec(line);
    if (head?.[1] && head[2] && head[3] !== undefined) {
      lastLoc = { address: BigInt(`0x${head[2]}`), names: [] };
      if (head[3] !== '') lastLoc.names.push(lineName(head[3]));
      locations.set(Number(head[1]), lastLoc);
      continue;
    }
    const cont = /^ {13}(\S.*)$/.exec(line);
    if (cont?.[1] && lastLoc) {
      lastLoc.names.push(lineName(cont[1]));
      continue;
    }
    throw new Error(`unparsable pprof -raw location line: ${JSON.stringify(line)}`);
  }

  return {
    sampleTypes,
    defaultSampleType,
    periodType,
    period,
    samples: samples.map((s) => {
      const frames: RawFrame[] = [];
      for (const id of s.locationIds) {
        const loc = locations.get(id);
        if (!loc) throw new Error(`sample refers to unknown location ${id}`);
        const hex = `0x${loc.address.toString(16)}`;
        // A location without line info still is one frame (pprof does the same).
        if (loc.names.length === 0) frames.push({ name: hex, address: loc.address });
        for (const n of loc.names) frames.push({ name: n ?? hex, address: loc.address });
      }
      return { ...s, frames };
    }),
  };
}

const TRACES_SEPARATOR = '-----------+-------------------------------------------------------';

/** Split `go tool pprof -traces` output into per-sample blocks of lines. */
export function parseTracesBlocks(text: string): string[][] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const blocks: string[][] = [];
  let current: string[] | undefined; // undefined while in the header
  for (const line of lines) {
    if (line === TRACES_SEPARATOR) {
      if (current) blocks.push(current);
      current = [];
    } else if (current) {
      current.push(line);
    }
  }
  // The output ends with a separator, so a trailing non-empty block means
  // truncated or unexpected output.
  if (current === undefined || current.length > 0) {
    throw new Error('pprof -traces output does not end with a separator line');
  }
  return blocks;
}

/**
 * Merge -raw (values, stacks) with -traces (labels). `tracesIndex` is the
 * sample value index -traces printed (via -sample_index), used to check the
 * two outputs describe the same samples in the same order.
 */
export function combineRawAndTraces(raw: ParsedRawOutput, blocks: string[][], tracesIndex: number): RawProfile {
  let b = 0;
  const samples = raw.samples.map((s, n): RawSample => {
    const labels: Record<string, string[]> = Object.create(null);
    const out: RawSample = {
      values: s.values,
      labels,
      stack: s.frames.map((f) => f.name),
      locationIds: s.locationIds,
    };
    if (s.numLabelsText !== undefined) out.numLabelsText = s.numLabelsText;
    if (s.frames.length === 0) {
      // -traces skips stackless samples, so only the ambiguous -raw line
      // would be left. Go's CPU profiler never emits them.
      if (s.labelsText !== undefined) {
        throw new Error(`sample ${n} has labels but no stack; its labels can't be read unambiguously`);
      }
      return out;
    }

    const block = blocks[b++];
    if (!block) throw new Error(`pprof -traces has fewer samples than -raw (at ${n})`);
    const k = s.frames.length;
    if (block.length < k) throw new Error(`pprof -traces sample ${n} has fewer frames than -raw`);
    const labelLines = block.slice(0, block.length - k);
    const frameLines = block.slice(block.length - k);

    // Frames: "%10s   %016x <name> <file>:<line>[ (inline)]"; the value only
    // on the first one.
    frameLines.forEach((line, f) => {
      const m = /^ *(\S*) {3}([0-9a-f]{16} )?/.exec(line);
      const frame = s.frames[f];
      if (!m || !frame) throw new Error(`unparsable pprof -traces frame: ${line}`);
      if (f === 0) {
        const expected = s.values[tracesIndex];
        if (!m[1] || parseExactScaled(m[1]) !== expected) {
          throw new Error(`-raw/-traces mismatch at sample ${n}: value ${m[1]} vs ${expected}`);
        }
      }
      if (m[2] !== undefined && BigInt(`0x${m[2].trim()}`) !== frame.address) {
        throw new Error(`-raw/-traces mismatch at sample ${n} frame ${f}: ${line}`);
      }
    });

    // Labels: "%10s:  %s" per key, string labels sorted, then numeric ones.
    const entries = labelLines.map((line): [string, string] => {
      const m = /^ *(.*?): {2}(.*)$/s.exec(line);
      if (!m || m[1] === undefined || m[2] === undefined) {
        throw new Error(`unparsable pprof -traces label line: ${JSON.stringify(line)}`);
      }
      return [m[1], m[2]];
    });
    // Take the prefix that re-serialises to exactly the -raw label line;
    // anything after it is numeric labels.
    const want = s.labelsText ?? '';
    let used = -1;
    for (let p = 0; p <= entries.length; p++) {
      if (rawLabelText(entries.slice(0, p)) === want) {
        used = p;
        break;
      }
    }
    if (used < 0) {
      throw new Error(
        `-raw/-traces label mismatch at sample ${n}:\n  raw:    ${want}\n  traces: ${rawLabelText(entries)}`,
      );
    }
    for (const [key, value] of entries.slice(0, used)) labels[key] = [value];
    return out;
  });
  if (b !== blocks.length) throw new Error(`pprof -traces has ${blocks.length} samples, -raw ${b}`);
  return {
    sampleTypes: raw.sampleTypes,
    defaultSampleType: raw.defaultSampleType,
    periodType: raw.periodType,
    period: raw.period,
    samples,
  };
}

/** Parse `go tool pprof -tags` output into totals per label key. */
export function parseTagsOutput(text: string): Map<string, TagKeyTotals> {
  const result = new Map<string, TagKeyTotals>();
  let current: TagKeyTotals | undefined;
  for (const line of text.split('\n')) {
    // Blocks (one per key) are separated by blank lines; every value line
    // carries a number, so a blank line can't be a value line.
    if (line === '') {
      current = undefined;
      continue;
    }
    if (current === undefined) {
      // tabwriter right-aligns "key:", hence the leading spaces. Older pprof
      // prints no " of <profile total> (pct)".
      const m = /^ *(.*): Total (\S+)(?: of (\S+))?(?: \([^()]*\))?$/s.exec(line);
      if (!m || m[1] === undefined || !m[2]) throw new Error(`unparsable pprof -tags header: ${line}`);
      current = {
        tagTotal: parseExactScaled(m[2]),
        profileTotal: m[3] ? parseExactScaled(m[3]) : null,
        values: new Map(),
      };
      result.set(m[1], current);
      continue;
    }
    // "<value> (<pct>): <label value>" or, for an all-zero profile,
    // "<value>: <label value>". Everything after the first "): " / ": " is
    // the label value verbatim.
    const m = /^ *(\S+)(?: \([^()]*\))?: (.*)$/s.exec(line);
    if (!m?.[1] || m[2] === undefined) throw new Error(`unparsable pprof -tags line: ${line}`);
    current.values.set(m[2], (current.values.get(m[2]) ?? 0n) + parseExactScaled(m[1]));
  }
  return result;
}

// ---------------------------------------------------------------------------
// Public readers

function sampleTypeIndex(types: SampleType[], sampleType: string): number {
  const idx = types.findIndex((t) => t.type === sampleType);
  if (idx < 0) {
    throw new Error(`no sample type ${sampleType}; have ${types.map((t) => t.type).join(', ')}`);
  }
  return idx;
}

/** Every sample with exact values, labels and stack, via go tool pprof. */
export async function pprofRaw(file: string): Promise<RawProfile> {
  const abs = path.resolve(file);
  // -symbolize=none: the profile is already symbolised; don't go looking
  // for the (long gone) binary the mapping names.
  const raw = parseRawOutput(await goTool(['pprof', '-raw', '-symbolize=none', abs]));
  if (raw.samples.length === 0) return combineRawAndTraces(raw, [], 0);
  // Pick the last type, print it in its own unit (exact integers), and keep
  // address granularity so -traces aggregates nothing, like -raw.
  const idx = raw.sampleTypes.length - 1;
  const type = raw.sampleTypes[idx];
  if (!type) throw new Error('profile has samples but no sample types');
  const traces = await goTool([
    'pprof',
    '-traces',
    '-addresses',
    `-sample_index=${idx}`,
    `-unit=${type.unit}`,
    '-symbolize=none',
    abs,
  ]);
  return combineRawAndTraces(raw, parseTracesBlocks(traces), idx);
}

/** pprofRaw(file).samples, with the sample types attached. */
export async function pprofRawSamples(file: string): Promise<RawSampleList> {
  const p = await pprofRaw(file);
  return Object.assign(p.samples, { sampleTypes: p.sampleTypes });
}

/**
 * Exact sum of `sampleType` values grouped by the value of `labelKey`;
 * the `null` key collects samples without that label (absent if none).
 */
export async function pprofTotalsByLabel(
  file: string,
  labelKey: string,
  sampleType = 'cpu',
): Promise<Map<string | null, bigint>> {
  const p = await pprofRaw(file);
  const idx = sampleTypeIndex(p.sampleTypes, sampleType);
  const totals = new Map<string | null, bigint>();
  for (const s of p.samples) {
    const key = s.labels[labelKey]?.join(' ') ?? null;
    totals.set(key, (totals.get(key) ?? 0n) + (s.values[idx] ?? 0n));
  }
  // Same convention as pprofTagTotals, which cannot see an all-zero
  // unlabelled group.
  if (totals.get(null) === 0n) totals.delete(null);
  return totals;
}

/**
 * `go tool pprof -tags` for one sample type, printed in that type's own unit
 * (`-unit=nanoseconds` for cpu): pprof then scales by 1 and prints
 * "%.2f" with ".00" trimmed, i.e. the exact integer for any total below
 * 2^53 (about 104 days of CPU in ns). parseExactScaled throws otherwise.
 */
export async function pprofTags(file: string, sampleType = 'cpu'): Promise<Map<string, TagKeyTotals>> {
  const abs = path.resolve(file);
  const types = parseRawOutput(await goTool(['pprof', '-raw', '-symbolize=none', abs])).sampleTypes;
  const type = types[sampleTypeIndex(types, sampleType)];
  const out = await goTool([
    'pprof',
    '-tags',
    `-sample_index=${sampleType}`,
    `-unit=${type?.unit ?? 'minimum'}`,
    '-symbolize=none',
    abs,
  ]);
  return parseTagsOutput(out);
}

/**
 * Totals by `labelKey` as computed by `go tool pprof -tags`, shaped like
 * pprofTotalsByLabel so the two can be compared directly. -tags has no
 * "unlabelled" row: the null group is derived as profile total minus the
 * key's total (omitted when zero). When the key occurs in no sample the
 * profile total is taken from another key's header; a profile with no
 * labels at all gives -tags nothing to print, and that is reported as an
 * error rather than guessed.
 */
export async function pprofTagTotals(
  file: string,
  labelKey: string,
  sampleType = 'cpu',
): Promise<Map<string | null, bigint>> {
  const tags = await pprofTags(file, sampleType);
  const entry = tags.get(labelKey);
  const profileTotal = entry?.profileTotal ?? [...tags.values()].find((t) => t.profileTotal !== null)?.profileTotal;
  if (profileTotal === undefined || profileTotal === null) {
    throw new Error(`pprof -tags printed no profile total for ${file}; cannot derive the unlabelled group`);
  }
  const totals = new Map<string | null, bigint>(entry?.values ?? []);
  const unlabelled = profileTotal - (entry?.tagTotal ?? 0n);
  if (unlabelled !== 0n) totals.set(null, unlabelled);
  return totals;
}
