import { badRequest } from '../../platform/errors.js';
import { ExportProfilesServiceRequest } from './otlp-schema.js';

/**
 * An `ExportProfilesServiceRequest` (opentelemetry-proto profiles/v1development), decoded from
 * binary protobuf or OTLP/JSON into one normalised shape: camelCase fields, 64-bit integers as
 * decimal strings, bytes as Uint8Array, absent repeated fields as empty arrays. Nothing here
 * checks references between tables: `to-pprof.ts` does, per profile.
 */
export type OtlpBodyFormat = 'protobuf' | 'json';

export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  bytesValue?: Uint8Array;
  arrayValue?: { values: OtlpAnyValue[] };
  kvlistValue?: { values: OtlpKeyValue[] };
  stringValueStrindex?: number;
}

export interface OtlpKeyValue {
  key?: string;
  keyStrindex?: number;
  value?: OtlpAnyValue;
}

export interface OtlpKeyValueAndUnit {
  keyStrindex?: number;
  value?: OtlpAnyValue;
  unitStrindex?: number;
}

export interface OtlpValueType {
  typeStrindex?: number;
  unitStrindex?: number;
}

export interface OtlpSample {
  stackIndex?: number;
  attributeIndices: number[];
  linkIndex?: number;
  values: string[];
  timestampsUnixNano: string[];
}

export interface OtlpProfile {
  sampleType?: OtlpValueType;
  samples: OtlpSample[];
  timeUnixNano?: string;
  durationNano?: string;
  periodType?: OtlpValueType;
  period?: string;
  profileId?: Uint8Array;
  attributeIndices: number[];
}

export interface OtlpDictionary {
  mappingTable: {
    memoryStart?: string;
    memoryLimit?: string;
    fileOffset?: string;
    filenameStrindex?: number;
    attributeIndices: number[];
  }[];
  locationTable: {
    mappingIndex?: number;
    address?: string;
    lines: { functionIndex?: number; line?: string; column?: string }[];
    attributeIndices: number[];
  }[];
  functionTable: {
    nameStrindex?: number;
    systemNameStrindex?: number;
    filenameStrindex?: number;
    startLine?: string;
  }[];
  linkTable: { traceId?: Uint8Array; spanId?: Uint8Array }[];
  stringTable: string[];
  attributeTable: OtlpKeyValueAndUnit[];
  stackTable: { locationIndices: number[] }[];
}

export interface OtlpProfilesRequest {
  resourceProfiles: {
    resource?: { attributes: OtlpKeyValue[] };
    scopeProfiles: {
      scope?: { name?: string; version?: string; attributes: OtlpKeyValue[] };
      profiles: OtlpProfile[];
    }[];
  }[];
  dictionary?: OtlpDictionary;
}

const emptyDictionary: OtlpDictionary = {
  mappingTable: [],
  locationTable: [],
  functionTable: [],
  linkTable: [],
  stringTable: [],
  attributeTable: [],
  stackTable: [],
};

export const dictionaryOf = (request: OtlpProfilesRequest): OtlpDictionary => request.dictionary ?? emptyDictionary;

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

/** OTLP/JSON writes trace and span ids (and profile ids) as hex, not proto3 JSON's base64. */
function hexBytes(value: unknown, what: string): unknown {
  if (typeof value !== 'string') return value;
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(value)) throw badRequest(`${what} must be hex digits (OTLP/JSON ids are hex)`);
  return Buffer.from(value, 'hex');
}

function hexIdsToBytes(parsed: Obj): void {
  const dictionary = parsed.dictionary;
  if (isObj(dictionary) && Array.isArray(dictionary.linkTable)) {
    dictionary.linkTable.forEach((link, i) => {
      if (!isObj(link)) return;
      link.traceId = hexBytes(link.traceId, `dictionary.linkTable[${i}].traceId`);
      link.spanId = hexBytes(link.spanId, `dictionary.linkTable[${i}].spanId`);
    });
  }
  if (!Array.isArray(parsed.resourceProfiles)) return;
  for (const rp of parsed.resourceProfiles) {
    if (!isObj(rp) || !Array.isArray(rp.scopeProfiles)) continue;
    for (const sp of rp.scopeProfiles) {
      if (!isObj(sp) || !Array.isArray(sp.profiles)) continue;
      for (const profile of sp.profiles) {
        if (isObj(profile)) profile.profileId = hexBytes(profile.profileId, 'profileId');
      }
    }
  }
}

const toObjectOptions = { longs: String, arrays: true, defaults: false } as const;

/** Decodes a request; anything that is not an ExportProfilesServiceRequest throws a 400 with the reason. */
export function decodeProfilesRequest(bytes: Uint8Array, format: OtlpBodyFormat): OtlpProfilesRequest {
  if (format === 'protobuf') {
    try {
      const message = ExportProfilesServiceRequest.decode(bytes);
      return ExportProfilesServiceRequest.toObject(message, toObjectOptions) as OtlpProfilesRequest;
    } catch (error) {
      throw badRequest(
        `body is not an OTLP ExportProfilesServiceRequest: ${(error as Error).message.slice(0, 200)}`,
        error,
      );
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw badRequest(`body is not valid JSON: ${(error as Error).message.slice(0, 200)}`, error);
  }
  if (!isObj(parsed)) throw badRequest('an OTLP/JSON body must be an ExportProfilesServiceRequest object');
  hexIdsToBytes(parsed);
  try {
    const message = ExportProfilesServiceRequest.fromObject(parsed);
    return ExportProfilesServiceRequest.toObject(message, toObjectOptions) as OtlpProfilesRequest;
  } catch (error) {
    throw badRequest(
      `body is not an OTLP/JSON ExportProfilesServiceRequest: ${(error as Error).message.slice(0, 200)}`,
      error,
    );
  }
}

/** Where one profile sits in a request. */
export interface ProfilePosition {
  resource: number;
  scope: number;
  profile: number;
}

export const positionName = (p: ProfilePosition): string =>
  `resource_profiles[${p.resource}].scope_profiles[${p.scope}].profiles[${p.profile}]`;

/** Every profile of the request, in order. */
export function profilePositions(request: OtlpProfilesRequest): ProfilePosition[] {
  const positions: ProfilePosition[] = [];
  request.resourceProfiles.forEach((rp, resource) => {
    rp.scopeProfiles.forEach((sp, scope) => {
      sp.profiles.forEach((_, profile) => {
        positions.push({ resource, scope, profile });
      });
    });
  });
  return positions;
}

export function profileAt(request: OtlpProfilesRequest, p: ProfilePosition): OtlpProfile | undefined {
  return request.resourceProfiles[p.resource]?.scopeProfiles[p.scope]?.profiles[p.profile];
}
