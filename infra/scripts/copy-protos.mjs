// Copies the vendored .proto files that modules load at run time into dist/ beside the compiled
// modules: grafana/pyroscope's (shared/query/pyroscope/proto) and OpenTelemetry's
// (shared/profiles/otlp/proto), each with its licence. Part of `npm run build`.
import { cpSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
for (const dir of ['shared/query/pyroscope/proto/', 'shared/profiles/otlp/proto/']) {
  cpSync(new URL(dir, root), new URL(`dist/${dir}`, root), { recursive: true });
}
