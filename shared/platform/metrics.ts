import type { Logger } from './logger.js';

/**
 * Metrics as CloudWatch Embedded Metric Format (EMF): a JSON log line whose `_aws` member tells
 * CloudWatch Logs which of the line's top-level members are metrics, so a Lambda publishes
 * metrics by logging, with no PutMetricData call in the batch. The shape follows
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html:
 * `_aws.Timestamp` in milliseconds since the epoch; one metric directive with the namespace, one
 * dimension set (names of top-level string members) and the metric definitions (names of
 * top-level numbers, with units). Other members of the line (message, request id) stay plain log
 * fields, searchable in Logs Insights.
 */
export const METRICS_NAMESPACE = 'Hotspots';

/** CloudWatch's unit names (the spec's list); only those the consumers use. */
export type MetricUnit = 'Count' | 'Milliseconds';

export interface Metric {
  name: string;
  unit: MetricUnit;
  value: number;
}

export interface MetricSet {
  timestamp: Date;
  /**
   * Dimension name → value. CloudWatch keeps a separate metric per combination of values, so
   * values come from small fixed sets (never a tenant or an id).
   */
  dimensions: Readonly<Record<string, string>>;
  metrics: readonly Metric[];
}

export interface EmbeddedMetrics {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: MetricUnit }[];
    }[];
  };
  [member: string]: unknown;
}

/** The EMF object of one metric set: the `_aws` directive, the dimension values and the metric values. */
export function embeddedMetrics(set: MetricSet): EmbeddedMetrics {
  const values: Record<string, number> = {};
  for (const metric of set.metrics) values[metric.name] = metric.value;
  return {
    _aws: {
      Timestamp: set.timestamp.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [Object.keys(set.dimensions)],
          Metrics: set.metrics.map(({ name, unit }) => ({ Name: name, Unit: unit })),
        },
      ],
    },
    ...set.dimensions,
    ...values,
  };
}

/**
 * Writes the metric set as one log line. It is an info line: a logger set to `warn` or above
 * drops it, and with it the metrics (docs/operations.md#metrics).
 */
export function writeMetrics(logger: Logger, message: string, set: MetricSet): void {
  logger.info(message, embeddedMetrics(set));
}
