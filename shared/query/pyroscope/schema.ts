import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

/**
 * The message types of Pyroscope's query API, from the protos vendored beside this file
 * (grafana/pyroscope api v1.6.0, Apache-2.0). protobufjs reads them as they are; the OpenAPI
 * annotations they import are options nothing here needs, so that import is left unresolved.
 * The build copies `proto/` next to the compiled module.
 */
const PROTO_FILES = ['types/v1/types.proto', 'google/v1/profile.proto', 'querier/v1/querier.proto'];

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  for (const file of PROTO_FILES) {
    protobuf.parse(readFileSync(new URL(`./proto/${file}`, import.meta.url), 'utf8'), root);
  }
  root.resolveAll();
  return root;
}

const root = loadRoot();

export const querierService = root.lookupService('querier.v1.QuerierService');

export const profileType = root.lookupType('google.v1.Profile');

/** A google.v1.Profile's bytes as a plain message object (int64 as decimal strings). */
export function pprofMessage(bytes: Uint8Array): Record<string, unknown> {
  return profileType.toObject(profileType.decode(bytes), { longs: String, enums: String, arrays: true });
}

export function messageType(name: string): protobuf.Type {
  return root.lookupType(name);
}
