import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/local/settings.js';

/**
 * The trace intake's part of the CloudFormation template `serverless package` builds offline:
 * routes (with the /k/{key} variants), the spans consumer's event source, and least-privilege IAM.
 */
interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

const run = promisify(execFile);
let resources: Record<string, Resource>;

beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), 'hotspots-sls-spans-'));
  await run(
    process.execPath,
    [
      join(repoRoot, 'node_modules', 'serverless', 'bin', 'serverless.js'),
      'package',
      '--stage',
      'prod',
      '--package',
      out,
      '--param=kafkaBootstrapServers=b-1.kafka.internal:9092',
      '--param=kafkaSaslScram512SecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka',
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      timeout: 120_000,
    },
  );
  resources = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
}, 150_000);

const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);

describe('serverless package (trace intake)', () => {
  it('routes the Datadog agent and OTLP trace paths, with and without the key prefix', () => {
    const routes = new Set(ofType('AWS::ApiGatewayV2::Route').map((r) => r.Properties.RouteKey));

    for (const route of [
      'GET /info',
      'PUT /v0.4/traces',
      'POST /v0.4/traces',
      'PUT /v0.5/traces',
      'POST /v0.5/traces',
      'POST /telemetry/proxy/{proxy+}',
      'GET /k/{key}/info',
      'PUT /k/{key}/v0.4/traces',
      'POST /k/{key}/v0.5/traces',
      'POST /k/{key}/telemetry/proxy/{proxy+}',
      'GET /v0.7/config',
      'POST /v0.7/config',
      'PUT /v0.6/stats',
      'POST /v0.6/stats',
      'POST /dogstatsd/v2/proxy',
      'POST /debugger/{proxy+}',
      'POST /k/{key}/v0.7/config',
      'POST /k/{key}/dogstatsd/v2/proxy',
      'POST /k/{key}/debugger/{proxy+}',
      'POST /v1/traces',
      'POST /k/{key}/v1/traces',
    ]) {
      expect(routes.has(route), route).toBe(true);
    }
  });

  it('wires the spans consumer to hotspots.spans with its own consumer group', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    const spans = mappings.find((m) => JSON.stringify(m.Properties.Topics) === '["hotspots.spans"]');

    expect(spans).toBeDefined();
    expect(JSON.stringify(spans?.Properties)).toContain('hotspots-consumer.processSpans');
    expect(JSON.stringify(spans?.Properties.FunctionName)).toContain('ProcessSpans');
    const profiles = mappings.find((m) => JSON.stringify(m.Properties.Topics) === '["hotspots.profiles"]');
    expect(JSON.stringify(profiles?.Properties)).toContain('"hotspots-consumer"');
  });

  it('lets the intakes write raw/spans/ only, and the consumer read it and write dead-letter/spans/', () => {
    const policy = (role: string) => JSON.stringify(resources[role]?.Properties.Policies);

    for (const intake of ['DatadogTraceIntakeIamRoleLambdaExecution', 'OtlpTracesIamRoleLambdaExecution']) {
      expect(policy(intake)).toContain('hotspots-prod-raw-us-east-1/raw/spans/*');
      expect(policy(intake)).not.toContain('s3:GetObject');
    }
    const consumer = policy('ProcessSpansIamRoleLambdaExecution');
    expect(consumer).toContain('s3:GetObject');
    expect(consumer).toContain('hotspots-prod-raw-us-east-1/dead-letter/spans/*');
  });

  it('runs the trace intakes and the spans consumer, like every function, on nodejs24.x', () => {
    const functions = ofType('AWS::Lambda::Function');
    const handlers = functions.map((f) => f.Properties.Handler);

    for (const handler of [
      'dist/functions/datadog-trace-intake/handler.handler',
      'dist/functions/otlp-traces/handler.handler',
      'dist/functions/process-spans/handler.handler',
    ]) {
      expect(handlers).toContain(handler);
    }
    for (const f of functions) expect(f.Properties.Runtime, String(f.Properties.Handler)).toBe('nodejs24.x');
  });

  it('gives the functions the spans topic name', () => {
    const [fn] = ofType('AWS::Lambda::Function');

    expect(JSON.stringify(fn?.Properties.Environment)).toContain('"HOTSPOTS_SPANS_TOPIC":"hotspots.spans"');
  });
});
