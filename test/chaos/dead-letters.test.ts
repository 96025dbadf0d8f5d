import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningApp } from '../../infra/local/app.js';
import { repoRoot } from '../../infra/local/settings.js';
import type { Deps } from '../../shared/app/deps.js';
import { encodeEnvelope } from '../../shared/profiles/envelope.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { testDeps, uniqueService, waitForCommittedProfiles, waitUntil } from '../support/services.js';
import { profileEnvelope } from '../support/stored-profiles.js';
import { committedProfileCount, startChaosApp } from './support/chaos-app.js';
import { type DeadLetterWatch, watchDeadLetters } from './support/dead-letter-watch.js';
import { chaosSpec, chaosSpecTotal, chaosTenant, request, uploadProfile } from './support/requests.js';

/**
 * Dead letters through the real consumer: poison records share batches with good ones, each one
 * lands in S3 and on the dead-letter topic with its reason, the consumer process never exits, and
 * nothing good is lost. Then the documented replay tool (npm run replay-dead-letters) republishes
 * a dead letter after its cause was fixed, end to end.
 */
let app: RunningApp;
let deps: Deps;
let watch: DeadLetterWatch;

beforeAll(async () => {
  app = await startChaosApp();
  deps = testDeps();
  watch = await watchDeadLetters(deps.config.kafka.brokers, deps.config.kafka.deadLetterTopic);
});
afterAll(async () => {
  await watch?.stop();
  await deps?.close();
  await app?.stop();
});

interface CorpusCase {
  file: string;
  route: string;
  expect: { dead_letter?: { code: string; message: string } };
}

async function totalCpu(service: string): Promise<bigint> {
  const now = Math.floor(Date.now() / 1000);
  const answer = await request(
    'GET',
    `/v1/endpoints/cpu?service=${service}&from=${now - 3600}&to=${now + 3600}`,
    undefined,
    {},
  );
  expect(answer.status).toBe(200);
  return BigInt(answer.body.total_cpu_ns as number);
}

describe('poison records in the consumer’s batches', () => {
  it('dead-letters each with its reason, keeps the process up and every good profile counted once', async () => {
    const corpus = join(repoRoot, 'test', 'fixtures', 'bad');
    const poison = (JSON.parse(readFileSync(join(corpus, 'cases.json'), 'utf8')) as CorpusCase[]).filter(
      (c) => c.route === '/v1/profiles' && c.expect.dead_letter,
    );
    const pid = app.eventSource.pid;
    const [goodService, badService] = [uniqueService('good'), uniqueService('poison')];
    const good: string[] = [];
    const bad: { id: string; want: { code: string; message: string } }[] = [];
    for (const c of poison) {
      const answer = await uploadProfile(badService, readFileSync(join(corpus, c.file)));
      expect(answer.status).toBe(202);
      bad.push({ id: answer.body.profile_id ?? '', want: c.expect.dead_letter ?? expect.unreachable() });
      good.push((await uploadProfile(goodService)).body.profile_id ?? '');
    }

    await waitForCommittedProfiles(deps, chaosTenant, good);
    const letters = await Promise.all(bad.map((b) => watch.waitFor(b.id)));

    expect(
      letters.map((l) => [l.reason.code, l.reason.message.includes(bad[letters.indexOf(l)]?.want.message ?? '')]),
    ).toEqual(bad.map((b) => [b.want.code, true]));
    for (const letter of letters) {
      const stored = JSON.parse(Buffer.from(await deps.rawStore.get(letter.s3_key)).toString('utf8'));
      expect([stored.id, stored.value_base64]).toEqual([letter.id, letter.value_base64]);
    }
    expect([app.eventSource.pid, app.eventSource.exitCode]).toEqual([pid, null]);
    expect(await totalCpu(goodService)).toBe(chaosSpecTotal * BigInt(good.length));
    expect(await committedProfileCount(deps, chaosTenant, badService)).toBe(0);
  });
});

describe('npm run replay-dead-letters', () => {
  const run = promisify(execFile);

  /** The documented tool, run as an operator would, against the chaos stack. */
  async function replay(
    args: string[],
  ): Promise<{ entries: Record<string, unknown>[]; summary: Record<string, number> }> {
    // Exit status 1 says "some letters were skipped": the output is read either way.
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'infra', 'local', 'replay-dead-letters-cli.ts'), ...args],
      { cwd: repoRoot, env: { ...process.env, ...inject('appEnv'), HOTSPOTS_LOG_LEVEL: 'warn' } },
    ).catch((error: { code?: number; stdout?: string }) => {
      if (error.code === 1 && error.stdout) return { stdout: error.stdout };
      throw error;
    });
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const last = lines.pop() as { summary: Record<string, number> };
    return { entries: lines, summary: last.summary };
  }

  it('republishes a dead letter after its cause is fixed, once, and archives it', async () => {
    // An envelope whose raw object is missing: dead-lettered as not_found. The fix: the object.
    const service = uniqueService('replayed');
    const profileId = randomUUID();
    const key = `raw/profiles/${chaosTenant}/replay-test/${profileId}.pprof`;
    const envelope = profileEnvelope({
      tenant: chaosTenant,
      service,
      bucket: deps.config.s3.bucket,
      key,
      bytes: 0,
      profileId,
    });
    await deps.publisher.publish(deps.config.kafka.profilesTopic, profileId, encodeEnvelope(envelope));
    const letter = await watch.waitFor(profileId);
    expect(letter.reason.code).toBe('not_found');
    const prefix = letter.s3_key.slice(0, letter.s3_key.lastIndexOf('/') + 1);
    const only = ['--prefix', prefix, '--reason', key];

    const dryRun = await replay([...only, '--dry-run']);
    await deps.rawStore.put(key, buildCpuProfile(chaosSpec), 'application/octet-stream');
    const first = await replay(only);
    const second = await replay([...only, '--archive']);
    await waitForCommittedProfiles(deps, chaosTenant, [profileId]);
    const third = await replay(only);
    // Both replays are consumed before the totals are read: the second one must change nothing.
    await waitUntil('the consumer to log the second replay as a duplicate', async () =>
      readFileSync(join(inject('chaosSettings').dataDir, 'app', 'event-source.log'), 'utf8')
        .split('\n')
        .some((line) => line.includes(profileId) && line.includes('"outcome":"duplicate"'))
        ? true
        : undefined,
    );

    expect(dryRun.entries.map((e) => [e.id, e.outcome])).toEqual([[profileId, 'would_replay']]);
    // The archived letter is gone from the prefix: a third run finds nothing to replay.
    expect([first.summary.replayed, second.summary.replayed, third.summary.replayed, third.entries]).toEqual([
      1,
      1,
      0,
      [],
    ]);
    expect(second.entries[0]?.archived_to).toBe(letter.s3_key.replace('dead-letter/', 'dead-letter-replayed/'));
    expect(await committedProfileCount(deps, chaosTenant, service)).toBe(1);
    expect(await totalCpu(service)).toBe(chaosSpecTotal);
  });

  it('skips, and says why, a dead letter whose envelope cannot parse', async () => {
    const marker = randomUUID();
    const value = `{"not":"an envelope","marker":"${marker}"}`;
    await deps.publisher.publish(deps.config.kafka.profilesTopic, marker, Buffer.from(value));
    const letter = await watch.waitForMatch(
      `the record marked ${marker}`,
      (l) => Buffer.from(l.value_base64 ?? '', 'base64').toString() === value,
    );

    const { entries, summary } = await replay(['--prefix', letter.s3_key]);

    expect([letter.reason.code, letter.tenant, letter.s3_key]).toEqual([
      'unprocessable',
      null,
      expect.stringContaining('/profiles/_unknown/'),
    ]);
    expect([entries[0]?.outcome, summary.skipped, summary.replayed]).toEqual(['skipped', 1, 0]);
    expect(entries[0]?.why).toContain('envelope does not parse');
  });
});
