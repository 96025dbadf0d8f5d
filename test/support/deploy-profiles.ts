import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { inject } from 'vitest';
import { generateLabelledCpuProfile } from './go-pprof.js';
import { buildMultipart, eventPart, filePart } from './multipart-builder.js';

/**
 * One run of test/go/labelled-cpu's deploy scenario (GET /catalog, POST /checkout; `slowFactor`
 * makes POST /checkout's priceItems that many times more work per request), uploaded through the
 * Datadog intake as `version` with the endpoint_counts the program reports.
 */
export async function uploadDeployRun(
  service: string,
  version: string,
  slowFactor: number,
  dir: string,
): Promise<{ profileId: string; endpointCounts: Record<string, number> }> {
  const file = path.join(dir, `${version}-${randomUUID()}.pb.gz`);
  const { labels } = await generateLabelledCpuProfile(file, {
    scenario: 'deploy',
    durationMs: 2000,
    slowFactor,
    idSalt: Math.floor(Math.random() * 2 ** 31),
  });
  const endpointCounts = labels.endpoint_counts ?? {};
  const now = Date.now();
  const event = {
    start: new Date(now - 2000).toISOString(),
    end: new Date(now).toISOString(),
    attachments: ['cpu.pprof'],
    tags_profiler: `service:${service},env:e2e,version:${version},host:ci,runtime-id:${randomUUID()},runtime:go`,
    family: 'go',
    version: '4',
    endpoint_counts: endpointCounts,
  };
  const body = buildMultipart([filePart('cpu.pprof', await readFile(file)), eventPart(event)]);
  const answer = await fetch(`${inject('apiUrl')}/profiling/v1/input`, {
    method: 'POST',
    headers: { 'content-type': body.contentType, 'dd-api-key': inject('apiKey') },
    body: body.body,
  });
  const text = await answer.text();
  if (answer.status !== 202) throw new Error(`the Datadog intake answered ${answer.status}: ${text}`);
  const profileId = (JSON.parse(text) as { profiles: { profile_id: string }[] }).profiles[0]?.profile_id ?? '';
  return { profileId, endpointCounts };
}
