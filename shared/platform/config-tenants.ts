/**
 * The settings whose values are tenants or keyed by tenant: API keys, per-tenant label mappings and
 * tenant names. Tenants name S3 prefixes, so their alphabet is restricted.
 */
import { ConfigError, type TextFormat } from './config-kinds.js';
import type { IdFormat, LabelKeyRule, LabelMapping } from './labels.js';

export const tenantPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const tenantName: TextFormat = {
  pattern: tenantPattern,
  allowed: `tenant name \`${tenantPattern.source}\``,
  problem: () => `must match ${tenantPattern.source}`,
};

export interface ApiKeyEntry {
  key: string;
  tenant: string;
}

const MIN_API_KEY_LENGTH = 8;

/** `key:tenant,key2:tenant2`. */
export function parseApiKeys(raw: string, variable = 'HOTSPOTS_API_KEYS'): ApiKeyEntry[] {
  const entries: ApiKeyEntry[] = [];
  for (const item of raw.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const colon = trimmed.lastIndexOf(':');
    // The entry itself is not echoed: it would put a key into start-up logs.
    if (colon <= 0) throw new ConfigError(variable, `entry ${entries.length + 1} must be key:tenant`);
    const key = trimmed.slice(0, colon);
    const tenant = trimmed.slice(colon + 1);
    if (key.length < MIN_API_KEY_LENGTH) {
      throw new ConfigError(variable, `keys must be at least ${MIN_API_KEY_LENGTH} characters`);
    }
    if (!tenantPattern.test(tenant)) {
      throw new ConfigError(variable, `tenant ${JSON.stringify(tenant)} must match ${tenantPattern.source}`);
    }
    entries.push({ key, tenant });
  }
  if (entries.length === 0) throw new ConfigError(variable, 'must name at least one key:tenant');
  return entries;
}

export const apiKeysSyntax = `\`key:tenant,…\`: keys of at least ${MIN_API_KEY_LENGTH} characters, tenants \`${tenantPattern.source}\``;

export type LabelMappingOverride = Partial<LabelMapping>;

const labelMeanings: readonly (keyof LabelMapping)[] = ['spanId', 'localRootSpanId', 'endpoint', 'traceId'];
const idMeanings: readonly (keyof LabelMapping)[] = ['spanId', 'localRootSpanId'];
const idFormats: readonly IdFormat[] = ['decimal', 'hex16-or-decimal'];
const MAX_LABEL_RULES = 16;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function labelRules(variable: string, where: string, meaning: keyof LabelMapping, value: unknown): LabelKeyRule[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LABEL_RULES) {
    throw new ConfigError(variable, `${where} must be a list of 1 to ${MAX_LABEL_RULES} {"key", "format"} rules`);
  }
  return value.map((rule, index) => {
    const at = `${where}[${index}]`;
    if (!isPlainObject(rule)) throw new ConfigError(variable, `${at} must be an object`);
    const unknown = Object.keys(rule).filter((k) => k !== 'key' && k !== 'format');
    if (unknown.length > 0) throw new ConfigError(variable, `${at} has unknown field ${JSON.stringify(unknown[0])}`);
    if (typeof rule.key !== 'string' || rule.key === '' || rule.key.length > 256) {
      throw new ConfigError(variable, `${at}.key must be a non-empty label key`);
    }
    if (!idMeanings.includes(meaning)) {
      // Endpoints and trace ids are kept as text: a format would be silently ignored, so refuse it.
      if (rule.format !== undefined) throw new ConfigError(variable, `${at}.format applies to span ids only`);
      return { key: rule.key };
    }
    const format = rule.format ?? 'decimal';
    if (typeof format !== 'string' || !(idFormats as readonly string[]).includes(format)) {
      throw new ConfigError(variable, `${at}.format must be one of ${idFormats.join(', ')}`);
    }
    return { key: rule.key, format: format as IdFormat };
  });
}

/**
 * `{"<tenant>": {"spanId": [{"key": "…", "format": "decimal|hex16-or-decimal"}], "endpoint": [{"key": "…"}], …}}`.
 * A tenant's entry replaces the default rules of the meanings it names and keeps the others.
 */
export function parseLabelMappings(
  raw: string | undefined,
  variable = 'HOTSPOTS_LABEL_MAPPINGS',
): Record<string, LabelMappingOverride> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError(variable, `must be JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw new ConfigError(variable, 'must be a JSON object keyed by tenant');
  const mappings: Record<string, LabelMappingOverride> = {};
  for (const [tenant, entry] of Object.entries(parsed)) {
    if (!tenantPattern.test(tenant)) {
      throw new ConfigError(variable, `tenant ${JSON.stringify(tenant)} must match ${tenantPattern.source}`);
    }
    if (!isPlainObject(entry)) throw new ConfigError(variable, `entry of tenant ${tenant} must be an object`);
    const override: LabelMappingOverride = {};
    for (const [meaning, rules] of Object.entries(entry)) {
      if (!(labelMeanings as readonly string[]).includes(meaning)) {
        throw new ConfigError(variable, `${tenant}.${meaning} is not a label meaning; use ${labelMeanings.join(', ')}`);
      }
      const key = meaning as keyof LabelMapping;
      override[key] = labelRules(variable, `${tenant}.${meaning}`, key, rules);
    }
    mappings[tenant] = override;
  }
  return mappings;
}
