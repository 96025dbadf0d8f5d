import { loadConfig } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { createDeps, type Deps } from './deps.js';
import { createUseCases, type UseCases } from './use-cases.js';

/** This Lambda container's dependencies: built on first use, kept while the container stays warm. */
let containerDeps: Deps | undefined;

export function runtimeDeps(): Deps {
  containerDeps ??= createDeps(loadConfig());
  return containerDeps;
}

export interface Invocation {
  deps: Deps;
  /** The use cases, logging with this invocation's request id. */
  useCases: UseCases;
  logger: Logger;
}

/** One invocation's view of the container: the same clients, a logger bound to its request id. */
export function invocation(requestId: string | undefined): Invocation {
  const deps = runtimeDeps();
  const logger = requestId === undefined ? deps.logger : deps.logger.child({ request_id: requestId });
  return { deps, useCases: createUseCases({ ...deps, logger }), logger };
}
