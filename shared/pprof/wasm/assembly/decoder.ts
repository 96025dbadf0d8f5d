// The decoder's fast path in WebAssembly (AssemblyScript): the scan, sample loop, stack table and
// label sets of explode.ts, stack-table.ts and label-sets.ts, step for step, for profiles of the
// usual shape. Anything else — malformed protobuf, a limit passed, split records, non-ASCII names
// or ids, a flood — calls `bail`, which throws in JavaScript; explode.ts then runs
// the JavaScript decoder, which decodes (or refuses) every profile. The two must give the same
// columns for every profile decoded here: test/unit/wasm-decoder.test.ts and the explode
// differential test hold them together.
//
// Memory: a bump heap reset per profile. JavaScript copies the profile to `input(length)` and
// reads the results through `result(field)` once `decode` returns (the heap may grow while it
// runs, so no view is held across the call).

// Why a profile is left to the JavaScript decoder (wasm-decoder.ts's BAIL_REASONS).
const MALFORMED: i32 = 1;
const LIMIT: i32 = 2;
const SPLIT_RECORDS: i32 = 3;
const NON_ASCII: i32 = 4;
const FLOOD: i32 = 5;
const MISSING: i32 = 6;
const MANY_LEAF_FRAMES: i32 = 7;
const MADE_TEXT: i32 = 8;

@external('env', 'bail')
declare function jsBail(reason: i32): void;

function bail(reason: i32): void {
  jsBail(reason);
  unreachable();
}

// ---- heap ----

let heapTop: usize = 0;

function alloc(bytes: usize): usize {
  const at = (heapTop + 7) & ~(<usize>7);
  const end = at + bytes;
  // 32-bit addresses: a request past 4 GiB would wrap onto live tables.
  if (end < at || at < heapTop) bail(LIMIT);
  const have = (<usize>memory.size()) << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) bail(LIMIT);
  }
  heapTop = end;
  return at;
}

function allocFilled(bytes: usize, value: u8): usize {
  const at = alloc(bytes);
  memory.fill(at, value, bytes);
  return at;
}

// ---- wire ----

let base: usize = 0; // where the profile starts
let pos: usize = 0;

/** A varint, its first byte read inline (nearly every varint in a profile is one byte). */
// @ts-ignore: decorator
@inline function varint(end: usize): u64 {
  const p = pos;
  if (p < end) {
    const b = load<u8>(p);
    if (b < 0x80) {
      pos = p + 1;
      return <u64>b;
    }
  }
  return longVarint(end);
}

function longVarint(end: usize): u64 {
  let p = pos;
  if (p >= end) bail(MALFORMED);
  let b = <u64>load<u8>(p++);
  let value = b & 0x7f;
  let shift: u64 = 7;
  while (true) {
    if (p >= end) bail(MALFORMED);
    b = <u64>load<u8>(p++);
    if (shift == 63) {
      if (b > 1) bail(MALFORMED);
      value |= b << 63;
      break;
    }
    value |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  pos = p;
  return value;
}

/** A LEN record's length, checked to fit before `end`. */
// @ts-ignore: decorator
@inline function length(end: usize): usize {
  const n = varint(end);
  if (n > <u64>(end - pos)) bail(MALFORMED);
  return <usize>n;
}

/** A LEN record's end (`pos` at its first byte), checked to fit before `end`. */
function endOfRecord(end: usize): usize {
  const n = length(end); // first: `pos + length(end)` would read pos before length() moves it
  return pos + n;
}

function skip(wireType: u32, end: usize): void {
  if (wireType == 0) varint(end);
  else if (wireType == 2) {
    // Not `pos += length(end)`: that reads pos before length() moves it.
    const n = length(end);
    pos += n;
  }
  else if (wireType == 1 || wireType == 5) {
    const size: usize = wireType == 1 ? 8 : 4;
    if (size > end - pos) bail(MALFORMED);
    pos += size;
  } else bail(MALFORMED);
}

function varintField(wireType: u32, end: usize): u64 {
  if (wireType != 0) bail(MALFORMED);
  return varint(end);
}

// ---- hashing (content-ids.ts) ----

const P1: u32 = 0x9e3779b1;
const P2: u32 = 0x85ebca77;
const P3: u32 = 0xc2b2ae3d;
const P4: u32 = 0x27d4eb2f;
const P5: u32 = 0x165667b1;

// @ts-ignore: decorator
@inline function step(h: u32, w: u32): u32 {
  return rotl<u32>(h + w * P3, 17) * P4;
}
// @ts-ignore: decorator
@inline function round(acc: u32, w: u32): u32 {
  return rotl<u32>(acc + w * P2, 13) * P1;
}
function avalanche(input: u32): u32 {
  let h = input;
  h = (h ^ (h >> 15)) * P2;
  h = (h ^ (h >> 13)) * P3;
  return h ^ (h >> 16);
}

let idHi: u32 = 0;
let idLo: u32 = 0;

/** XXH32 of [from, to) with seeds 0 and 1 into idHi, idLo. */
function xxh32Pair(from: usize, to: usize): void {
  const n = <u32>(to - from);
  let at = from;
  let h: u32;
  let g: u32;
  if (n >= 16) {
    let v1 = P1 + P2;
    let v2 = P2;
    let v3: u32 = 0;
    let v4 = 0 - P1;
    let w1 = 1 + P1 + P2;
    let w2 = 1 + P2;
    let w3: u32 = 1;
    let w4 = 1 - P1;
    for (; at + 16 <= to; at += 16) {
      const a = load<u32>(at);
      const b = load<u32>(at, 4);
      const c = load<u32>(at, 8);
      const d = load<u32>(at, 12);
      v1 = round(v1, a);
      v2 = round(v2, b);
      v3 = round(v3, c);
      v4 = round(v4, d);
      w1 = round(w1, a);
      w2 = round(w2, b);
      w3 = round(w3, c);
      w4 = round(w4, d);
    }
    h = rotl<u32>(v1, 1) + rotl<u32>(v2, 7) + rotl<u32>(v3, 12) + rotl<u32>(v4, 18);
    g = rotl<u32>(w1, 1) + rotl<u32>(w2, 7) + rotl<u32>(w3, 12) + rotl<u32>(w4, 18);
  } else {
    h = P5;
    g = 1 + P5;
  }
  h += n;
  g += n;
  for (; at + 4 <= to; at += 4) {
    const a = load<u32>(at);
    h = step(h, a);
    g = step(g, a);
  }
  for (; at < to; at++) {
    const byte = <u32>load<u8>(at);
    h = rotl<u32>(h + byte * P5, 11) * P1;
    g = rotl<u32>(g + byte * P5, 11) * P1;
  }
  idHi = avalanche(h);
  idLo = avalanche(g);
}

// ---- lookup tables ----

let bytesSeed: u32 = 0;
let idSeed: u32 = 0;
const MAX_PROBES: u32 = 64;

function slotOf(hi: u32, lo: u32, mask: u32): u32 {
  let x = lo ^ (hi * 0x9e3779b1) ^ idSeed;
  x = (x ^ (x >> 16)) * 0x85ebca6b;
  x = (x ^ (x >> 13)) * 0xc2b2ae35;
  return (x ^ (x >> 16)) & mask;
}

/**
 * A seeded 64-bit multiply-xorshift hash of [from, to), eight bytes per step (the last word read
 * overlapping, so every byte read lies in the range); the table uses its low 32 bits.
 */
function hashBytes(from: usize, to: usize): u32 {
  const n = to - from;
  let h: u64 = (<u64>bytesSeed << 32) ^ (<u64>n * 0x9e3779b97f4a7c15);
  if (n >= 8) {
    let at = from;
    for (; at + 8 < to; at += 8) {
      h = (h ^ load<u64>(at)) * 0xbf58476d1ce4e5b9;
      h ^= h >> 31;
    }
    h = (h ^ load<u64>(to - 8)) * 0x94d049bb133111eb;
  } else if (n >= 4) {
    h = (h ^ (<u64>load<u32>(from) | (<u64>load<u32>(to - 4) << 32))) * 0x94d049bb133111eb;
  } else if (n > 0) {
    const w = <u64>load<u8>(from) | (<u64>load<u8>(from + (n >> 1)) << 8) | (<u64>load<u8>(to - 1) << 16);
    h = (h ^ w) * 0x94d049bb133111eb;
  }
  h ^= h >> 32;
  h *= 0xff51afd7ed558ccd;
  h ^= h >> 29;
  return <u32>h;
}

function sameBytes(a: usize, b: usize, n: usize): bool {
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < n; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/**
 * A map from byte ranges of the profile to their entry number (0, 1, … in order of insertion).
 * A table is a header [slots, mask, keys, size, keys used, keys capacity] in the heap; slots hold
 * (hash, offset + 1) of an entry in `keys`, which holds each entry's number, length and bytes.
 * Keys are copied there, not compared where they first occur: in a large profile that was a
 * cache miss per lookup. The slots start few and double at half full: a table sized for every
 * sample but holding a few hundred paths would spread them over megabytes.
 */
function newRangeMap(expected: u32, keyBytes: usize): usize {
  const slots = slotsFor(expected);
  const table = alloc(24);
  store<u32>(table, <u32>allocFilled(<usize>slots << 3, 0));
  store<u32>(table, slots - 1, 4);
  store<u32>(table, <u32>alloc(keyBytes), 8);
  store<u32>(table, 0, 12);
  store<u32>(table, 0, 16);
  store<u32>(table, <u32>keyBytes, 20);
  return table;
}

/** Slots for `expected` entries (capped: growing is cheaper than a sparse table), a power of 2. */
function slotsFor(expected: u32): u32 {
  const wanted: u32 = expected < 65536 ? 2 * expected : 131072;
  let slots: u32 = 1024;
  while (slots < wanted) slots <<= 1;
  return slots;
}

function rangeMapSize(table: usize): u32 {
  return load<u32>(table, 12);
}

/** The entry of the bytes [from, to), or a new one (then the size grew by one). */
function rangeMapFind(table: usize, from: usize, to: usize): u32 {
  const slots = <usize>load<u32>(table);
  const mask = load<u32>(table, 4);
  const keys = <usize>load<u32>(table, 8);
  const hash = hashBytes(from, to);
  const n = to - from;
  let slot = hash & mask;
  let probes: u32 = 0;
  while (true) {
    const at = slots + (<usize>slot << 3);
    const offset = load<u32>(at, 4);
    if (offset == 0) break;
    if (load<u32>(at) == hash) {
      const key = keys + <usize>offset - 1;
      if (<usize>load<u32>(key, 4) == n && sameBytes(key + 8, from, n)) return load<u32>(key);
    }
    if (++probes > MAX_PROBES) bail(FLOOD);
    slot = (slot + 1) & mask;
  }
  const entry = load<u32>(table, 12);
  store<u32>(table, entry + 1, 12);
  const used = <usize>load<u32>(table, 16);
  const size: usize = 8 + ((n + 3) & ~(<usize>3));
  let capacity = <usize>load<u32>(table, 20);
  let base = keys;
  if (used + size > capacity) {
    capacity = 2 * capacity + size;
    base = alloc(capacity);
    memory.copy(base, keys, used);
    store<u32>(table, <u32>base, 8);
    store<u32>(table, <u32>capacity, 20);
  }
  const key = base + used;
  store<u32>(key, entry);
  store<u32>(key, <u32>n, 4);
  memory.copy(key + 8, from, n);
  store<u32>(table, <u32>(used + size), 16);
  const at = slots + (<usize>slot << 3);
  store<u32>(at, hash);
  store<u32>(at, <u32>(used + 1), 4);
  if ((entry + 1) << 1 > mask) growRangeMap(table);
  return entry;
}

function growRangeMap(table: usize): void {
  const oldSlots = <usize>load<u32>(table);
  const oldCount = load<u32>(table, 4) + 1;
  const mask = 2 * oldCount - 1;
  const slots = allocFilled(<usize>(mask + 1) << 3, 0);
  for (let old: u32 = 0; old < oldCount; old++) {
    const from = oldSlots + (<usize>old << 3);
    const entry = load<u32>(from, 4);
    if (entry == 0) continue;
    const hash = load<u32>(from);
    let slot = hash & mask;
    while (load<u32>(slots + (<usize>slot << 3), 4) != 0) slot = (slot + 1) & mask;
    store<u32>(slots + (<usize>slot << 3), hash);
    store<u32>(slots + (<usize>slot << 3), entry, 4);
  }
  store<u32>(table, <u32>slots);
  store<u32>(table, mask, 4);
}

/**
 * A map from uint64 ids, kept by the caller in an array of 8 bytes per entry, to their entry. A
 * table is a header [slots, mask, free slot, size] in the heap; slots hold entry + 1. It doubles
 * at half full, as range maps do.
 */
function newIdMap(expected: u32): usize {
  const slots = slotsFor(expected);
  const table = alloc(16);
  store<u32>(table, <u32>allocFilled(<usize>slots << 2, 0));
  store<u32>(table, slots - 1, 4);
  store<u32>(table, 0, 12);
  return table;
}

/** The entry whose id in `ids` is (hi, lo), else -1, remembering the free slot for `idMapPut`. */
function idMapFind(table: usize, ids: usize, hi: u32, lo: u32): i32 {
  const slots = <usize>load<u32>(table);
  const mask = load<u32>(table, 4);
  let slot = slotOf(hi, lo, mask);
  let probes: u32 = 0;
  while (true) {
    const entry = load<u32>(slots + (<usize>slot << 2));
    if (entry == 0) break;
    const id = ids + (<usize>(entry - 1) << 3);
    if (load<u32>(id) == lo && load<u32>(id, 4) == hi) {
      foundSlot = slot;
      return <i32>(entry - 1);
    }
    // Ids a profile chooses (sparse location and function ids) can be picked to collide.
    if (++probes > MAX_PROBES) bail(FLOOD);
    slot = (slot + 1) & mask;
  }
  store<u32>(table, slot, 8);
  return -1;
}

/** Puts `entry`, whose id is in `ids`, in the slot idMapFind left free. */
function idMapPut(table: usize, ids: usize, entry: u32): void {
  store<u32>(<usize>load<u32>(table) + (<usize>load<u32>(table, 8) << 2), entry + 1);
  const size = load<u32>(table, 12) + 1;
  store<u32>(table, size, 12);
  const oldMask = load<u32>(table, 4);
  if ((size << 1) <= oldMask) return;
  // Half full: double, placing every entry again.
  const oldSlots = <usize>load<u32>(table);
  const mask = 2 * oldMask + 1;
  const slots = allocFilled(<usize>(mask + 1) << 2, 0);
  for (let old: u32 = 0; old <= oldMask; old++) {
    const e = load<u32>(oldSlots + (<usize>old << 2));
    if (e == 0) continue;
    const id = ids + (<usize>(e - 1) << 3);
    let slot = slotOf(load<u32>(id, 4), load<u32>(id), mask);
    while (load<u32>(slots + (<usize>slot << 2)) != 0) slot = (slot + 1) & mask;
    store<u32>(slots + (<usize>slot << 2), e);
  }
  store<u32>(table, <u32>slots);
  store<u32>(table, mask, 4);
}

/** The slot where idMapFind last found its id. */
let foundSlot: u32 = 0;


// ---- the profile's tables (absolute addresses; counts) ----

let sampleCount: u32 = 0;
let sampleStarts: usize = 0; // u32 absolute
let sampleEnds: usize = 0;
let stringCount: u32 = 0;
let stringStarts: usize = 0; // u32, relative to base
let stringEnds: usize = 0;
let stringKinds: usize = 0; // u8: 0 unknown, 1 ASCII, 2 not
let sampleTypeCount: u32 = 0;
let sampleTypes: usize = 0; // u64 pairs (type, unit)
let periodType: i32 = 0; // 1 when present
let periodTypeType: u64 = 0;
let periodTypeUnit: u64 = 0;
let timeNanos: u64 = 0;
let durationNanos: u64 = 0;
let period: u64 = 0;

let locationCount: u32 = 0;
let locationIds: usize = 0; // u64
let locationAddresses: usize = 0; // u64
let locationLinesFrom: usize = 0; // u32
let locationLinesTo: usize = 0;
let lineCount: u32 = 0;
let lineCapacity: u32 = 0;
let lineFunctionIds: usize = 0; // u64
let lineNumbers: usize = 0; // u64
let functionCount: u32 = 0;
let functionIds: usize = 0; // u64
let functionNames: usize = 0; // u64 string indices: name, system name, file name
let locationByDenseId: usize = 0; // i32 per id 0…n, or 0 (sparse)
let functionByDenseId: usize = 0;
let locationBySparseId: usize = 0; // else these (newIdMap)
let functionBySparseId: usize = 0;

// ---- scan ----

let valueTypeType: u64 = 0;
let valueTypeUnit: u64 = 0;

/** ValueType: int64 type = 1, int64 unit = 2 (string indices), into valueTypeType/Unit. */
function valueType(end: usize): void {
  valueTypeType = 0;
  valueTypeUnit = 0;
  while (pos < end) {
    const tag = varint(end);
    const wireType = <u32>tag & 7;
    const field = tag >> 3;
    if (field == 1) valueTypeType = varintField(wireType, end);
    else if (field == 2) valueTypeUnit = varintField(wireType, end);
    else skip(wireType, end);
  }
}

function location(end: usize): void {
  const index = locationCount++;
  let id: u64 = 0;
  let address: u64 = 0;
  const linesFrom = lineCount;
  while (pos < end) {
    const tag = varint(end);
    const wireType = <u32>tag & 7;
    const field = tag >> 3;
    if (field == 1) id = varintField(wireType, end);
    else if (field == 3) address = varintField(wireType, end);
    else if (field == 4) {
      if (wireType != 2) bail(MALFORMED);
      const lineEnd = endOfRecord(end);
      line(lineEnd);
      pos = lineEnd;
    } else if (field == 2 || field == 5) varintField(wireType, end);
    else skip(wireType, end);
  }
  store<u64>(locationIds + (<usize>index << 3), id);
  store<u64>(locationAddresses + (<usize>index << 3), address);
  store<u32>(locationLinesFrom + (<usize>index << 2), linesFrom);
  store<u32>(locationLinesTo + (<usize>index << 2), lineCount);
}

function line(end: usize): void {
  // Line: uint64 function_id = 1, int64 line = 2, int64 column = 3
  let functionId: u64 = 0;
  let number: u64 = 0;
  while (pos < end) {
    const tag = varint(end);
    const wireType = <u32>tag & 7;
    const field = tag >> 3;
    if (field == 1) functionId = varintField(wireType, end);
    else if (field == 2) number = varintField(wireType, end);
    else if (field == 3) varintField(wireType, end);
    else skip(wireType, end);
  }
  if (lineCount == lineCapacity) bail(LIMIT); // past maxProfileRecords (bytes / 2 cannot be)
  store<u64>(lineFunctionIds + (<usize>lineCount << 3), functionId);
  store<u64>(lineNumbers + (<usize>lineCount << 3), number);
  lineCount++;
}

function functionRecord(end: usize): void {
  const index = functionCount++;
  let id: u64 = 0;
  let name: u64 = 0;
  let system: u64 = 0;
  let file: u64 = 0;
  while (pos < end) {
    const tag = varint(end);
    const wireType = <u32>tag & 7;
    const field = tag >> 3;
    if (field == 1) id = varintField(wireType, end);
    else if (field == 2) name = varintField(wireType, end);
    else if (field == 3) system = varintField(wireType, end);
    else if (field == 4) file = varintField(wireType, end);
    else if (field == 5) varintField(wireType, end);
    else skip(wireType, end);
  }
  store<u64>(functionIds + (<usize>index << 3), id);
  const names = functionNames + <usize>index * 24;
  store<u64>(names, name);
  store<u64>(names, system, 8);
  store<u64>(names, file, 16);
}

let maxSamplesPerProfile: f64 = 0;
let maxProfileRecords: f64 = 0;
let maxRowsPerProfile: f64 = 0;

/** First pass: counts of each top-level record, so that the second writes into exact tables. */
function count(end: usize): void {
  pos = base;
  let samples: u32 = 0;
  let strings: u32 = 0;
  let locations: u32 = 0;
  let functions: u32 = 0;
  let types: u32 = 0;
  let locationBytes: usize = 0;
  while (pos < end) {
    const tag = varint(end);
    const wireType = <u32>tag & 7;
    const field = tag >> 3;
    if (field >= 1 && field <= 6) {
      if (wireType != 2) bail(MALFORMED);
      const n = length(end);
      pos += n;
      if (field == 1) types++;
      else if (field == 2) samples++;
      else if (field == 4) {
        locations++;
        locationBytes += n;
      } else if (field == 5) functions++;
      else if (field == 6) strings++;
    } else skip(wireType, end);
  }
  // Limits before any table is allocated (a 64 MiB flood of empty records is 33M of them);
  // JavaScript then refuses the profile with its message.
  if (<f64>samples > maxSamplesPerProfile) bail(LIMIT);
  const records = <f64>locations + <f64>functions + <f64>strings;
  if (records > maxProfileRecords) bail(LIMIT);
  sampleCount = samples;
  sampleStarts = alloc(<usize>samples << 2);
  sampleEnds = alloc(<usize>samples << 2);
  stringStarts = alloc((<usize>strings + 1) << 2);
  stringEnds = alloc((<usize>strings + 1) << 2);
  sampleTypes = alloc(<usize>types << 4);
  locationIds = alloc(<usize>locations << 3);
  locationAddresses = alloc(<usize>locations << 3);
  locationLinesFrom = alloc(<usize>locations << 2);
  locationLinesTo = alloc(<usize>locations << 2);
  // A Line record takes two bytes at least; a line past the records limit bails (line()).
  lineCapacity = <u32>Math.min(<f64>((locationBytes >> 1) + 1), maxProfileRecords - records);
  lineFunctionIds = alloc(<usize>lineCapacity << 3);
  lineNumbers = alloc(<usize>lineCapacity << 3);
  functionIds = alloc(<usize>functions << 3);
  functionNames = alloc(<usize>functions * 24);
}

function scan(end: usize): void {
  pos = base;
  while (pos < end) {
    const tag = varint(end);
    const wireType = <u32>tag & 7;
    const field = <u32>(tag >> 3);
    if (tag >> 3 > 15) {
      skip(wireType, end);
      continue;
    }
    switch (field) {
      case 1: {
        // repeated ValueType sample_type = 1
        const recordEnd = endOfRecord(end);
        valueType(recordEnd);
        pos = recordEnd;
        const at = sampleTypes + (<usize>(sampleTypeCount++) << 4);
        store<u64>(at, valueTypeType);
        store<u64>(at, valueTypeUnit, 8);
        break;
      }
      case 2: {
        const n = length(end);
        store<u32>(sampleStarts + (<usize>sampleCountSeen << 2), <u32>pos);
        store<u32>(sampleEnds + (<usize>sampleCountSeen << 2), <u32>(pos + n));
        sampleCountSeen++;
        pos += n;
        break;
      }
      case 3: {
        // Mapping: fields 1–10 varints; unused but must be well-formed.
        const recordEnd = endOfRecord(end);
        while (pos < recordEnd) {
          const t = varint(recordEnd);
          const w = <u32>t & 7;
          const f = t >> 3;
          if (f >= 1 && f <= 10) varintField(w, recordEnd);
          else skip(w, recordEnd);
        }
        break;
      }
      case 4: {
        const recordEnd = endOfRecord(end);
        location(recordEnd);
        pos = recordEnd;
        break;
      }
      case 5: {
        const recordEnd = endOfRecord(end);
        functionRecord(recordEnd);
        pos = recordEnd;
        break;
      }
      case 6: {
        const n = length(end);
        store<u32>(stringStarts + (<usize>stringCount << 2), <u32>(pos - base));
        store<u32>(stringEnds + (<usize>stringCount << 2), <u32>(pos + n - base));
        stringCount++;
        pos += n;
        break;
      }
      case 9:
        timeNanos = varintField(wireType, end);
        break;
      case 10:
        durationNanos = varintField(wireType, end);
        break;
      case 11: {
        if (wireType != 2) bail(MALFORMED);
        const recordEnd = endOfRecord(end);
        valueType(recordEnd);
        pos = recordEnd;
        // The last one wins, as in pprof-format and Go.
        periodTypeType = valueTypeType;
        periodTypeUnit = valueTypeUnit;
        periodType = 1;
        break;
      }
      case 12:
        period = varintField(wireType, end);
        break;
      case 13:
        // repeated int64 comment = 13, packed or not
        if (wireType == 0) varint(end);
        else if (wireType == 2) {
          const recordEnd = endOfRecord(end);
          while (pos < recordEnd) varint(recordEnd);
        } else bail(MALFORMED);
        break;
      case 7:
      case 8:
      case 14:
      case 15:
        varintField(wireType, end);
        break;
      default:
        skip(wireType, end);
    }
  }
  // pprof-format reads a profile without a string table as the table [""].
  if (stringCount == 0) {
    store<u32>(stringStarts, 0);
    store<u32>(stringEnds, 0);
    stringCount = 1;
  }
  stringKinds = allocFilled(<usize>stringCount, 0);
  // Ids 1…n (what every encoder writes) index arrays; other ids, a hash table. A repeated id
  // ends on its last definition, as in the JavaScript decoder.
  locationByDenseId = denseIndex(locationIds, locationCount);
  locationBySparseId = locationByDenseId == 0 ? sparseIndex(locationIds, locationCount) : 0;
  functionByDenseId = denseIndex(functionIds, functionCount);
  functionBySparseId = functionByDenseId == 0 ? sparseIndex(functionIds, functionCount) : 0;
}

/** An array from ids 0…n to their index (-1: none), or 0 when an id is above n. */
function denseIndex(ids: usize, n: u32): usize {
  for (let i: u32 = 0; i < n; i++) if (load<u64>(ids + (<usize>i << 3)) > <u64>n) return 0;
  const index = allocFilled((<usize>n + 1) << 2, 0xff);
  for (let i: u32 = 0; i < n; i++) store<i32>(index + (<usize>load<u64>(ids + (<usize>i << 3)) << 2), i);
  return index;
}

/** A hash table (newIdMap) from ids to their index. */
function sparseIndex(ids: usize, n: u32): usize {
  const table = newIdMap(n);
  for (let i: u32 = 0; i < n; i++) {
    const id = ids + (<usize>i << 3);
    const known = idMapFind(table, ids, load<u32>(id, 4), load<u32>(id));
    // Found: the slot of the earlier definition, which this one replaces.
    if (known >= 0) store<u32>(<usize>load<u32>(table) + (<usize>foundSlot << 2), i + 1);
    else idMapPut(table, ids, i);
  }
  return table;
}

/** The index of the location or function with this id (`ids`: theirs, `n` of them), or -1. */
function indexOf(id: u64, dense: usize, sparse: usize, ids: usize, n: u32): i32 {
  if (dense != 0) return id > <u64>n ? -1 : load<i32>(dense + (<usize>id << 2));
  return idMapFind(sparse, ids, <u32>(id >> 32), <u32>id);
}

let sampleCountSeen: u32 = 0;

// ---- strings ----

function checkString(index: u64): void {
  if (index >= <u64>stringCount) bail(MISSING);
}

function stringFrom(index: u32): usize {
  return base + <usize>load<u32>(stringStarts + (<usize>index << 2));
}

function stringTo(index: u32): usize {
  return base + <usize>load<u32>(stringEnds + (<usize>index << 2));
}

/** Whether string `index` is ASCII: then its bytes are its text, as JavaScript decodes it. */
function isAscii(index: u32): bool {
  const kind = stringKinds + <usize>index;
  const known = load<u8>(kind);
  if (known != 0) return known == 1;
  const to = stringTo(index);
  let at = stringFrom(index);
  let ascii = true;
  for (; at + 8 <= to; at += 8) {
    if ((load<u64>(at) & 0x8080808080808080) != 0) {
      ascii = false;
      break;
    }
  }
  if (ascii) for (; at < to; at++) if (load<u8>(at) >= 0x80) ascii = false;
  store<u8>(kind, ascii ? 1 : 2);
  return ascii;
}

/** String `index`, checked to be ASCII (its bytes are its UTF-8 as the reference hashes it). */
function asciiString(index: u32): void {
  if (!isAscii(index)) bail(NON_ASCII);
}

// ---- frames and stacks (stack-table.ts) ----

let maxStackFrames: f64 = 0;
let framesBuilt: f64 = 0;

let frameCount: u32 = 0;
let frameIds: usize = 0; // u64: lo word, hi word
let frameNames: usize = 0; // i32 string index, or -2 - location: named by its location's address
let frameSystemNames: usize = 0;
let frameFileNames: usize = 0;
let frameLines: usize = 0; // f64
let frameById: usize = 0;
let locationFramesFrom: usize = 0; // i32, -1: not yet
let locationFrameCounts: usize = 0;
let locationFrameList: usize = 0; // i32
let locationFrameListLength: u32 = 0;
let functionKeys: usize = 0; // u32 pairs (hi, lo)
let functionKeyKnown: usize = 0; // u8
let frameText: usize = 0;
let frameTextCapacity: usize = 0;

let stackCount: u32 = 0;
let stackIds: usize = 0; // u64
let stackLeaves: usize = 0; // i32
let stackPaths: usize = 0; // i32
let stackById: usize = 0;
let stackOfNoLocations: i32 = -1;
let callerPaths: usize = 0;
let pathFramesFrom: usize = 0; // u32 into pathFrameList
let pathFrameCounts: usize = 0;
let pathChains: usize = 0; // u32 pairs
let pathFrameList: usize = 0; // i32
let pathFrameListLength: u32 = 0;
let pathFrameListCapacity: u32 = 0;

function frameTextOf(needed: usize): usize {
  if (needed > frameTextCapacity) {
    frameTextCapacity = 2 * needed;
    frameText = alloc(frameTextCapacity);
  }
  return frameText;
}

function copyString(index: u32, to: usize): usize {
  const from = stringFrom(index);
  const n = stringTo(index) - from;
  memory.copy(to, from, n);
  return to + n;
}

function functionKey(name: u32, system: u32, file: u32, fn: u32): void {
  const keyAt = functionKeys + (<usize>fn << 3);
  if (load<u8>(functionKeyKnown + <usize>fn) == 1) {
    idHi = load<u32>(keyAt);
    idLo = load<u32>(keyAt, 4);
    return;
  }
  asciiString(system);
  asciiString(file);
  const text = frameTextOf(stringTo(name) - stringFrom(name) + stringTo(system) - stringFrom(system) + stringTo(file) - stringFrom(file) + 2);
  let at = copyString(name, text);
  store<u8>(at++, 0);
  at = copyString(system, at);
  store<u8>(at++, 0);
  at = copyString(file, at);
  xxh32Pair(text, at);
  store<u32>(keyAt, idHi);
  store<u32>(keyAt, idLo, 4);
  store<u8>(functionKeyKnown + <usize>fn, 1);
}

/** Writes `value` in lowercase hex without leading zeros at `at`; returns the end. */
function hex(value: u64, at: usize): usize {
  let digits: usize = 1;
  while (digits < 16 && value >> (<u64>digits << 2) != 0) digits++;
  for (let i: usize = 0; i < digits; i++) {
    const d = <u32>((value >> (<u64>(digits - 1 - i) << 2)) & 15);
    store<u8>(at + i, d < 10 ? 48 + d : 87 + d);
  }
  return at + digits;
}

/** The key of a frame named by its location's address, with these system and file names (-1: none). */
function addressKey(location: u32, system: i32, file: i32): void {
  let needed: usize = 2 + 18;
  if (system >= 0) {
    asciiString(<u32>system);
    needed += stringTo(<u32>system) - stringFrom(<u32>system);
  }
  if (file >= 0) {
    asciiString(<u32>file);
    needed += stringTo(<u32>file) - stringFrom(<u32>file);
  }
  const text = frameTextOf(needed);
  store<u8>(text, 48);
  store<u8>(text, 120, 1);
  let at = hex(load<u64>(locationAddresses + (<usize>location << 3)), text + 2);
  store<u8>(at++, 0);
  if (system >= 0) at = copyString(<u32>system, at);
  store<u8>(at++, 0);
  if (file >= 0) at = copyString(<u32>file, at);
  xxh32Pair(text, at);
}

function frame(location: u32, line: i32): u32 {
  let name: i32 = -1;
  let system: i32 = -1;
  let file: i32 = -1;
  let number: f64 = 0;
  if (line >= 0) {
    const fn = indexOf(
      load<u64>(lineFunctionIds + (<usize>line << 3)),
      functionByDenseId,
      functionBySparseId,
      functionIds,
      functionCount,
    );
    if (fn < 0) bail(MISSING);
    const names = functionNames + <usize>fn * 24;
    name = <i32>load<u64>(names);
    system = <i32>load<u64>(names, 8);
    file = <i32>load<u64>(names, 16);
    // As the JavaScript decoder holds it: a double, exact below 2^53 (a line of -1, read
    // unsigned, rounds to 2^64).
    const exact = load<u64>(lineNumbers + (<usize>line << 3));
    number = <f64>(<u32>(exact >> 32)) * 4294967296.0 + <f64>(<u32>exact);
    asciiString(<u32>name);
    if (stringTo(<u32>name) == stringFrom(<u32>name)) name = -1;
    if (name >= 0) functionKey(<u32>name, <u32>system, <u32>file, <u32>fn);
  }
  if (name < 0) addressKey(location, system, file);
  // frameIdOfLine: the double's two 32-bit halves, as JavaScript's `| 0` cuts them (mod 2^32).
  const high = Math.floor(number / 4294967296.0);
  const lineHi = <u32>(<u64>(high - Math.floor(high / 4294967296.0) * 4294967296.0));
  const lineLo = <u32>(<u64>(number - high * 4294967296.0));
  const hi = avalanche(step(step(idHi, lineHi), lineLo) + 8);
  const lo = avalanche(step(step(idLo, lineHi), lineLo) + 8);
  const known = idMapFind(frameById, frameIds, hi, lo);
  if (known >= 0) return <u32>known;
  const index = frameCount++;
  const id = frameIds + (<usize>index << 3);
  store<u32>(id, lo);
  store<u32>(id, hi, 4);
  idMapPut(frameById, frameIds, index); // after the id: a growing table reads it
  store<i32>(frameNames + (<usize>index << 2), name >= 0 ? name : -2 - <i32>location);
  store<i32>(frameSystemNames + (<usize>index << 2), system);
  store<i32>(frameFileNames + (<usize>index << 2), file);
  store<f64>(frameLines + (<usize>index << 3), number);
  return index;
}

function locationOf(id: u64): u32 {
  const location = indexOf(id, locationByDenseId, locationBySparseId, locationIds, locationCount);
  if (location < 0) bail(MISSING);
  return <u32>location;
}

/** A location's frames, from `locationFramesFrom`, computed once. */
function locationFrames(location: u32): u32 {
  const known = load<i32>(locationFramesFrom + (<usize>location << 2));
  if (known >= 0) return <u32>known;
  const from = load<u32>(locationLinesFrom + (<usize>location << 2));
  const to = load<u32>(locationLinesTo + (<usize>location << 2));
  const start = locationFrameListLength;
  if (from == to) {
    const f = frame(location, -1);
    store<u32>(locationFrameList + (<usize>(locationFrameListLength++) << 2), f);
  }
  for (let line = from; line < to; line++) {
    const f = frame(location, <i32>line);
    store<u32>(locationFrameList + (<usize>(locationFrameListLength++) << 2), f);
  }
  store<i32>(locationFramesFrom + (<usize>location << 2), start);
  store<i32>(locationFrameCounts + (<usize>location << 2), locationFrameListLength - start);
  return start;
}

function pushPathFrame(f: u32): void {
  if (pathFrameListLength == pathFrameListCapacity) {
    const capacity = 2 * pathFrameListCapacity + 1024;
    const list = alloc(<usize>capacity << 2);
    memory.copy(list, pathFrameList, <usize>pathFrameListLength << 2);
    pathFrameList = list;
    pathFrameListCapacity = capacity;
  }
  store<u32>(pathFrameList + (<usize>(pathFrameListLength++) << 2), f);
}

function countFrames(n: f64): void {
  framesBuilt += n;
  if (framesBuilt > maxStackFrames) bail(LIMIT);
}

let chainH: u32 = 0;
let chainG: u32 = 0;

function chainFrame(f: u32): void {
  const id = frameIds + (<usize>f << 3);
  const lo = load<u32>(id);
  const hi = load<u32>(id, 4);
  chainH = step(step(chainH, hi), lo);
  chainG = step(step(chainG, hi), lo);
}

function addStack(leaf: i32, path: i32, frames: u32): u32 {
  const n = 8 * frames;
  const hi = avalanche(chainH + n);
  const lo = avalanche(chainG + n);
  const known = idMapFind(stackById, stackIds, hi, lo);
  if (known >= 0) return <u32>known;
  countFrames(<f64>frames);
  const index = stackCount++;
  const id = stackIds + (<usize>index << 3);
  store<u32>(id, lo);
  store<u32>(id, hi, 4);
  idMapPut(stackById, stackIds, index); // after the id: a growing table reads it
  store<i32>(stackLeaves + (<usize>index << 2), leaf);
  store<i32>(stackPaths + (<usize>index << 2), path);
  return index;
}

/** The stack of the packed location ids in [from, to), at least one. */
function stack(from: usize, to: usize): u32 {
  pos = from;
  const leaf = locationOf(varint(to));
  const callersFrom = pos;
  const leafFrom = locationFrames(leaf);
  const leafCount = load<u32>(locationFrameCounts + (<usize>leaf << 2));
  // The JavaScript decoder bounds a sample's work for such leaves with a table of its own.
  if (leafCount > 8) bail(MANY_LEAF_FRAMES);
  let path: i32 = -1;
  let callerCount: u32 = 0;
  if (callersFrom < to) {
    const before = rangeMapSize(callerPaths);
    path = <i32>rangeMapFind(callerPaths, callersFrom, to);
    if (rangeMapSize(callerPaths) != before) {
      // A new caller path: its frames, leaf first, and its chain from the root.
      const listFrom = pathFrameListLength;
      pos = callersFrom;
      while (pos < to) {
        const location = locationOf(varint(to));
        const at = pos;
        const start = locationFrames(location);
        const n = load<u32>(locationFrameCounts + (<usize>location << 2));
        if (framesBuilt + <f64>(pathFrameListLength - listFrom) + <f64>n > maxStackFrames) bail(LIMIT);
        for (let i = start; i < start + n; i++) pushPathFrame(load<u32>(locationFrameList + (<usize>i << 2)));
        pos = at;
      }
      const count = pathFrameListLength - listFrom;
      countFrames(<f64>count);
      store<u32>(pathFramesFrom + (<usize>path << 2), listFrom);
      store<u32>(pathFrameCounts + (<usize>path << 2), count);
      chainH = P5;
      chainG = 1 + P5;
      for (let i = pathFrameListLength; i > listFrom; i--) chainFrame(load<u32>(pathFrameList + (<usize>(i - 1) << 2)));
      store<u32>(pathChains + (<usize>path << 3), chainH);
      store<u32>(pathChains + (<usize>path << 3), chainG, 4);
    }
    callerCount = load<u32>(pathFrameCounts + (<usize>path << 2));
    chainH = load<u32>(pathChains + (<usize>path << 3));
    chainG = load<u32>(pathChains + (<usize>path << 3), 4);
  } else {
    chainH = P5;
    chainG = 1 + P5;
  }
  for (let i = leafFrom + leafCount; i > leafFrom; i--) chainFrame(load<u32>(locationFrameList + (<usize>(i - 1) << 2)));
  return addStack(<i32>leaf, path, leafCount + callerCount);
}

// ---- label sets (label-sets.ts) ----

// The label mapping's rules, as JavaScript writes them (wasm-decoder.ts): per rule its meaning
// (SPAN_ID…), whether its ids may be 16 hex digits, and its key's UTF-8.
const SPAN_ID: u32 = 0;
const LOCAL_ROOT_SPAN_ID: u32 = 1;
const ENDPOINT: u32 = 2;
const TRACE_ID: u32 = 3;
const MAX_RULES: u32 = 32;
const KEY_CACHE_SIZE: u32 = 256;
const NO_TEXT: i32 = -1;

let ruleCount: u32 = 0;
let rules: usize = 0; // 16 bytes per rule: meaning, hex16, key from, key to (absolute)
let rulesAscii = true;
let maxLabelsPerSample: f64 = 0;
let maxLabelValueBytes: f64 = 0;
let keyCacheKeys: usize = 0; // i32 per slot: the key string cached there (-1: none)
let keyCacheRules: usize = 0; // u32 per slot: its rules, one bit each
let firstValues: usize = 0; // i32 per rule: the first value of its key in the set being built

let setCount: u32 = 0;
let setSpanIds: usize = 0; // u64
let setLocalRootSpanIds: usize = 0; // u64
let setEndpoints: usize = 0; // i32 string index or NO_TEXT
let setTraceIds: usize = 0; // i32
let setLabelsFrom: usize = 0; // i32, count + 1
let labelCount: u32 = 0;
let labelCapacity: u32 = 0;
let labelKeys: usize = 0; // i32 string indices
let labelValues: usize = 0; // i32 string indices, or a made number's ref (≤ -2)

// Number labels (Label.num): their text is a decimal JavaScript makes, so they are kept as
// numbers, ref -2 - i for number i, in the order label-sets.ts makes its texts: the label's value
// (int64 as sent), then, for a negative one, the uint64 the meanings read.
let madeCount: u32 = 0;
let madeCapacity: u32 = 0;
let madeNumbers: usize = 0; // u64: the number's bits
let madeUnsigned: usize = 0; // u8: 1 when its text is the uint64 decimal, 0 the int64 one

function addMade(bits: u64, unsigned: bool): i32 {
  if (madeCount == madeCapacity) {
    const capacity = 2 * madeCapacity + 256;
    const numbers = alloc(<usize>capacity << 3);
    const flags = alloc(<usize>capacity);
    memory.copy(numbers, madeNumbers, <usize>madeCount << 3);
    memory.copy(flags, madeUnsigned, <usize>madeCount);
    madeNumbers = numbers;
    madeUnsigned = flags;
    madeCapacity = capacity;
  }
  store<u64>(madeNumbers + (<usize>madeCount << 3), bits);
  store<u8>(madeUnsigned + <usize>madeCount, unsigned ? 1 : 0);
  const ref = -2 - <i32>madeCount;
  madeCount++;
  return ref;
}

/** Digits of a uint64's decimal. */
function decimalDigits(value: u64): u32 {
  let digits: u32 = 1;
  while (value >= 10) {
    value /= 10;
    digits++;
  }
  return digits;
}

/** The decimal digits of a uint64 read as hex digits (ids.ts reads 16 decimal digits so where hex is allowed). */
function decimalAsHex(value: u64): u64 {
  let result: u64 = 0;
  let shift: u64 = 0;
  while (value > 0) {
    result |= (value % 10) << shift;
    value /= 10;
    shift += 4;
  }
  return result;
}

/** Reads the rules JavaScript wrote at `at`: a count, then per rule meaning, hex16, key length, key (padded to 4). */
function readRules(at: usize): void {
  ruleCount = load<u32>(at);
  if (ruleCount > MAX_RULES) bail(LIMIT);
  rules = alloc(<usize>ruleCount << 4);
  rulesAscii = true;
  let p = at + 4;
  for (let r: u32 = 0; r < ruleCount; r++) {
    const rule = rules + (<usize>r << 4);
    const n = <usize>load<u32>(p, 8);
    store<u32>(rule, load<u32>(p));
    store<u32>(rule, load<u32>(p, 4), 4);
    store<u32>(rule, <u32>(p + 12), 8);
    store<u32>(rule, <u32>(p + 12 + n), 12);
    for (let i: usize = 0; i < n; i++) if (load<u8>(p + 12 + i) >= 0x80) rulesAscii = false;
    p += 12 + ((n + 3) & ~(<usize>3));
  }
}

/** The rules whose key is string `key`, one bit each; found once per key string (nearly). */
function rulesOfKey(key: u32): u32 {
  const slot = <usize>(key & (KEY_CACHE_SIZE - 1)) << 2;
  if (load<i32>(keyCacheKeys + slot) == <i32>key) return load<u32>(keyCacheRules + slot);
  let found: u32 = 0;
  const from = stringFrom(key);
  const n = stringTo(key) - from;
  if (isAscii(key)) {
    for (let r: u32 = 0; r < ruleCount; r++) {
      const rule = rules + (<usize>r << 4);
      const keyFrom = <usize>load<u32>(rule, 8);
      if (<usize>load<u32>(rule, 12) - keyFrom == n && sameBytes(keyFrom, from, n)) found |= (<u32>1) << r;
    }
  } else if (!rulesAscii || (n >= 3 && load<u8>(from) == 0xef && load<u8>(from, 1) == 0xbb && load<u8>(from, 2) == 0xbf)) {
    // A key that is not ASCII matches no ASCII rule key, unless JavaScript's decoding drops its
    // byte-order mark: left to JavaScript, as are rules with keys that are not ASCII.
    bail(NON_ASCII);
  }
  store<i32>(keyCacheKeys + slot, <i32>key);
  store<u32>(keyCacheRules + slot, found);
  return found;
}

/** Refuses (to JavaScript, which names it) a key or value over maxLabelValueBytes of UTF-8. */
// @ts-ignore: decorator
@inline function checkLabelLength(index: u32): void {
  const n = <f64>(stringTo(index) - stringFrom(index));
  // JavaScript counts the UTF-8 of the decoded text: the bytes for ASCII, at most three per byte else.
  if (n > maxLabelValueBytes || (n * 3 > maxLabelValueBytes && !isAscii(index))) bail(LIMIT);
}

const isSpace = (c: u32): bool => c == 32 || (c >= 9 && c <= 13);

let parsedId: u64 = 0;

/**
 * Parses string `index` as labels.ts's parseId does (trimmed; 16 hex digits where the rule reads
 * them, else decimal up to 2^64 − 1) into parsedId; false when it is no id.
 */
function parseId(index: u32, hex16: bool): bool {
  // Trimming text that is not ASCII removes more than ASCII spaces: left to JavaScript.
  if (!isAscii(index)) bail(NON_ASCII);
  let from = stringFrom(index);
  let to = stringTo(index);
  while (from < to && isSpace(<u32>load<u8>(from))) from++;
  while (to > from && isSpace(<u32>load<u8>(to - 1))) to--;
  const n = to - from;
  if (hex16 && n == 16) {
    let value: u64 = 0;
    let hex = true;
    for (let at = from; at < to; at++) {
      const c = <u32>load<u8>(at);
      let digit: u32 = 0;
      if (c >= 48 && c <= 57) digit = c - 48;
      else if (c >= 97 && c <= 102) digit = c - 87;
      else if (c >= 65 && c <= 70) digit = c - 55;
      else {
        hex = false;
        break;
      }
      value = (value << 4) | <u64>digit;
    }
    if (hex) {
      parsedId = value;
      return true;
    }
  }
  if (n == 0 || n > 20) return false;
  let value: u64 = 0;
  for (let at = from; at < to; at++) {
    const digit = <u32>load<u8>(at) - 48;
    if (digit > 9) return false;
    // Above 2^64 − 1: no id.
    if (value > 1844674407370955161 || (value == 1844674407370955161 && digit > 5)) return false;
    value = value * 10 + <u64>digit;
  }
  parsedId = value;
  return true;
}

/** The first parseable id among the meaning's rules, in mapping order, else 0. */
function firstId(meaning: u32): u64 {
  for (let r: u32 = 0; r < ruleCount; r++) {
    const rule = rules + (<usize>r << 4);
    if (load<u32>(rule) != meaning) continue;
    const value = load<i32>(firstValues + (<usize>r << 2));
    if (value == NO_TEXT) continue;
    if (value < NO_TEXT) {
      // A number: always an id. Meanings read its uint64 (made so when negative), whose decimal
      // ids.ts reads as hex where the rule allows 16 hex digits and it has 16 digits.
      const id = load<u64>(madeNumbers + (<usize>(-2 - value) << 3));
      return load<u32>(rule, 4) == 1 && decimalDigits(id) == 16 ? decimalAsHex(id) : id;
    }
    if (parseId(<u32>value, load<u32>(rule, 4) == 1)) return parsedId;
  }
  return 0;
}

function firstText(meaning: u32): i32 {
  for (let r: u32 = 0; r < ruleCount; r++) {
    const rule = rules + (<usize>r << 4);
    if (load<u32>(rule) != meaning) continue;
    const value = load<i32>(firstValues + (<usize>r << 2));
    if (value != NO_TEXT) return value;
  }
  return NO_TEXT;
}

/** trace_id from its label's value: 1–32 hex digits, already lowercase; else none. */
function traceId(value: i32): i32 {
  if (value == NO_TEXT) return NO_TEXT;
  // A number's text as meanings read it: 1–20 decimal digits, lowercase hex as it stands.
  if (value < NO_TEXT) return value;
  // JavaScript drops a leading byte-order mark before matching; and lowercasing makes a new text.
  if (!isAscii(<u32>value)) bail(NON_ASCII);
  const from = stringFrom(<u32>value);
  const to = stringTo(<u32>value);
  if (to == from || to - from > 32) return NO_TEXT;
  let upper = false;
  for (let at = from; at < to; at++) {
    const c = <u32>load<u8>(at);
    if (c >= 65 && c <= 70) upper = true;
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return NO_TEXT;
  }
  if (upper) bail(MADE_TEXT);
  return value;
}

function addLabel(key: u32, value: u32): void {
  if (labelCount == labelCapacity) {
    const capacity = 2 * labelCapacity + 1024;
    const keys = alloc(<usize>capacity << 2);
    const values = alloc(<usize>capacity << 2);
    memory.copy(keys, labelKeys, <usize>labelCount << 2);
    memory.copy(values, labelValues, <usize>labelCount << 2);
    labelKeys = keys;
    labelValues = values;
    labelCapacity = capacity;
  }
  store<u32>(labelKeys + (<usize>labelCount << 2), key);
  store<u32>(labelValues + (<usize>labelCount << 2), value);
  labelCount++;
}

/** Builds the label set of the `count` Label records in [from, to), as LabelSetBuilder.build does. */
function buildLabelSet(from: usize, to: usize, count: u32): void {
  if (<f64>count > maxLabelsPerSample) bail(LIMIT);
  const set = setCount++;
  store<u32>(setLabelsFrom + (<usize>set << 2), labelCount);
  memory.fill(firstValues, 0xff, <usize>ruleCount << 2);
  pos = from;
  while (pos < to) {
    varint(to); // the tag of Sample field 3, checked when the sample was read
    const n = length(to);
    const end = pos + n;
    // Label: int64 key = 1, str = 2, num = 3, num_unit = 4 (key, str, num_unit: string indices)
    let key: u64 = 0;
    let str: u64 = 0;
    let num: u64 = 0;
    while (pos < end) {
      const tag = varint(end);
      const wireType = <u32>tag & 7;
      const field = tag >> 3;
      if (field >= 1 && field <= 4) {
        if (wireType != 0) bail(MALFORMED);
        const value = varint(end);
        if (field == 1) key = value;
        else if (field == 2) str = value;
        else if (field == 3) num = value;
      } else skip(wireType, end);
    }
    // As Go's profile reader does: a label with neither a string nor a number carries no value.
    if (str == 0 && num == 0) continue;
    checkString(key);
    let value: i32;
    // What the meanings (span id, …) read: the value, but for a negative number its uint64.
    let meaningValue: i32;
    if (str != 0) {
      checkString(str);
      checkLabelLength(<u32>str);
      value = <i32>str;
      meaningValue = value;
    } else {
      // Label.num is int64; its text is the signed decimal (a sign and up to 19 digits).
      const negative = <i64>num < 0;
      const digits = decimalDigits(negative ? <u64>(-<i64>num) : num) + (negative ? 1 : 0);
      if (<f64>digits > maxLabelValueBytes) bail(LIMIT);
      value = addMade(num, false);
      meaningValue = negative ? addMade(num, true) : value;
    }
    checkLabelLength(<u32>key);
    const found = rulesOfKey(<u32>key);
    if (found != 0) {
      for (let r: u32 = 0; r < ruleCount; r++) {
        const first = firstValues + (<usize>r << 2);
        if ((found & ((<u32>1) << r)) != 0 && load<i32>(first) == NO_TEXT) store<i32>(first, meaningValue);
      }
    }
    addLabel(<u32>key, <u32>value);
  }
  store<u32>(setLabelsFrom + (<usize>(set + 1) << 2), labelCount);
  store<u64>(setSpanIds + (<usize>set << 3), firstId(SPAN_ID));
  store<u64>(setLocalRootSpanIds + (<usize>set << 3), firstId(LOCAL_ROOT_SPAN_ID));
  store<i32>(setEndpoints + (<usize>set << 2), firstText(ENDPOINT));
  store<i32>(setTraceIds + (<usize>set << 2), traceId(firstText(TRACE_ID)));
}

// ---- samples ----

let rowCount: u32 = 0;
let rowTypes: usize = 0; // u32
let rowValues: usize = 0; // u64
let rowStacks: usize = 0; // u32
let rowLabelSets: usize = 0; // u32
let labelSetRecords: usize = 0;
let valuePieces: usize = 0; // u32 pairs (from, to), absolute
let valuePieceCapacity: u32 = 0;

function explode(): void {
  if (sampleTypeCount == 0) bail(MISSING);
  for (let i: u32 = 0; i < 2 * sampleTypeCount; i++) checkString(load<u64>(sampleTypes + (<usize>i << 3)));
  for (let f: u32 = 0; f < 3 * functionCount; f++) checkString(load<u64>(functionNames + (<usize>f << 3)));
  if (periodType == 1) {
    checkString(periodTypeType);
    checkString(periodTypeUnit);
  }
  const typeCount = sampleTypeCount;

  const frameCapacity = lineCount + locationCount + 1;
  frameIds = alloc(<usize>frameCapacity << 3);
  frameNames = alloc(<usize>frameCapacity << 2);
  frameSystemNames = alloc(<usize>frameCapacity << 2);
  frameFileNames = alloc(<usize>frameCapacity << 2);
  frameLines = alloc(<usize>frameCapacity << 3);
  frameById = newIdMap(frameCapacity);
  locationFramesFrom = allocFilled(<usize>locationCount << 2, 0xff);
  locationFrameCounts = alloc(<usize>locationCount << 2);
  locationFrameList = alloc(<usize>frameCapacity << 2);
  functionKeys = alloc(<usize>functionCount << 3);
  functionKeyKnown = allocFilled(<usize>functionCount, 0);
  const stackCapacity = sampleCount + 1;
  stackIds = alloc(<usize>stackCapacity << 3);
  stackLeaves = alloc(<usize>stackCapacity << 2);
  stackPaths = alloc(<usize>stackCapacity << 2);
  stackById = newIdMap(stackCapacity);
  // A stack is a leaf and a caller path: profiles have far fewer paths than stacks.
  callerPaths = newRangeMap(stackCapacity < 4096 ? stackCapacity : 4096, 65536);
  pathFramesFrom = alloc(<usize>stackCapacity << 2);
  pathFrameCounts = alloc(<usize>stackCapacity << 2);
  pathChains = alloc(<usize>stackCapacity << 3);
  labelSetRecords = newRangeMap(stackCapacity, 65536);
  setSpanIds = alloc(<usize>stackCapacity << 3);
  setLocalRootSpanIds = alloc(<usize>stackCapacity << 3);
  setEndpoints = alloc(<usize>stackCapacity << 2);
  setTraceIds = alloc(<usize>stackCapacity << 2);
  setLabelsFrom = alloc((<usize>stackCapacity + 1) << 2);
  keyCacheKeys = allocFilled(<usize>KEY_CACHE_SIZE << 2, 0xff);
  keyCacheRules = alloc(<usize>KEY_CACHE_SIZE << 2);
  firstValues = alloc(<usize>MAX_RULES << 2);

  // A row per value with a sample type: no more than values, nor than samples × types.
  let sampleBytes: u64 = 0;
  for (let s: u32 = 0; s < sampleCount; s++) {
    sampleBytes += <u64>(load<u32>(sampleEnds + (<usize>s << 2)) - load<u32>(sampleStarts + (<usize>s << 2)));
  }
  let rowCapacity = <u64>sampleCount * <u64>typeCount;
  if (sampleBytes < rowCapacity) rowCapacity = sampleBytes;
  if (<f64>rowCapacity > maxRowsPerProfile) rowCapacity = <u64>maxRowsPerProfile;
  rowTypes = alloc(<usize>rowCapacity << 2);
  rowValues = alloc(<usize>rowCapacity << 3);
  rowStacks = alloc(<usize>rowCapacity << 2);
  rowLabelSets = alloc(<usize>rowCapacity << 2);

  for (let s: u32 = 0; s < sampleCount; s++) {
    const end = <usize>load<u32>(sampleEnds + (<usize>s << 2));
    pos = <usize>load<u32>(sampleStarts + (<usize>s << 2));
    let locationsFrom: usize = 0;
    let locationsTo: usize = 0;
    let locationRecords: u32 = 0;
    let labelsFrom: usize = 0;
    let labelsTo: usize = 0;
    let sampleLabels: u32 = 0;
    let values: u32 = 0;
    // Sample: repeated uint64 location_id = 1, repeated int64 value = 2 (packed or not),
    // repeated Label label = 3.
    while (pos < end) {
      const tagAt = pos;
      const tag = varint(end);
      const wireType = <u32>tag & 7;
      const field = tag >> 3;
      if (field == 3) {
        if (wireType != 2) bail(MALFORMED);
        const n = length(end);
        pos += n;
        sampleLabels++;
        if (sampleLabels == 1) labelsFrom = tagAt;
        else if (labelsTo != tagAt) bail(SPLIT_RECORDS);
        labelsTo = pos;
      } else if (field == 1 || field == 2) {
        let from: usize;
        if (wireType == 2) {
          const n = length(end);
          from = pos;
          pos += n;
        } else if (wireType == 0) {
          from = pos;
          varint(end);
        } else {
          bail(MALFORMED);
          from = 0;
        }
        if (field == 1) {
          if (locationRecords++ > 0) bail(SPLIT_RECORDS);
          locationsFrom = from;
          locationsTo = pos;
        } else {
          if (values == valuePieceCapacity) {
            const capacity = 2 * valuePieceCapacity + 16;
            const pieces = alloc(<usize>capacity << 3);
            memory.copy(pieces, valuePieces, <usize>values << 3);
            valuePieces = pieces;
            valuePieceCapacity = capacity;
          }
          store<u32>(valuePieces + (<usize>values << 3), <u32>from);
          store<u32>(valuePieces + (<usize>values << 3), <u32>pos, 4);
          values++;
        }
      } else skip(wireType, end);
    }

    let stackIndex: u32;
    if (locationRecords == 1 && locationsTo > locationsFrom) stackIndex = stack(locationsFrom, locationsTo);
    else {
      // No locations (or one empty packed record): the stack of no frames.
      if (stackOfNoLocations < 0) {
        chainH = P5;
        chainG = 1 + P5;
        stackOfNoLocations = <i32>addStack(-1, -1, 0);
      }
      stackIndex = <u32>stackOfNoLocations;
    }

    // The label set, by the raw bytes of the sample's Label records; JavaScript builds new ones.
    const before = rangeMapSize(labelSetRecords);
    const labelSet = rangeMapFind(labelSetRecords, labelsFrom, labelsTo);
    if (rangeMapSize(labelSetRecords) != before) {
      buildLabelSet(labelsFrom, labelsTo, sampleLabels);
      pos = end;
    }

    // One row per value with a sample type and a non-zero value; extra values are ignored.
    let valueIndex: u32 = 0;
    for (let piece: u32 = 0; piece < values; piece++) {
      const to = <usize>load<u32>(valuePieces + (<usize>piece << 3), 4);
      pos = <usize>load<u32>(valuePieces + (<usize>piece << 3));
      while (pos < to) {
        const value = varint(to);
        const type = valueIndex++;
        if (type >= typeCount || value == 0) continue;
        if (<u64>rowCount == rowCapacity) bail(LIMIT); // past maxRowsPerProfile
        const row = <usize>(rowCount++);
        store<u32>(rowTypes + (row << 2), type);
        store<u64>(rowValues + (row << 3), value);
        store<u32>(rowStacks + (row << 2), stackIndex);
        store<u32>(rowLabelSets + (row << 2), labelSet);
      }
    }
  }
}


// ---- exports ----

let heapBase: usize = 0;

/**
 * Resets the heap and makes room for a profile of `size` bytes, then, 8-aligned after it, the
 * label mapping's rules (`rulesSize` bytes, see readRules); returns where to copy the profile.
 */
export function input(size: u32, rulesSize: u32): usize {
  if (heapBase == 0) heapBase = (__heap_base + 7) & ~(<usize>7);
  heapTop = heapBase;
  base = alloc(((<usize>size + 7) & ~(<usize>7)) + <usize>rulesSize + 8);
  return base;
}

/** Decodes the profile copied to `input`: 0, or a call to `bail` (a JavaScript exception). */
export function decode(
  size: u32,
  seedBytes: u32,
  seedIds: u32,
  maxSamples: f64,
  maxFrames: f64,
  maxLabels: f64,
  maxValueBytes: f64,
  maxRecords: f64,
  maxRows: f64,
): i32 {
  bytesSeed = seedBytes;
  idSeed = seedIds;
  maxStackFrames = maxFrames;
  framesBuilt = 0;
  sampleCount = 0;
  sampleCountSeen = 0;
  stringCount = 0;
  sampleTypeCount = 0;
  periodType = 0;
  periodTypeType = 0;
  periodTypeUnit = 0;
  timeNanos = 0;
  durationNanos = 0;
  period = 0;
  locationCount = 0;
  lineCount = 0;
  functionCount = 0;
  frameCount = 0;
  locationFrameListLength = 0;
  frameTextCapacity = 0;
  stackCount = 0;
  stackOfNoLocations = -1;
  pathFrameListLength = 0;
  pathFrameListCapacity = 0;
  rowCount = 0;
  valuePieceCapacity = 0;
  setCount = 0;
  labelCount = 0;
  labelCapacity = 0;
  madeCount = 0;
  madeCapacity = 0;
  maxLabelsPerSample = maxLabels;
  maxLabelValueBytes = maxValueBytes;
  maxSamplesPerProfile = maxSamples;
  maxProfileRecords = maxRecords;
  maxRowsPerProfile = maxRows;
  const end = base + <usize>size;
  readRules(base + ((<usize>size + 7) & ~(<usize>7)));
  count(end);
  scan(end);
  explode();
  return 0;
}

// Results, by field number (see wasm-decoder.ts).
export function result(field: i32): f64 {
  switch (field) {
    case 0: return <f64>sampleCount;
    case 1: return <f64>stringCount;
    case 2: return <f64>(stringStarts);
    case 3: return <f64>(stringEnds);
    case 4: return <f64>sampleTypeCount;
    case 5: return <f64>sampleTypes;
    case 6: return <f64>periodType;
    case 7: return <f64>periodTypeType;
    case 8: return <f64>periodTypeUnit;
    case 9: return <f64>(timeNanos >> 32);
    case 10: return <f64>(timeNanos & 0xffffffff);
    case 11: return <f64>(durationNanos >> 32);
    case 12: return <f64>(durationNanos & 0xffffffff);
    case 13: return <f64>(period >> 32);
    case 14: return <f64>(period & 0xffffffff);
    case 15: return <f64>locationCount;
    case 16: return <f64>locationAddresses;
    case 17: return <f64>frameCount;
    case 18: return <f64>frameIds;
    case 19: return <f64>frameNames;
    case 21: return <f64>frameSystemNames;
    case 22: return <f64>frameFileNames;
    case 23: return <f64>frameLines;
    case 24: return <f64>stackCount;
    case 25: return <f64>stackIds;
    case 26: return <f64>stackLeaves;
    case 27: return <f64>stackPaths;
    case 28: return <f64>locationFramesFrom;
    case 29: return <f64>locationFrameCounts;
    case 30: return <f64>locationFrameList;
    case 31: return <f64>rangeMapSize(callerPaths);
    case 32: return <f64>pathFramesFrom;
    case 33: return <f64>pathFrameCounts;
    case 34: return <f64>pathFrameList;
    case 35: return <f64>rowCount;
    case 36: return <f64>rowTypes;
    case 37: return <f64>rowValues;
    case 38: return <f64>rowStacks;
    case 39: return <f64>rowLabelSets;
    case 40: return <f64>setCount;
    case 41: return <f64>setSpanIds;
    case 42: return <f64>setLocalRootSpanIds;
    case 43: return <f64>base;
    case 44: return <f64>pathFrameListLength;
    case 45: return <f64>locationFrameListLength;
    case 46: return <f64>setEndpoints;
    case 47: return <f64>setTraceIds;
    case 48: return <f64>setLabelsFrom;
    case 49: return <f64>labelCount;
    case 50: return <f64>labelKeys;
    case 51: return <f64>labelValues;
    case 52: return <f64>madeCount;
    case 53: return <f64>madeNumbers;
    case 54: return <f64>madeUnsigned;
    default: return -1;
  }
}
