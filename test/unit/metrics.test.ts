import { describe, expect, it } from 'vitest';
import { batchMetrics, deadLetteredMetricName, writeBatchMetrics } from '../../shared/platform/batch-metrics.js';
import { createLogger } from '../../shared/platform/logger.js';
import { embeddedMetrics, writeMetrics } from '../../shared/platform/metrics.js';
import { emfLines, emfProblems } from '../support/emf.js';

const at = new Date('2026-02-03T04:05:06.789Z');

describe('embeddedMetrics', () => {
  it('builds the EMF object: _aws directive, dimension values and metric values at the top level', () => {
    const emf = embeddedMetrics({
      timestamp: at,
      dimensions: { Consumer: 'profiles', Outcome: 'completed' },
      metrics: [
        { name: 'RecordsProcessed', unit: 'Count', value: 3 },
        { name: 'BatchDuration', unit: 'Milliseconds', value: 12.5 },
      ],
    });

    expect(emf).toEqual({
      _aws: {
        Timestamp: 1770091506789,
        CloudWatchMetrics: [
          {
            Namespace: 'Hotspots',
            Dimensions: [['Consumer', 'Outcome']],
            Metrics: [
              { Name: 'RecordsProcessed', Unit: 'Count' },
              { Name: 'BatchDuration', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      Consumer: 'profiles',
      Outcome: 'completed',
      RecordsProcessed: 3,
      BatchDuration: 12.5,
    });
    expect(emfProblems(emf)).toEqual([]);
  });

  it('is refused by the spec check when a metric is not a top-level number', () => {
    const emf = embeddedMetrics({
      timestamp: at,
      dimensions: { Consumer: 'spans' },
      metrics: [{ name: 'SpansWritten', unit: 'Count', value: 1 }],
    });

    expect(emfProblems({ ...emf, SpansWritten: '1' })).toEqual([
      'CloudWatchMetrics[0]: metric SpansWritten is not a top-level number (or array of at most 100)',
    ]);
    expect(emfProblems({ ...emf, Consumer: 7 })).toHaveLength(1);
  });
});

describe('writeMetrics', () => {
  it('writes one JSON line that is valid EMF and keeps the logger’s bound fields', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { request_id: 'req-1' }, (line) => lines.push(line));

    writeMetrics(logger, 'profiles batch metrics', {
      timestamp: at,
      dimensions: { Consumer: 'profiles' },
      metrics: [{ name: 'RecordsProcessed', unit: 'Count', value: 2 }],
    });

    expect(lines).toHaveLength(1);
    const [line] = emfLines(lines);
    expect(emfProblems(line)).toEqual([]);
    expect(line).toMatchObject({ request_id: 'req-1', message: 'profiles batch metrics', RecordsProcessed: 2 });
  });

  it('writes nothing through a logger set above info', () => {
    const lines: string[] = [];

    writeMetrics(
      createLogger('warn', {}, (line) => lines.push(line)),
      'profiles batch metrics',
      {
        timestamp: at,
        dimensions: { Consumer: 'profiles' },
        metrics: [{ name: 'RecordsProcessed', unit: 'Count', value: 2 }],
      },
    );

    expect(lines).toEqual([]);
  });
});

describe('batchMetrics', () => {
  const batch = {
    consumer: 'profiles' as const,
    outcome: 'completed' as const,
    endedAt: at,
    durationMs: 40,
    processed: 5,
    deadLettered: new Map([
      ['unprocessable', 2],
      ['not_found', 1],
    ]),
    metrics: [{ name: 'DecodeTime', unit: 'Milliseconds' as const, value: 7 }],
  };

  it('dimensions the batch by consumer and outcome only', () => {
    const set = batchMetrics(batch);

    expect(set.dimensions).toEqual({ Consumer: 'profiles', Outcome: 'completed' });
    expect(set.timestamp).toBe(at);
  });

  it('counts dead letters in total and in one metric per reason, besides the consumer’s own metrics', () => {
    expect(batchMetrics(batch).metrics).toEqual([
      { name: 'RecordsProcessed', unit: 'Count', value: 5 },
      { name: 'DeadLettered', unit: 'Count', value: 3 },
      { name: 'DeadLetteredUnprocessable', unit: 'Count', value: 2 },
      { name: 'DeadLetteredNotFound', unit: 'Count', value: 1 },
      { name: 'DecodeTime', unit: 'Milliseconds', value: 7 },
      { name: 'BatchDuration', unit: 'Milliseconds', value: 40 },
    ]);
  });

  it('writes a batch without dead letters as a valid EMF line with DeadLettered 0', () => {
    const lines: string[] = [];

    writeBatchMetrics(
      createLogger('info', {}, (line) => lines.push(line)),
      {
        ...batch,
        consumer: 'spans',
        outcome: 'retried',
        deadLettered: new Map(),
        metrics: [],
      },
    );

    const [line] = emfLines(lines);
    expect(emfProblems(line)).toEqual([]);
    expect(line).toMatchObject({
      message: 'spans batch metrics',
      Consumer: 'spans',
      Outcome: 'retried',
      DeadLettered: 0,
    });
  });
});

describe('deadLetteredMetricName', () => {
  it.each([
    ['not_found', 'DeadLetteredNotFound'],
    ['payload_too_large', 'DeadLetteredPayloadTooLarge'],
    ['internal', 'DeadLetteredInternal'],
  ])('names the metric of reason %s %s', (code, name) => {
    expect(deadLetteredMetricName(code)).toBe(name);
  });
});
