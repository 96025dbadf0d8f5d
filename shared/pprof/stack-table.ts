import { unprocessable } from '../platform/errors.js';
import { frameIdOfLine, StackChain, xxh32Pair } from './content-ids.js';
import { FrameTexts } from './frame-texts.js';
import { ByteRangeMap, Uint64Map } from './lookup-tables.js';
import { firstPiece, type Pieces, pieceEnd, pieceStart, piecesKey } from './pieces.js';
import type { IdKey, ProfileIndex } from './profile-scan.js';
import { growInt32, growUint32 } from './typed-arrays.js';
import type { FrameColumns, FrameList } from './types.js';

import { HI, LO } from './wire.js';

const NO_FRAMES: readonly number[] = [];
/** Leaves of up to this many frames are chained again for every sample (see `stack`). */
const LEAF_FRAMES_CHAINED = 8;

/**
 * The frames and stacks of one profile, with their content ids (content-ids.ts).
 *
 * A stack is found from a sample's packed location ids without decoding them all: its leaf
 * location, then the rest — the caller path — by its raw bytes. Stacks that differ only in their
 * leaf share the caller path: its frames and its part of the stack-id chain (root first) are
 * computed once, and a new stack costs its leaf's frames. Frames are found per location, once.
 *
 * Ids are computed for every frame and stack; rows are not. A stack is kept as (leaf location,
 * caller path) and a frame as string indices, and `frameRow`, `stackLeafFrames` and
 * `stackCallerFrames` give them on demand: the consumer asks only for frames and stacks it has
 * not inserted before, which in a steady stream of one service's profiles are few.
 */
export class StackTable {
  /** The last id a content-ids.ts function wrote: [high 32 bits, low 32 bits]. */
  private readonly contentId = new Uint32Array(2);
  frameCount = 0;
  /** frame_id per frame: hi/lo words, laid out for a BigUint64Array view. */
  frameIdWords = new Uint32Array(512);
  // Per frame: its texts (FrameTexts refs: the name ≤ -2 when it is its location's address) and line.
  private frameNames = new Int32Array(256);
  private frameSystemNames = new Int32Array(256);
  private frameFileNames = new Int32Array(256);
  private frameLines = new Float64Array(256);
  private readonly frameById: Uint64Map;
  // A location's frames, once found, are locationFrameList[from, from + count) (from -1: not yet):
  // flat, so a sample's leaf costs no pointer chase to a list of its own.
  private readonly locationFramesFrom: Int32Array;
  private readonly locationFrameCounts: Int32Array;
  private locationFrameList = new Int32Array(1024);
  private locationFrameListLength = 0;
  /** Where a function's text is put together to be hashed. */
  private frameText = new Uint8Array(1024);
  private frameTextView = new DataView(this.frameText.buffer);
  /** Per function: its key (content-ids.ts), two entries, once `functionKeyKnown`. */
  private readonly functionKeys: Int32Array;
  private readonly functionKeyKnown: Uint8Array;

  stackIdWords = new Uint32Array(512);
  stackCount = 0;
  /** Per stack: its leaf location and caller path (-1: none), or, for others, its frames in `stackOwnFrames`. */
  private stackLeaves = new Int32Array(256);
  private stackPaths = new Int32Array(256);
  private readonly stackOwnFrames = new Map<number, readonly number[]>();
  private readonly stackById: Uint64Map;
  // Stacks by leaf location and caller path, for leaves of many frames (see `stack`); stacks of
  // samples whose ids come split over several records (rare), by the key text of those records.
  private readonly stackByLeafAndPath: Uint64Map;
  private readonly stackBySplitLocations = new Map<string, number>();
  private stackOfNoLocations = -1;
  private readonly callerPathByLocations: ByteRangeMap;
  /** Per caller path (the locations after a stack's leaf): its frames, leaf first… */
  private readonly callerPathFrames: number[][] = [];
  /** …and the stack-id chain over them (two entries per path). */
  private callerPathChains = new Int32Array(512);
  /** The chain of the stack being hashed. */
  private readonly chainState = new Int32Array(2);
  private readonly text: Buffer;

  /** Frames built so far for distinct stacks and caller paths, against `maxStackFrames`. */
  private framesBuilt = 0;

  constructor(
    private readonly profile: ProfileIndex,
    data: Uint8Array,
    private readonly maxStackFrames: number,
  ) {
    const locationCount = profile.locationIds.length;
    // Sized for what the profile can hold (growing rehashes everything), within reason.
    const expectedStacks = Math.min(profile.sampleStarts.length, 1 << 16);
    this.locationFramesFrom = new Int32Array(locationCount).fill(-1);
    this.locationFrameCounts = new Int32Array(locationCount);
    this.functionKeys = new Int32Array(2 * profile.functionNames.length);
    this.functionKeyKnown = new Uint8Array(profile.functionNames.length);
    this.frameById = new Uint64Map(Math.min(locationCount + profile.lineNumbers.length, 1 << 16));
    this.stackById = new Uint64Map(expectedStacks);
    this.stackByLeafAndPath = new Uint64Map(256);
    this.callerPathByLocations = new ByteRangeMap(data, Math.min(expectedStacks, 4096));
    this.text = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  private utf8Length(index: number): number {
    return index < 0 ? 0 : this.profile.strings.byteLength(index, 'frame string');
  }

  /** `frameText`, with room for `needed` bytes (`frameTextView` views the same). */
  private frameTextOf(needed: number): Uint8Array {
    if (needed > this.frameText.length) {
      this.frameText = new Uint8Array(2 * needed);
      this.frameTextView = new DataView(this.frameText.buffer);
    }
    return this.frameText;
  }

  /** The key (content-ids.ts) of function `fn` into this.contentId, hashed once per profile. */
  private functionKey(nameIndex: number, systemIndex: number, fileIndex: number, fn: number): void {
    if (this.functionKeyKnown[fn] === 1) {
      this.contentId[0] = this.functionKeys[2 * fn] as number;
      this.contentId[1] = this.functionKeys[2 * fn + 1] as number;
      return;
    }
    const strings = this.profile.strings;
    const text = this.frameTextOf(
      this.utf8Length(nameIndex) + this.utf8Length(systemIndex) + this.utf8Length(fileIndex) + 2,
    );
    const view = this.frameTextView;
    let at = strings.copyUtf8(nameIndex, 'function name', view, 0);
    text[at++] = 0;
    at = strings.copyUtf8(systemIndex, 'function system name', view, at);
    text[at++] = 0;
    at = strings.copyUtf8(fileIndex, 'function file name', view, at);
    xxh32Pair(text, 0, at, this.contentId);
    this.functionKeys[2 * fn] = this.contentId[0] as number;
    this.functionKeys[2 * fn + 1] = this.contentId[1] as number;
    this.functionKeyKnown[fn] = 1;
  }

  /** The key of a frame named `name` (an address, ASCII) with these system and file names (-1: none). */
  private textKey(name: string, systemIndex: number, fileIndex: number): void {
    const strings = this.profile.strings;
    const text = this.frameTextOf(name.length + this.utf8Length(systemIndex) + this.utf8Length(fileIndex) + 2);
    const view = this.frameTextView;
    let at = 0;
    for (let i = 0; i < name.length; i++) text[at++] = name.charCodeAt(i);
    text[at++] = 0;
    if (systemIndex >= 0) at = strings.copyUtf8(systemIndex, 'function system name', view, at);
    text[at++] = 0;
    if (fileIndex >= 0) at = strings.copyUtf8(fileIndex, 'function file name', view, at);
    xxh32Pair(text, 0, at, this.contentId);
  }

  /** The frame (index into `frames`) of a location's line, or of the location itself (`line` < 0). */
  private frame(location: number, line: number): number {
    const { profile } = this;
    const strings = profile.strings;
    // The string index of the name when it is the function's (else an address, ASCII), and of the
    // function's system and file names (-1: none).
    let nameIndex = -1;
    let systemIndex = -1;
    let fileIndex = -1;
    let lineNumber = 0;
    let fn = -1;
    if (line >= 0) {
      const functionId = profile.lineFunctionIds[line] as IdKey;
      fn = profile.functionOf(functionId);
      if (fn < 0) {
        throw unprocessable(`location ${profile.locationIds[location]} refers to missing function ${functionId}`);
      }
      nameIndex = profile.functionNames[fn] as number;
      systemIndex = profile.functionSystemNames[fn] as number;
      fileIndex = profile.functionFileNames[fn] as number;
      lineNumber = profile.lineNumbers[line] as number;
      // A function without a name is named by the location's address, as in the reference.
      if (strings.byteLength(nameIndex, 'function name') === 0) nameIndex = -1;
    }
    if (nameIndex >= 0) {
      this.functionKey(nameIndex, systemIndex, fileIndex, fn);
    } else {
      this.textKey(profile.addressName(location), systemIndex, fileIndex);
    }
    frameIdOfLine(this.contentId[0] as number, this.contentId[1] as number, lineNumber, this.contentId);
    const idHi = this.contentId[0] as number;
    const idLo = this.contentId[1] as number;

    const known = this.frameById.get(idHi, idLo);
    if (known >= 0) return known;
    const index = this.frameCount++;
    this.frameById.set(idHi, idLo, index);
    if (index + 1 > this.frameNames.length) {
      const size = 2 * index + 2;
      this.frameIdWords = growUint32(this.frameIdWords, 2 * size);
      this.frameNames = growInt32(this.frameNames, size);
      this.frameSystemNames = growInt32(this.frameSystemNames, size);
      this.frameFileNames = growInt32(this.frameFileNames, size);
      const lines = new Float64Array(size);
      lines.set(this.frameLines);
      this.frameLines = lines;
    }
    this.frameIdWords[2 * index + LO] = idLo;
    this.frameIdWords[2 * index + HI] = idHi;
    this.frameNames[index] = nameIndex >= 0 ? nameIndex : -2 - location;
    this.frameSystemNames[index] = systemIndex;
    this.frameFileNames[index] = fileIndex;
    this.frameLines[index] = lineNumber;
    return index;
  }

  /** The frames in columns (views of the table's own). */
  frameColumns(): FrameColumns {
    const count = this.frameCount;
    return {
      names: this.frameNames.subarray(0, count),
      systemNames: this.frameSystemNames.subarray(0, count),
      fileNames: this.frameFileNames.subarray(0, count),
      lines: this.frameLines.subarray(0, count),
      texts: new FrameTexts(this.profile.strings, (location) => this.profile.addressName(location)),
    };
  }

  /** Stack `stack`'s first frames, from the leaf (its leaf location's); `stackCallerFrames` has the rest. */
  stackLeafFrames(stack: number): FrameList {
    const leaf = this.stackLeaves[stack] as number;
    if (leaf >= 0) {
      const from = this.locationFramesFrom[leaf] as number;
      return this.locationFrameList.subarray(from, from + (this.locationFrameCounts[leaf] as number));
    }
    return this.stackOwnFrames.get(stack) ?? NO_FRAMES;
  }

  /** Stack `stack`'s frames after `stackLeafFrames`, to the root. */
  stackCallerFrames(stack: number): FrameList {
    const path = this.stackPaths[stack] as number;
    return path >= 0 ? (this.callerPathFrames[path] as number[]) : NO_FRAMES;
  }

  /**
   * A location's frames. pprof lists a location's lines innermost first (the last entry is the
   * caller the others were inlined into), and a sample's locations leaf first: concatenating
   * keeps the stack leaf first. A location without lines is one frame named by its address.
   */
  private locationFrames(location: number): number {
    const known = this.locationFramesFrom[location] as number;
    if (known >= 0) return known;
    const { profile } = this;
    const from = profile.locationLinesFrom[location] as number;
    const to = profile.locationLinesTo[location] as number;
    const start = this.locationFrameListLength;
    if (start + Math.max(1, to - from) > this.locationFrameList.length) {
      this.locationFrameList = growInt32(this.locationFrameList, 2 * (start + Math.max(1, to - from)));
    }
    if (from === to) this.locationFrameList[this.locationFrameListLength++] = this.frame(location, -1);
    for (let line = from; line < to; line++) {
      this.locationFrameList[this.locationFrameListLength++] = this.frame(location, line);
    }
    this.locationFramesFrom[location] = start;
    this.locationFrameCounts[location] = this.locationFrameListLength - start;
    return start;
  }

  /** Appends the frames of the locations whose packed ids sit in [from, to). */
  private framesOfRange(frames: number[], from: number, to: number): void {
    const { profile } = this;
    const reader = profile.reader;
    reader.pos = from;
    reader.end = to;
    while (reader.pos < to) {
      const location = profile.locationOf(profile.idKey(reader.varint()));
      const start = this.locationFrames(location);
      const count = this.locationFrameCounts[location] as number;
      // Checked as the list grows: one list alone may be what is too long.
      if (this.framesBuilt + frames.length + count > this.maxStackFrames) this.tooManyFrames();
      const list = this.locationFrameList;
      for (let i = start; i < start + count; i++) frames.push(list[i] as number);
    }
  }

  /** Counts frames built for a distinct stack or caller path against `maxStackFrames`. */
  private countFrames(count: number): void {
    this.framesBuilt += count;
    if (this.framesBuilt > this.maxStackFrames) this.tooManyFrames();
  }

  private tooManyFrames(): never {
    throw unprocessable(
      `profile's distinct stacks hold more than ${this.maxStackFrames} frames (HOTSPOTS_MAX_STACK_FRAMES)`,
    );
  }

  /** Continues the chain in `state` at `at` over `frames`, from the last to the first (root first). */
  private chain(state: Int32Array, at: number, frames: readonly number[]): void {
    const ids = this.frameIdWords;
    for (let i = frames.length - 1; i >= 0; i--) {
      const frame = frames[i] as number;
      StackChain.step(state, at, ids[2 * frame + HI] as number, ids[2 * frame + LO] as number);
    }
  }

  /**
   * The same over the leaf frames list[from, to): a loop of its own, so that the one run for
   * every sample reads a single kind of array (Int32Array; `chain` reads the callers' arrays).
   */
  private chainList(state: Int32Array, at: number, list: Int32Array, from: number, to: number): void {
    const ids = this.frameIdWords;
    for (let i = to - 1; i >= from; i--) {
      const frame = list[i] as number;
      StackChain.step(state, at, ids[2 * frame + HI] as number, ids[2 * frame + LO] as number);
    }
  }

  /**
   * The stack whose id is in this.contentId: leaf location `leaf` then caller path `path`, or (leaf
   * -1) the frames `own`.
   */
  private addStack(leaf: number, path: number, own: readonly number[], frameCount: number): number {
    const idHi = this.contentId[0] as number;
    const idLo = this.contentId[1] as number;
    const known = this.stackById.get(idHi, idLo);
    if (known >= 0) return known; // seen before, or another location list with the same frames
    this.countFrames(frameCount);
    const index = this.stackCount++;
    this.stackById.set(idHi, idLo, index);
    if (index + 1 > this.stackLeaves.length) {
      const size = 2 * index + 2;
      this.stackIdWords = growUint32(this.stackIdWords, 2 * size);
      this.stackLeaves = growInt32(this.stackLeaves, size);
      this.stackPaths = growInt32(this.stackPaths, size);
    }
    this.stackIdWords[2 * index + LO] = idLo;
    this.stackIdWords[2 * index + HI] = idHi;
    this.stackLeaves[index] = leaf;
    this.stackPaths[index] = path;
    if (leaf < 0 && own.length > 0) this.stackOwnFrames.set(index, own);
    return index;
  }

  /** The stack of the packed location ids in [from, to), at least one. */
  stack(from: number, to: number): number {
    const { profile } = this;
    const reader = profile.reader;
    reader.pos = from;
    reader.end = to;
    const leaf = profile.locationOf(profile.idKey(reader.varint()));
    const callersFrom = reader.pos;
    // Frames are listed in the order stacks first reach them: the leaf's before its callers'.
    const leafFrom = this.locationFrames(leaf);
    const leafCount = this.locationFrameCounts[leaf] as number;
    let path = -1;
    if (callersFrom < to) {
      path = this.callerPathByLocations.get(callersFrom, to);
      if (path < 0) {
        const frames: number[] = [];
        this.framesOfRange(frames, callersFrom, to);
        this.countFrames(frames.length);
        path = this.callerPathFrames.length;
        this.callerPathFrames.push(frames);
        if (2 * path + 2 > this.callerPathChains.length) {
          const chains = new Int32Array(4 * path + 4);
          chains.set(this.callerPathChains);
          this.callerPathChains = chains;
        }
        StackChain.start(this.callerPathChains, 2 * path);
        this.chain(this.callerPathChains, 2 * path, frames);
        this.callerPathByLocations.set(callersFrom, to, path);
      }
    }
    // A stack is found by its id: the chain over the leaf's frames is cheap to redo for a stack
    // seen before, cheaper than one more table of every stack. A leaf of many frames (a location
    // can have any number of lines) is looked up by (leaf, path) instead, bounding a sample's work.
    const manyFrames = leafCount > LEAF_FRAMES_CHAINED;
    if (manyFrames) {
      const known = this.stackByLeafAndPath.get(leaf, path >>> 0);
      if (known >= 0) return known;
    }
    const state = this.chainState;
    const callers = path < 0 ? NO_FRAMES : (this.callerPathFrames[path] as number[]);
    if (path < 0) StackChain.start(state, 0);
    else {
      state[0] = this.callerPathChains[2 * path] as number;
      state[1] = this.callerPathChains[2 * path + 1] as number;
    }
    this.chainList(state, 0, this.locationFrameList, leafFrom, leafFrom + leafCount);
    StackChain.finish(state, 0, leafCount + callers.length, this.contentId);
    const index = this.addStack(leaf, path, NO_FRAMES, leafCount + callers.length);
    if (manyFrames) this.stackByLeafAndPath.set(leaf, path >>> 0, index);
    return index;
  }

  /** The stack of a sample whose location ids come in several records, or none. */
  splitStack(pieces: Pieces): number {
    if (pieces.first < 0 || (pieces.first === pieces.firstEnd && pieces.more.length === 0)) {
      if (this.stackOfNoLocations < 0) {
        StackChain.start(this.chainState, 0);
        StackChain.finish(this.chainState, 0, 0, this.contentId);
        this.stackOfNoLocations = this.addStack(-1, -1, NO_FRAMES, 0);
      }
      return this.stackOfNoLocations;
    }
    const key = piecesKey(this.text, pieces);
    const known = this.stackBySplitLocations.get(key);
    if (known !== undefined) return known;
    const frames: number[] = [];
    for (let piece = firstPiece(pieces); piece < pieces.more.length; piece += 2) {
      this.framesOfRange(frames, pieceStart(pieces, piece), pieceEnd(pieces, piece));
    }
    StackChain.start(this.chainState, 0);
    this.chain(this.chainState, 0, frames);
    StackChain.finish(this.chainState, 0, frames.length, this.contentId);
    const index = this.addStack(-1, -1, frames, frames.length);
    this.stackBySplitLocations.set(key, index);
    return index;
  }
}
