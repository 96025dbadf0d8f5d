import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/**
 * The OTLP profiles messages, from the vendored opentelemetry-proto files in `proto/` (see its
 * README for the revision), loaded once per container. Field names are protobufjs' camelCase,
 * which is also OTLP/JSON's, so a binary request and a JSON one normalise to the same objects.
 */
const protoRoot = fileURLToPath(new URL('./proto/', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(protoRoot, target);
root.loadSync('opentelemetry/proto/collector/profiles/v1development/profiles_service.proto', { keepCase: false });
root.resolveAll();

export const ExportProfilesServiceRequest = root.lookupType(
  'opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest',
);
export const ExportProfilesServiceResponse = root.lookupType(
  'opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceResponse',
);
