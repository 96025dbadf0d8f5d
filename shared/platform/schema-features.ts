/**
 * The one place where the schema differs between ClickHouse servers. The migrations are written
 * for current ClickHouse; a feature the local 18.16 lacks sits on a line of its own that this
 * module drops there. Only TTL so far: table TTL arrived in 19.6 (ClickHouse changelog, "TTL
 * expressions for columns and tables"), and 18.16 refuses the statement with a syntax error.
 * Readers of a table with a TTL filter on the same age, so answers do not depend on the server.
 */
export interface ServerFeatures {
  /** `TTL <expr>` on MergeTree tables. */
  ttl: boolean;
}

/** Every feature: current ClickHouse, and the schema rendered for reviewers. */
export const currentServer: ServerFeatures = { ttl: true };

/** Features of a server from its `SELECT version()` (e.g. `18.16.1`, `25.8.2.29`). */
export function serverFeatures(version: string): ServerFeatures {
  const [major = Number.NaN, minor = Number.NaN] = version.split('.').map(Number);
  if (!Number.isInteger(major) || !Number.isInteger(minor)) return currentServer;
  return { ttl: major > 19 || (major === 19 && minor >= 6) };
}

/** A migration statement as `features` can run it: a table's `TTL …` line goes where TTL does not exist. */
export function adaptStatement(statement: string, features: ServerFeatures): string {
  if (features.ttl) return statement;
  return statement
    .split('\n')
    .filter((line) => !/^\s*TTL\s/i.test(line))
    .join('\n');
}
