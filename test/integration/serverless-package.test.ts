import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/local/settings.js';

/**
 * `serverless package` runs offline (no AWS credentials) and produces the CloudFormation template
 * that `serverless deploy` would apply; this checks it holds what the design says.
 */
interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

const run = promisify(execFile);

interface Package {
  resources: Record<string, Resource>;
  zip: Buffer;
}

async function packageTemplate(params: string[]): Promise<Package> {
  const out = mkdtempSync(join(tmpdir(), 'hotspots-sls-'));
  await run(
    process.execPath,
    [
      join(repoRoot, 'node_modules', 'serverless', 'bin', 'serverless.js'),
      'package',
      '--stage',
      'prod',
      '--package',
      out,
      ...params,
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      timeout: 120_000,
    },
  );
  const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  return { resources: template.Resources as Record<string, Resource>, zip: readFileSync(join(out, 'hotspots.zip')) };
}

const ofType = (resources: Record<string, Resource>, type: string) =>
  Object.values(resources).filter((r) => r.Type === type);

describe('serverless package', () => {
  let resources: Record<string, Resource>;
  let zip: Buffer;
  beforeAll(async () => {
    ({ resources, zip } = await packageTemplate([
      '--param=kafkaBootstrapServers=b-1.kafka.internal:9092,b-2.kafka.internal:9092',
      '--param=kafkaSaslScram512SecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka',
    ]));
  }, 150_000);

  it('defines the upload, consumer, query and health functions', () => {
    const functions = ofType(resources, 'AWS::Lambda::Function');
    const handlers = functions.map((f) => f.Properties.Handler);
    for (const handler of [
      'dist/functions/upload-profile/handler.handler',
      'dist/functions/process-profiles/handler.handler',
      'dist/functions/endpoints-cpu/handler.handler',
      'dist/functions/endpoints-timeseries/handler.handler',
      'dist/functions/flamegraph/handler.handler',
      'dist/functions/flamegraph-diff/handler.handler',
      'dist/functions/endpoints-requests/handler.handler',
      'dist/functions/changes/handler.handler',
      'dist/functions/span-hotspots/handler.handler',
      'dist/functions/trace-view/handler.handler',
      'dist/functions/services/handler.handler',
      'dist/functions/endpoints-list/handler.handler',
      'dist/functions/healthz/handler.handler',
      'dist/functions/datadog-profiling-intake/handler.handler',
      'dist/functions/pyroscope-ingest/handler.handler',
    ]) {
      expect(handlers).toContain(handler);
    }
  });

  it('runs every function on nodejs24.x, which serverless v3 warns of but keeps', () => {
    const runtimes = ofType(resources, 'AWS::Lambda::Function').map((f) => [
      f.Properties.Handler,
      f.Properties.Runtime,
    ]);
    expect(runtimes).not.toHaveLength(0);
    expect(runtimes).toEqual(runtimes.map(([handler]) => [handler, 'nodejs24.x']));
  });

  it("gives the consumer a larger young generation and keeps the others' Node options", () => {
    const functions = ofType(resources, 'AWS::Lambda::Function');
    const nodeOptions = (handler: string) => {
      const environment = functions.find((f) => f.Properties.Handler === handler)?.Properties.Environment as
        | { Variables?: Record<string, string> }
        | undefined;
      return environment?.Variables?.NODE_OPTIONS;
    };
    expect(nodeOptions('dist/functions/process-profiles/handler.handler')).toBe(
      '--enable-source-maps --max-semi-space-size=64',
    );
    expect(nodeOptions('dist/functions/upload-profile/handler.handler')).toBe('--enable-source-maps');
  });

  it('ships the WebAssembly pprof decoder and has the consumer use it by default', () => {
    // Zip entry names are stored uncompressed (local headers and central directory).
    expect(zip.includes(Buffer.from('dist/shared/pprof/wasm/decoder.wasm'))).toBe(true);
    const consumer = ofType(resources, 'AWS::Lambda::Function').find(
      (f) => f.Properties.Handler === 'dist/functions/process-profiles/handler.handler',
    );
    const environment = consumer?.Properties.Environment as { Variables?: Record<string, string> } | undefined;
    expect(environment?.Variables?.HOTSPOTS_PPROF_DECODER).toBe('wasm');
  });

  it('ships the Pyroscope protos the query API loads at run time, with their licence', () => {
    for (const file of ['querier/v1/querier.proto', 'types/v1/types.proto', 'google/v1/profile.proto', 'LICENSE']) {
      expect(zip.includes(Buffer.from(`dist/shared/query/pyroscope/proto/${file}`))).toBe(true);
    }
  });

  it('routes the API contract paths through the HTTP API', () => {
    const routes = ofType(resources, 'AWS::ApiGatewayV2::Route').map((r) => r.Properties.RouteKey);
    for (const route of [
      'POST /v1/profiles',
      'GET /v1/services',
      'GET /v1/endpoints',
      'GET /v1/endpoints/cpu',
      'GET /v1/endpoints/timeseries',
      'GET /v1/flamegraph',
      'GET /v1/flamegraph/diff',
      'GET /v1/endpoints/requests',
      'GET /v1/changes',
      'GET /v1/spans/{span_id}/hotspots',
      'GET /v1/traces/{trace_id}',
      'GET /healthz',
      'POST /profiling/v1/input',
      'POST /k/{key}/profiling/v1/input',
      'POST /ingest',
      'POST /k/{key}/ingest',
      'GET /v1/profiles/{profile_id}',
      'GET /v1/ingest-errors',
      'POST /querier.v1.QuerierService/{method}',
    ]) {
      expect(routes).toContain(route);
    }
  });

  it('lets the status route read upload receipts, and expires them with the statuses (30 days)', () => {
    const policies = JSON.stringify(ofType(resources, 'AWS::IAM::Role').map((r) => r.Properties));
    const [bucket] = ofType(resources, 'AWS::S3::Bucket').filter((b) => b !== resources.ServerlessDeploymentBucket);

    expect(policies).toContain('hotspots-prod-raw-us-east-1/receipts/*');
    expect(bucket?.Properties.LifecycleConfiguration).toEqual({
      Rules: [{ Id: 'expire-upload-receipts', Status: 'Enabled', Prefix: 'receipts/', ExpirationInDays: 30 }],
    });
  });

  it('wires the consumer to the profiles topic of a self-managed Kafka cluster', () => {
    const mapping = ofType(resources, 'AWS::Lambda::EventSourceMapping').find((m) =>
      JSON.stringify(m.Properties.Topics).includes('hotspots.profiles'),
    );
    expect(mapping?.Properties.Topics).toEqual(['hotspots.profiles']);
    expect(JSON.stringify(mapping?.Properties.SelfManagedEventSource)).toContain('b-2.kafka.internal:9092');
    expect(mapping?.Properties.StartingPosition).toBe('TRIM_HORIZON');
  });

  it('creates the raw bucket with public access blocked', () => {
    const [bucket] = ofType(resources, 'AWS::S3::Bucket').filter((b) => b !== resources.ServerlessDeploymentBucket);
    expect(bucket?.Properties.BucketName).toBe('hotspots-prod-raw-us-east-1');
    expect(bucket?.Properties.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicAcls: true });
  });

  it('gives the upload function S3 write access to raw/ and receipts/ only, and reads of receipts alone', () => {
    const role = resources.UploadProfileIamRoleLambdaExecution;
    const policies = (role?.Properties.Policies ?? []) as {
      PolicyDocument: { Statement: { Action: string[]; Resource: unknown }[] };
    }[];
    const statements = policies.flatMap((p) => p.PolicyDocument.Statement);
    const s3 = statements
      .filter((st) => st.Action.some((a) => a.startsWith('s3:')))
      .map((st) => ({ actions: st.Action, resource: JSON.stringify(st.Resource) }));

    expect(s3).toEqual([
      { actions: ['s3:PutObject'], resource: expect.stringContaining('hotspots-prod-raw-us-east-1/raw/*') },
      {
        actions: ['s3:PutObject', 's3:GetObject'],
        resource: expect.stringContaining('hotspots-prod-raw-us-east-1/receipts/*'),
      },
    ]);
  });

  it('uses an MSK event source when an MSK cluster ARN is given', async () => {
    const { resources: msk } = await packageTemplate([
      '--param=mskClusterArn=arn:aws:kafka:us-east-1:123456789012:cluster/hotspots/abc',
    ]);
    const mapping = ofType(msk, 'AWS::Lambda::EventSourceMapping').find((m) =>
      JSON.stringify(m.Properties.Topics).includes('hotspots.profiles'),
    );
    expect(mapping?.Properties.EventSourceArn).toBe('arn:aws:kafka:us-east-1:123456789012:cluster/hotspots/abc');
  }, 150_000);
});
