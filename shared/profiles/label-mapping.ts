import type { LabelMappingOverride } from '../platform/config.js';
import { defaultLabelMapping, type LabelMapping } from '../platform/labels.js';

/**
 * The consumer's label mapping per tenant (HOTSPOTS_LABEL_MAPPINGS): a tenant's override replaces
 * the default rules of the meanings it names (span id, local root span id, endpoint, trace id) and
 * keeps the defaults (DESIGN.md "Labels") for the others. Resolved once per tenant, not per record.
 */
export function createLabelMappingResolver(
  overrides: Readonly<Record<string, LabelMappingOverride>>,
): (tenant: string) => LabelMapping {
  const resolved = new Map<string, LabelMapping>();
  for (const [tenant, override] of Object.entries(overrides)) {
    resolved.set(tenant, { ...defaultLabelMapping, ...override });
  }
  return (tenant) => resolved.get(tenant) ?? defaultLabelMapping;
}
