/** A copy of `column` with room for `size` entries (the decoder's tables grow by doubling). */
export function growUint32(column: Uint32Array, size: number): Uint32Array<ArrayBuffer> {
  const grown = new Uint32Array(size);
  grown.set(column);
  return grown;
}

export function growInt32(column: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(size);
  grown.set(column);
  return grown;
}
