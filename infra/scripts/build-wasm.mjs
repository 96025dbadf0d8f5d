// Compiles the WebAssembly decoder (shared/pprof/wasm/assembly/decoder.ts, AssemblyScript) to
// shared/pprof/wasm/decoder.wasm, beside the sources that load it (tests and `tsx` runs), and
// copies it into dist/ for the built functions. Part of `npm run build`.
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = fileURLToPath(new URL('../../', import.meta.url));
const source = `${root}shared/pprof/wasm/assembly/decoder.ts`;
const output = `${root}shared/pprof/wasm/decoder.wasm`;
// stub runtime: the decoder manages its own memory and allocates no objects; noAssert: its
// bounds are checked by its own code, which calls back into JavaScript to give up.
const { error, stderr } = await asc.main([source, '-O3', '--runtime', 'stub', '--noAssert', '-o', output]);
if (error) {
  process.stderr.write(stderr.toString());
  throw error;
}
mkdirSync(`${root}dist/shared/pprof/wasm`, { recursive: true });
copyFileSync(output, `${root}dist/shared/pprof/wasm/decoder.wasm`);
