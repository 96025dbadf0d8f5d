/** Text that compresses well but not trivially, so both codecs do real work. */
export function sampleText(bytes: number): Uint8Array {
  const words = ['runtime.mallocgc', 'net/http.(*conn).serve', 'main.checkout', 'span id', '🚀', 'endpoint'];
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i += 1) {
    const word = `${words[i % words.length]}:${i};`;
    parts.push(word);
    length += Buffer.byteLength(word);
  }
  return Buffer.from(parts.join(''), 'utf8').subarray(0, bytes);
}
