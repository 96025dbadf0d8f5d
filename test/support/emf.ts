/**
 * Checks an object against CloudWatch's Embedded Metric Format specification
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
 * written from the spec independently of shared/platform/metrics.ts: returns what breaks it, [] when valid.
 */
const units = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function emfProblems(root: unknown): string[] {
  if (!isRecord(root)) return ['the root node is not an object'];
  const meta = root._aws;
  if (!isRecord(meta)) return ['_aws is missing or not an object'];
  const problems: string[] = [];
  if (typeof meta.Timestamp !== 'number' || !Number.isInteger(meta.Timestamp) || meta.Timestamp < 0) {
    problems.push('_aws.Timestamp is not milliseconds since the epoch');
  }
  if (!Array.isArray(meta.CloudWatchMetrics)) return [...problems, '_aws.CloudWatchMetrics is not an array'];
  for (const [i, directive] of meta.CloudWatchMetrics.entries()) {
    const at = `CloudWatchMetrics[${i}]`;
    if (!isRecord(directive)) {
      problems.push(`${at} is not an object`);
      continue;
    }
    const { Namespace, Dimensions, Metrics } = directive;
    if (typeof Namespace !== 'string' || Namespace.length < 1 || Namespace.length > 1024) {
      problems.push(`${at}.Namespace is not a string of 1 to 1024 characters`);
    }
    if (!Array.isArray(Dimensions)) problems.push(`${at}.Dimensions is not an array`);
    else {
      for (const set of Dimensions) {
        if (!Array.isArray(set) || set.length > 30) {
          problems.push(`${at}: a dimension set is not an array of at most 30 names`);
          continue;
        }
        for (const name of set) {
          const value = typeof name === 'string' ? root[name] : undefined;
          if (typeof value !== 'string' || value.length < 1 || value.length > 1024) {
            problems.push(`${at}: dimension ${String(name)} is not a top-level string of 1 to 1024 characters`);
          }
        }
      }
    }
    if (!Array.isArray(Metrics) || Metrics.length > 100) {
      problems.push(`${at}.Metrics is not an array of at most 100 definitions`);
      continue;
    }
    for (const metric of Metrics) {
      if (!isRecord(metric) || typeof metric.Name !== 'string' || metric.Name === '') {
        problems.push(`${at}: a metric has no Name`);
        continue;
      }
      const value = root[metric.Name];
      const numbers = Array.isArray(value) ? value : [value];
      if (numbers.length > 100 || !numbers.every((n) => typeof n === 'number' && Number.isFinite(n))) {
        problems.push(`${at}: metric ${metric.Name} is not a top-level number (or array of at most 100)`);
      }
      if (metric.Unit !== undefined && !units.has(String(metric.Unit))) {
        problems.push(`${at}: metric ${metric.Name} has unit ${String(metric.Unit)}, not one of CloudWatch's`);
      }
    }
  }
  return problems;
}

/** The lines of a captured log that are EMF objects (carry `_aws`), parsed. */
export function emfLines(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => '_aws' in entry);
}
