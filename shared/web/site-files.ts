import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads the built UI (every regular file under `root`) into memory, keyed by URL path
 * (`/index.html`, `/assets/index-<hash>.js`). Symbolic links are not followed, so nothing
 * outside the folder can be served. A missing folder gives an empty map (the site then answers
 * 503 saying how to build it).
 */
export function readSiteFiles(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  if (!existsSync(root)) return files;
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, `${prefix}${entry.name}/`);
      else if (entry.isFile()) files.set(`${prefix}${entry.name}`, readFileSync(path));
    }
  };
  walk(root, '/');
  return files;
}
