import { badRequest } from '../platform/errors.js';

/** Longest parameter name quoted back in an error. */
const MAX_QUOTED_NAME = 64;

/**
 * The rule every query route reads its URL parameters by: a parameter takes one value unless the
 * route lists it as repeatable (`endpoint=…&endpoint=…`). A repeated one is refused with a 400,
 * never resolved: routes that read the first value and routes that read the last would otherwise
 * answer `service=A&service=B` for different services. Returns the parameters for chaining.
 */
export function singleValuedParams(query: URLSearchParams, repeatable: readonly string[] = []): URLSearchParams {
  const seen = new Set<string>();
  for (const name of query.keys()) {
    if (seen.has(name) && !repeatable.includes(name)) {
      const shown = name.length > MAX_QUOTED_NAME ? `${name.slice(0, MAX_QUOTED_NAME)}…` : name;
      throw badRequest(
        `query parameter ${JSON.stringify(shown)} is given ${query.getAll(name).length} times; it takes one value`,
      );
    }
    seen.add(name);
  }
  return query;
}
