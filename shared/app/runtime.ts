import { loadConfig } from '../platform/config.js';
import { createDeps, type Deps } from './deps.js';

let deps: Deps | undefined;

/** Dependencies of this Lambda container, built on first use and reused while it stays warm. */
export function runtimeDeps(): Deps {
  deps ??= createDeps(loadConfig());
  return deps;
}
