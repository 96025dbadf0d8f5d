// Copies the .proto files that modules read at run time (shared/query/pyroscope/proto, vendored
// from grafana/pyroscope with their licence) into dist/ beside the compiled modules. Part of
// `npm run build`.
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
cpSync(`${root}shared/query/pyroscope/proto`, `${root}dist/shared/query/pyroscope/proto`, { recursive: true });
