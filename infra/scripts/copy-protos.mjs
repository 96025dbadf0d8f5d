// Copies the vendored OpenTelemetry .proto files next to the built module that loads them at run
// time (shared/profiles/otlp/otlp-schema.ts). Part of `npm run build`.
import { cpSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
cpSync(new URL('shared/profiles/otlp/proto/', root), new URL('dist/shared/profiles/otlp/proto/', root), {
  recursive: true,
});
