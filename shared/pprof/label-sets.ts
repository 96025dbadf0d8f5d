import { unprocessable } from '../errors.js';
import { parseDecimalUint64, parseFixedWidthSpanId } from '../ids.js';
import type { IdFormat, LabelKeyRule, LabelMapping } from '../labels.js';
import { firstPiece, type Pieces, pieceEnd, pieceStart } from './pieces.js';
import type { ProfileStrings } from './profile-strings.js';
import type { ExplodeLimits } from './rows.js';
import { int64BigInt, WIRE_VARINT, type WireReader } from './wire.js';

export interface LabelSet {
  /** Decimal uint64, as normaliseLabels returns it; '0' when absent. */
  spanId: string;
  localRootSpanId: string;
  endpoint: string | null;
  traceId: string;
  /** Every label with a value, in the sample's order (a repeated key appears each time). */
  keys: string[];
  values: string[];
}

interface Rule {
  meaning: number;
  key: string;
  format: IdFormat | undefined;
}

const SPAN_ID = 0;
const LOCAL_ROOT_SPAN_ID = 1;
const ENDPOINT = 2;
const TRACE_ID = 3;
const tracePattern = /^[0-9a-fA-F]{1,32}$/;

/**
 * Builds the label sets of one profile from their Label records (Sample field 3), with the
 * normalised columns of labels.ts's `normaliseLabels`, value for value: the explode differential test
 * (its reference calls normaliseLabels) holds them together. It is that function turned inside out for
 * speed: which mapping rules a key meets is found once per key string, not once per label set,
 * and no Map is built per set.
 */
export class LabelSetBuilder {
  readonly labelSets: LabelSet[] = [];
  private readonly rules: Rule[] = [];
  /** [from, to) of each meaning's rules in `rules`, in mapping order. */
  private readonly meaningFrom: number[] = [];
  private readonly meaningTo: number[] = [];
  private readonly rulesByKey = new Map<string, number[]>();
  /** Rules a key string index meets; null for none, undefined until looked up. */
  private readonly rulesOfKeyIndex: (number[] | null | undefined)[] = [];
  /** The first value of each rule's key in the set being built. */
  private readonly firstValues: (string | undefined)[];

  constructor(
    private readonly reader: WireReader,
    private readonly strings: ProfileStrings,
    mapping: LabelMapping,
    private readonly limits: ExplodeLimits,
  ) {
    const meanings: LabelKeyRule[][] = [mapping.spanId, mapping.localRootSpanId, mapping.endpoint, mapping.traceId];
    meanings.forEach((rules, meaning) => {
      this.meaningFrom.push(this.rules.length);
      for (const rule of rules) {
        const index = this.rules.length;
        this.rules.push({ meaning, key: rule.key, format: rule.format });
        const known = this.rulesByKey.get(rule.key);
        if (known) known.push(index);
        else this.rulesByKey.set(rule.key, [index]);
      }
      this.meaningTo.push(this.rules.length);
    });
    this.firstValues = new Array(this.rules.length);
  }

  private rulesOfKey(keyIndex: number, key: string): number[] | null {
    let rules = this.rulesOfKeyIndex[keyIndex];
    if (rules === undefined) {
      rules = this.rulesByKey.get(key) ?? null;
      this.rulesOfKeyIndex[keyIndex] = rules;
    }
    return rules;
  }

  private wrongType(field: number, wireType: number) {
    return this.reader.fail(`Label field ${field} has wire type ${wireType}`);
  }

  /** The label set of the `count` Label records in `pieces` (whole records, tags included). */
  build(pieces: Pieces, count: number): number {
    const { limits, strings, reader, firstValues } = this;
    if (count > limits.maxLabelsPerSample) {
      throw unprocessable(`a sample has ${count} labels, above the limit of ${limits.maxLabelsPerSample}`);
    }
    firstValues.fill(undefined);
    const keys: string[] = [];
    const values: string[] = [];
    for (let piece = firstPiece(pieces); piece < pieces.more.length; piece += 2) {
      const to = pieceEnd(pieces, piece);
      reader.pos = pieceStart(pieces, piece);
      reader.end = to;
      while (reader.pos < to) {
        reader.varint(); // the tag of Sample field 3, checked when the sample was read
        const length = reader.length();
        const outer = reader.end;
        reader.end = reader.pos + length;
        // Label: int64 key = 1, str = 2, num = 3, num_unit = 4 (key, str, num_unit: string indices)
        let keyIndex = 0;
        let strIndex = 0;
        let numHi = 0;
        let numLo = 0;
        while (reader.pos < reader.end) {
          const tag = reader.varint();
          const wireType = reader.lo & 7;
          const field = Math.floor(tag / 8);
          if (field >= 1 && field <= 4) {
            if (wireType !== WIRE_VARINT) throw this.wrongType(field, wireType);
            const value = reader.varint();
            if (field === 1) keyIndex = value;
            else if (field === 2) strIndex = value;
            else if (field === 3) {
              numHi = reader.hi;
              numLo = reader.lo;
            }
          } else {
            reader.skip(wireType);
          }
        }
        reader.end = outer;
        // As Go's profile reader does: a label with neither a string nor a number carries no value.
        if (strIndex === 0 && numHi === 0 && numLo === 0) continue;
        const key = strings.get(keyIndex, 'label key');
        const value = strIndex !== 0 ? strings.get(strIndex, 'label value') : int64BigInt(numHi, numLo).toString();
        const valueBytes = strIndex !== 0 ? strings.byteLength(strIndex, 'label value') : value.length;
        if (
          strings.byteLength(keyIndex, 'label key') > limits.maxLabelValueBytes ||
          valueBytes > limits.maxLabelValueBytes
        ) {
          throw unprocessable(
            `label ${JSON.stringify(key.slice(0, 64))} is longer than ${limits.maxLabelValueBytes} bytes`,
          );
        }
        const rules = this.rulesOfKey(keyIndex, key);
        if (rules !== null) {
          for (let i = 0; i < rules.length; i++) {
            const rule = rules[i] as number;
            if (firstValues[rule] === undefined) firstValues[rule] = value;
          }
        }
        keys.push(key);
        values.push(value);
      }
    }
    const traceId = this.firstText(TRACE_ID);
    this.labelSets.push({
      spanId: this.firstId(SPAN_ID),
      localRootSpanId: this.firstId(LOCAL_ROOT_SPAN_ID),
      endpoint: this.firstText(ENDPOINT) ?? null,
      traceId: traceId !== undefined && tracePattern.test(traceId) ? traceId.toLowerCase() : '',
      keys,
      values,
    });
    return this.labelSets.length - 1;
  }

  private firstId(meaning: number): string {
    for (let rule = this.meaningFrom[meaning] as number; rule < (this.meaningTo[meaning] as number); rule++) {
      const value = this.firstValues[rule];
      if (value === undefined) continue;
      const text = value.trim();
      const id =
        (this.rules[rule] as Rule).format === 'hex16-or-decimal'
          ? parseFixedWidthSpanId(text)
          : parseDecimalUint64(text);
      if (id !== undefined) return id;
    }
    return '0';
  }

  private firstText(meaning: number): string | undefined {
    for (let rule = this.meaningFrom[meaning] as number; rule < (this.meaningTo[meaning] as number); rule++) {
      const value = this.firstValues[rule];
      if (value !== undefined) return value;
    }
    return undefined;
  }
}
