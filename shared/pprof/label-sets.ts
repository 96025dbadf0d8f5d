import { unprocessable } from '../platform/errors.js';
import { parseDecimalUint64, parseFixedWidthSpanId } from '../platform/ids.js';
import type { IdFormat, LabelKeyRule, LabelMapping } from '../platform/labels.js';
import { firstPiece, type Pieces, pieceEnd, pieceStart } from './pieces.js';
import type { ProfileStrings } from './profile-strings.js';
import { growInt32, growUint32 } from './typed-arrays.js';
import { type ExplodeLimits, type LabelSet, type LabelSets, NO_TEXT } from './types.js';
import { HI, int64BigInt, LO, uint64Decimal, WIRE_VARINT, type WireReader } from './wire.js';

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
const TWO_32 = 4294967296;
const KEY_UNSEEN = -2;
const NO_RULES = -1;
const KEY_CACHE_SIZE = 64;

const hexDigit = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;

/**
 * Label sets in columns over a profile's string table: what LabelSetBuilder builds, and what the
 * WebAssembly decoder's sets are copied into (wasm-decoder.ts).
 */
export class LabelSetColumns implements LabelSets {
  count = 0;
  spanIdWords = new Uint32Array(512);
  localRootSpanIdWords = new Uint32Array(512);
  endpoints = new Int32Array(256);
  traceIds = new Int32Array(256);
  labelsFrom = new Int32Array(257);
  labelKeys = new Int32Array(1024);
  labelValues = new Int32Array(1024);
  /** Texts made while building (number labels' decimals, lowercased trace ids), ref -2 - i. */
  readonly madeTexts: string[] = [];

  constructor(protected readonly strings: ProfileStrings) {}

  text(ref: number): string {
    if (ref === NO_TEXT) return '';
    return ref >= 0 ? this.strings.get(ref, 'label') : (this.madeTexts[-2 - ref] as string);
  }

  utf8Length(ref: number): number {
    if (ref === NO_TEXT) return 0;
    return ref >= 0 ? this.strings.byteLength(ref, 'label') : Buffer.byteLength(this.madeTexts[-2 - ref] as string);
  }

  copyUtf8(ref: number, target: DataView, at: number): number {
    if (ref === NO_TEXT) return at;
    if (ref >= 0) return this.strings.copyUtf8(ref, 'label', target, at);
    const text = this.madeTexts[-2 - ref] as string;
    // Made texts are ASCII (decimal digits, hex).
    for (let i = 0; i < text.length; i++) target.setUint8(at + i, text.charCodeAt(i));
    return at + text.length;
  }

  labelSet(index: number): LabelSet {
    const keys: string[] = [];
    const values: string[] = [];
    for (let label = this.labelsFrom[index] as number; label < (this.labelsFrom[index + 1] as number); label++) {
      keys.push(this.text(this.labelKeys[label] as number));
      values.push(this.text(this.labelValues[label] as number));
    }
    const endpoint = this.endpoints[index] as number;
    return {
      spanId: uint64Decimal(this.spanIdWords[2 * index + HI] as number, this.spanIdWords[2 * index + LO] as number),
      localRootSpanId: uint64Decimal(
        this.localRootSpanIdWords[2 * index + HI] as number,
        this.localRootSpanIdWords[2 * index + LO] as number,
      ),
      endpoint: endpoint === NO_TEXT ? null : this.text(endpoint),
      traceId: this.text(this.traceIds[index] as number),
      keys,
      values,
    };
  }
}

/**
 * Builds the label sets of one profile from their Label records (Sample field 3), with the
 * normalised columns of labels.ts's `normaliseLabels`, value for value: the explode differential test
 * (its reference calls normaliseLabels) holds them together. It is that function turned inside out for
 * speed: which mapping rules a key meets is found once per key string, not once per label set,
 * no Map is built per set, and values stay bytes of the profile. The usual ids — canonical
 * decimal, or 16 hex digits where the rule reads them — are parsed from those bytes; anything
 * else (spaces to trim, other characters) goes through ids.ts on the decoded text.
 */
export class LabelSetBuilder extends LabelSetColumns {
  private labelCount = 0;

  private readonly rules: Rule[] = [];
  /** [from, to) of each meaning's rules in `rules`, in mapping order. */
  private readonly meaningFrom: number[] = [];
  private readonly meaningTo: number[] = [];
  private readonly rulesByKey = new Map<string, number[]>();
  /**
   * The rules of recently met key strings, direct-mapped by string index (a profile has a few
   * label keys; a table per string would cost memory per string): the key cached in each slot
   * (KEY_UNSEEN: none), and its index into `ruleLists` or NO_RULES.
   */
  private readonly cachedKeys = new Int32Array(KEY_CACHE_SIZE).fill(KEY_UNSEEN);
  private readonly cachedRuleLists = new Int32Array(KEY_CACHE_SIZE);
  private readonly ruleLists: number[][] = [];
  /** The first value (a ref) of each rule's key in the set being built. */
  private readonly firstValues: Int32Array;
  /** The id `parseId` found. */
  private idHi = 0;
  private idLo = 0;

  constructor(
    private readonly reader: WireReader,
    strings: ProfileStrings,
    mapping: LabelMapping,
    private readonly limits: ExplodeLimits,
  ) {
    super(strings);
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
    this.firstValues = new Int32Array(this.rules.length);
  }

  private made(text: string): number {
    this.madeTexts.push(text);
    return -1 - this.madeTexts.length;
  }

  /** The rules key string `keyIndex` (checked to exist) meets, or null. */
  private rulesOfKey(keyIndex: number): number[] | null {
    const slot = keyIndex & (KEY_CACHE_SIZE - 1);
    let list: number;
    if (this.cachedKeys[slot] === keyIndex) list = this.cachedRuleLists[slot] as number;
    else {
      const rules = this.rulesByKey.get(this.strings.get(keyIndex, 'label key'));
      list = NO_RULES;
      if (rules !== undefined) {
        list = this.ruleLists.indexOf(rules);
        if (list < 0) list = this.ruleLists.push(rules) - 1;
      }
      this.cachedKeys[slot] = keyIndex;
      this.cachedRuleLists[slot] = list;
    }
    return list === NO_RULES ? null : (this.ruleLists[list] as number[]);
  }

  private wrongType(field: number, wireType: number) {
    return this.reader.fail(`Label field ${field} has wire type ${wireType}`);
  }

  private addLabel(key: number, value: number): void {
    const at = this.labelCount++;
    if (at === this.labelKeys.length) {
      this.labelKeys = growInt32(this.labelKeys, 2 * at);
      this.labelValues = growInt32(this.labelValues, 2 * at);
    }
    this.labelKeys[at] = key;
    this.labelValues[at] = value;
  }

  /** The label set of the `count` Label records in `pieces` (whole records, tags included). */
  build(pieces: Pieces, count: number): number {
    const { limits, strings, reader, firstValues } = this;
    if (count > limits.maxLabelsPerSample) {
      throw unprocessable(`a sample has ${count} labels, above the limit of ${limits.maxLabelsPerSample}`);
    }
    const set = this.count;
    if (set + 2 > this.labelsFrom.length) this.grow();
    this.labelsFrom[set] = this.labelCount;
    firstValues.fill(NO_TEXT);
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
        strings.check(keyIndex, 'label key');
        let value: number;
        let valueBytes: number;
        // What the meanings (span id, …) read: the value, but for a negative number its uint64.
        let meaningValue: number;
        if (strIndex !== 0) {
          value = strIndex;
          meaningValue = value;
          valueBytes = strings.byteLength(strIndex, 'label value');
        } else {
          const number = int64BigInt(numHi, numLo);
          const text = number.toString();
          value = this.made(text);
          valueBytes = text.length;
          // Label.num is int64: tracers put uint64 span ids there as their two's complement
          // (ddtrace's ids of 2^63 and above arrive negative). The label keeps the number as sent.
          meaningValue = number < 0n ? this.made(BigInt.asUintN(64, number).toString()) : value;
        }
        if (
          strings.byteLength(keyIndex, 'label key') > limits.maxLabelValueBytes ||
          valueBytes > limits.maxLabelValueBytes
        ) {
          const key = strings.get(keyIndex, 'label key');
          throw unprocessable(
            `label ${JSON.stringify(key.slice(0, 64))} is longer than ${limits.maxLabelValueBytes} bytes`,
          );
        }
        const rules = this.rulesOfKey(keyIndex);
        if (rules !== null) {
          for (let i = 0; i < rules.length; i++) {
            const rule = rules[i] as number;
            if (firstValues[rule] === NO_TEXT) firstValues[rule] = meaningValue;
          }
        }
        this.addLabel(keyIndex, value);
      }
    }
    this.labelsFrom[set + 1] = this.labelCount;
    this.firstId(SPAN_ID);
    this.spanIdWords[2 * set + LO] = this.idLo;
    this.spanIdWords[2 * set + HI] = this.idHi;
    this.firstId(LOCAL_ROOT_SPAN_ID);
    this.localRootSpanIdWords[2 * set + LO] = this.idLo;
    this.localRootSpanIdWords[2 * set + HI] = this.idHi;
    this.endpoints[set] = this.firstText(ENDPOINT);
    this.traceIds[set] = this.traceId(this.firstText(TRACE_ID));
    this.count = set + 1;
    return set;
  }

  private grow(): void {
    const size = 2 * this.endpoints.length;
    this.spanIdWords = growUint32(this.spanIdWords, 2 * size);
    this.localRootSpanIdWords = growUint32(this.localRootSpanIdWords, 2 * size);
    this.endpoints = growInt32(this.endpoints, size);
    this.traceIds = growInt32(this.traceIds, size);
    this.labelsFrom = growInt32(this.labelsFrom, size + 1);
  }

  /** The first parseable id among the meaning's rules into idHi/idLo, else 0. */
  private firstId(meaning: number): void {
    for (let rule = this.meaningFrom[meaning] as number; rule < (this.meaningTo[meaning] as number); rule++) {
      const value = this.firstValues[rule] as number;
      if (value === NO_TEXT) continue;
      if (this.parseId(value, (this.rules[rule] as Rule).format === 'hex16-or-decimal')) return;
    }
    this.idHi = 0;
    this.idLo = 0;
  }

  /** Parses text `ref` as labels.ts's parseId would, into idHi/idLo; false when it is no id. */
  private parseId(ref: number, hex16: boolean): boolean {
    if (ref >= 0 && this.strings.isAscii(ref, 'label value') && this.parseIdBytes(ref, hex16)) return true;
    // The rest, and every text that is not the plain form: as ids.ts reads it.
    const text = this.text(ref).trim();
    const id = hex16 ? parseFixedWidthSpanId(text) : parseDecimalUint64(text);
    if (id === undefined) return false;
    const value = BigInt(id);
    this.idHi = Number(value >> 32n);
    this.idLo = Number(value & 0xffffffffn);
    return true;
  }

  /**
   * The plain forms, from the string's bytes: exactly 16 hex digits where the rule reads them as
   * hex, else 1–19 decimal digits without a leading zero (below 2^64, so canonical as it stands).
   * False means "not the plain form", not "no id": the caller then parses the text.
   */
  private parseIdBytes(ref: number, hex16: boolean): boolean {
    const { bytes } = this.strings;
    const from = this.strings.startOf(ref);
    const to = this.strings.endOf(ref);
    const length = to - from;
    if (hex16 && length === 16) {
      let hi = 0;
      let lo = 0;
      for (let at = from; at < to; at++) {
        const digit = hexDigit(bytes[at] as number);
        if (digit < 0) return false;
        hi = ((hi << 4) | (lo >>> 28)) >>> 0;
        lo = ((lo << 4) | digit) >>> 0;
      }
      this.idHi = hi;
      this.idLo = lo;
      return true;
    }
    if (length === 0 || length > 19 || (length > 1 && bytes[from] === 48)) return false;
    // Up to 15 digits in a double (below 10^15 < 2^53: exact), split into words once…
    const exactTo = Math.min(to, from + 15);
    let value = 0;
    let at = from;
    for (; at < exactTo; at++) {
      const digit = (bytes[at] as number) - 48;
      if (digit < 0 || digit > 9) return false;
      value = value * 10 + digit;
    }
    let hi = Math.floor(value / TWO_32);
    let lo = value - hi * TWO_32;
    // …and the rest, up to 4 more, in words.
    for (; at < to; at++) {
      const digit = (bytes[at] as number) - 48;
      if (digit < 0 || digit > 9) return false;
      const sum = lo * 10 + digit; // below 2^36: exact
      lo = sum >>> 0;
      hi = (Math.imul(hi, 10) + Math.floor(sum / TWO_32)) >>> 0;
    }
    this.idHi = hi;
    this.idLo = lo;
    return true;
  }

  private firstText(meaning: number): number {
    for (let rule = this.meaningFrom[meaning] as number; rule < (this.meaningTo[meaning] as number); rule++) {
      const value = this.firstValues[rule] as number;
      if (value !== NO_TEXT) return value;
    }
    return NO_TEXT;
  }

  /** trace_id from its label's value: hex of 1–32 digits, lowercased; else none (''). */
  private traceId(ref: number): number {
    if (ref === NO_TEXT) return NO_TEXT;
    const text = this.text(ref);
    if (!tracePattern.test(text)) return NO_TEXT;
    const lower = text.toLowerCase();
    return lower === text ? ref : this.made(lower);
  }
}
