/**
 * Where a sample's location ids, values or label records sit in the profile: [from, to) byte
 * ranges. Nearly always one range; protobuf allows a repeated field to come in several records,
 * interleaved with others, and then there are more.
 */
export interface Pieces {
  first: number;
  firstEnd: number;
  /** Further ranges, as from, to pairs (rare: fields split in several records). */
  more: number[];
}

export const newPieces = (): Pieces => ({ first: -1, firstEnd: -1, more: [] });

export function clearPieces(pieces: Pieces): void {
  pieces.first = -1;
  pieces.firstEnd = -1;
  if (pieces.more.length > 0) pieces.more.length = 0;
}

export function addPiece(pieces: Pieces, from: number, to: number, joinAdjacent: boolean): void {
  const more = pieces.more;
  if (pieces.first < 0) {
    pieces.first = from;
    pieces.firstEnd = to;
  } else if (joinAdjacent && more.length === 0 && pieces.firstEnd === from) {
    pieces.firstEnd = to;
  } else if (joinAdjacent && more[more.length - 1] === from) {
    more[more.length - 1] = to;
  } else {
    more.push(from, to);
  }
}

/** Piece -2 is the first range, 0, 2, … the further ones: `for (p = firstPiece(x); p < x.more.length; p += 2)`. */
export const pieceStart = (pieces: Pieces, piece: number): number =>
  piece < 0 ? pieces.first : (pieces.more[piece] as number);
export const pieceEnd = (pieces: Pieces, piece: number): number =>
  piece < 0 ? pieces.firstEnd : (pieces.more[piece + 1] as number);
/** The first piece to visit: -2, or past the end when there is none. */
export const firstPiece = (pieces: Pieces): number => (pieces.first < 0 ? pieces.more.length : -2);

/** The pieces' raw bytes as a Map key: one latin1 char per byte, '\u0100' between pieces. */
export function piecesKey(text: Buffer, pieces: Pieces): string {
  if (pieces.first < 0) return '';
  let key = text.toString('latin1', pieces.first, pieces.firstEnd);
  for (let piece = 0; piece < pieces.more.length; piece += 2) {
    key += `\u0100${text.toString('latin1', pieces.more[piece], pieces.more[piece + 1])}`;
  }
  return key;
}
