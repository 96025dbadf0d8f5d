import type { ProfileStrings } from './profile-strings.js';
import { type CompactSamples, type FrameColumns, type FrameFields, NO_TEXT, type TextSource } from './types.js';

/**
 * A frame's texts as refs, so that an encoder copies their UTF-8 from the profile
 * (RowBinaryWriter.stringFrom) instead of making a JS string each: a ref ≥ 0 is a string of the
 * profile's table, NO_TEXT none (''), and a ref ≤ -2 the address of location -2 - ref, the
 * name of a frame whose function has none (ASCII hex, made when asked for).
 */
export class FrameTexts implements TextSource {
  constructor(
    private readonly strings: ProfileStrings,
    private readonly addressName: (location: number) => string,
  ) {}

  text(ref: number): string {
    if (ref === NO_TEXT) return '';
    return ref >= 0 ? this.strings.get(ref, 'frame string') : this.addressName(-2 - ref);
  }

  utf8Length(ref: number): number {
    if (ref === NO_TEXT) return 0;
    return ref >= 0 ? this.strings.byteLength(ref, 'frame string') : this.addressName(-2 - ref).length;
  }

  copyUtf8(ref: number, target: DataView, at: number): number {
    if (ref === NO_TEXT) return at;
    if (ref >= 0) return this.strings.copyUtf8(ref, 'frame string', target, at);
    const name = this.addressName(-2 - ref);
    for (let i = 0; i < name.length; i++) target.setUint8(at + i, name.charCodeAt(i));
    return at + name.length;
  }
}

/** Frame `frame`'s fields as strings (rows for tests and the reference's shape). */
export function frameFieldsOf(frames: FrameColumns, frame: number): FrameFields {
  return {
    function_name: frames.texts.text(frames.names[frame] as number),
    system_name: frames.texts.text(frames.systemNames[frame] as number),
    file_name: frames.texts.text(frames.fileNames[frame] as number),
    line: frames.lines[frame] as number,
  };
}

/** The frame members of CompactSamples, from the frames' ids and columns. */
export function frameAccess(
  frameIds: BigUint64Array,
  frames: FrameColumns,
): Pick<CompactSamples, 'frameIds' | 'frames' | 'frameRow' | 'frameFields'> {
  return {
    frameIds,
    frames,
    frameRow: (frame, tenant) => ({ tenant, frame_id: String(frameIds[frame]), ...frameFieldsOf(frames, frame) }),
    frameFields: (frame) => frameFieldsOf(frames, frame),
  };
}
