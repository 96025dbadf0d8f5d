import { describe, expect, it } from 'vitest';
import { defaultLabelMapping } from '../../shared/platform/labels.js';
import { labelBytesWritten } from '../../shared/profiles/rows/label-bytes.js';
import { explodeProfileCompact, explodeProfileCompactJs } from '../support/decoders.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { testExplodeLimits, testProfileContext } from '../support/profile-context.js';

describe('labelBytesWritten', () => {
  // Each sample makes two rows (samples/count and cpu/nanoseconds), each carrying its labels' text.
  const bytes = buildCpuProfile({
    samples: [
      { stack: ['main.a'], cpuNs: 20_000_000n, labels: { 'trace endpoint': 'GET /a', 'span id': '7' } },
      { stack: ['main.b'], cpuNs: 10_000_000n, labels: { k: 'vé' } },
      { stack: ['main.c'], cpuNs: 30_000_000n },
    ],
  });
  const expected = 2 * ('trace endpoint'.length + 'GET /a'.length + 'span id'.length + 1) + 2 * (1 + 3);

  for (const [name, decode] of [
    ['the WebAssembly decoder', explodeProfileCompact],
    ['the JavaScript decoder', explodeProfileCompactJs],
  ] as const) {
    it(`counts the UTF-8 of every row's label keys and values (${name})`, () => {
      const decoded = decode(bytes, testProfileContext, defaultLabelMapping, testExplodeLimits);

      expect(labelBytesWritten(decoded.compact)).toBe(expected);
    });
  }
});
