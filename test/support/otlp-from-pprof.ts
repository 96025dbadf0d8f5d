import { Profile } from 'pprof-format';
import { ExportProfilesServiceRequest } from '../../shared/profiles/otlp/otlp-schema.js';

/**
 * A pprof as an OTLP ExportProfilesServiceRequest of one resource and one profile (cpu/nanoseconds
 * values, labels as string-table attributes, no links: the Collector's pprof translator's shape),
 * for benchmarks. The e2e tests use the Collector's own code instead (test/go/otlp-profiles-exporter).
 */
export function otlpRequestFromPprof(pprof: Uint8Array, service: string): Uint8Array {
  const p = Profile.decode(pprof);
  const text = (i: number | bigint) => p.stringTable.strings[Number(i)] ?? '';
  const cpu = p.sampleType.findIndex((t) => text(t.type) === 'cpu' && text(t.unit) === 'nanoseconds');
  if (cpu < 0) throw new Error('the pprof has no cpu/nanoseconds sample type');
  const strings = [''];
  const stringIndex = new Map([['', 0]]);
  const str = (s: string) => {
    let i = stringIndex.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      stringIndex.set(s, i);
    }
    return i;
  };
  const functionIndex = new Map(p.function.map((f, i) => [Number(f.id), i + 1]));
  const locationIndex = new Map(p.location.map((l, i) => [Number(l.id), i + 1]));
  const attributes: object[] = [{}];
  const attributeIndex = new Map<string, number>();
  const attribute = (key: string, value: string) => {
    const k = `${key}\u0000${value}`;
    let i = attributeIndex.get(k);
    if (i === undefined) {
      i = attributes.length;
      attributes.push({ keyStrindex: str(key), value: { stringValue: value } });
      attributeIndex.set(k, i);
    }
    return i;
  };
  const stacks: object[] = [{}];
  const stackIndex = new Map<string, number>();
  const samples = p.sample.map((s) => {
    const locations = s.locationId.map((id) => locationIndex.get(Number(id)) ?? 0);
    const key = locations.join(',');
    let stack = stackIndex.get(key);
    if (stack === undefined) {
      stack = stacks.length;
      stacks.push({ locationIndices: locations });
      stackIndex.set(key, stack);
    }
    return {
      stackIndex: stack,
      values: [String(s.value[cpu])],
      attributeIndices: s.label.map((l) => attribute(text(l.key), Number(l.str) !== 0 ? text(l.str) : String(l.num))),
    };
  });
  const request = {
    resourceProfiles: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeProfiles: [
          {
            profiles: [
              {
                sampleType: { typeStrindex: str('cpu'), unitStrindex: str('nanoseconds') },
                periodType: { typeStrindex: str('cpu'), unitStrindex: str('nanoseconds') },
                period: String(p.period),
                timeUnixNano: String(p.timeNanos),
                durationNano: String(p.durationNanos),
                samples,
              },
            ],
          },
        ],
      },
    ],
    dictionary: {
      mappingTable: [{}],
      locationTable: [
        {},
        ...p.location.map((l) => ({
          address: String(l.address),
          lines: l.line.map((line) => ({
            functionIndex: functionIndex.get(Number(line.functionId)) ?? 0,
            line: String(line.line),
            column: String(line.column),
          })),
        })),
      ],
      functionTable: [
        {},
        ...p.function.map((f) => ({
          nameStrindex: str(text(f.name)),
          systemNameStrindex: str(text(f.systemName)),
          filenameStrindex: str(text(f.filename)),
          startLine: String(f.startLine),
        })),
      ],
      linkTable: [{}],
      stringTable: strings,
      attributeTable: attributes,
      stackTable: stacks,
    },
  };
  return ExportProfilesServiceRequest.encode(ExportProfilesServiceRequest.fromObject(request)).finish();
}
