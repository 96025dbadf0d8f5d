import type { CompactSamples } from '../../pprof/index.js';

/**
 * Bytes of label text (keys and values, UTF-8) the `samples` rows of a profile write: each row
 * carries its label set's text, so a few samples of many long labels under many sample types
 * write far more than the profile's size. Counted from the columns, before anything is encoded.
 */
export function labelBytesWritten(samples: CompactSamples): number {
  const sets = samples.labelSets;
  const bytesOfSet = new Float64Array(sets.count);
  for (let set = 0; set < sets.count; set++) {
    let bytes = 0;
    const to = sets.labelsFrom[set + 1] as number;
    for (let label = sets.labelsFrom[set] as number; label < to; label++) {
      bytes += sets.utf8Length(sets.labelKeys[label] as number) + sets.utf8Length(sets.labelValues[label] as number);
    }
    bytesOfSet[set] = bytes;
  }
  let total = 0;
  for (let row = 0; row < samples.rowCount; row++) total += bytesOfSet[samples.labelSetIndex[row] as number] as number;
  return total;
}
