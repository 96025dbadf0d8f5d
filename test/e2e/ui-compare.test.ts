import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../infra/local/settings.js';
import type { Deps } from '../../shared/app/deps.js';
import { big, getExact } from '../support/api.js';
import { launchUiBrowser, openUiPage, screenshot, type UiBrowser, type UiPage } from '../support/browser.js';
import { uploadDeployRun } from '../support/deploy-profiles.js';
import { testDeps, uniqueService, waitForCommittedProfiles } from '../support/services.js';

/**
 * The service view's deploy report and "most expensive requests" list in headless Chromium, on
 * real Go profiles of two versions (POST /checkout made slower in 1.1): every figure shown is
 * compared with the API's answer, and a listed request opens its span view.
 */
const tenant = 'test-a';
let deps: Deps;
let browser: UiBrowser;
let dir: string;
const service = uniqueService('ui-deploy');
const pages: UiPage[] = [];

type Num = number | bigint;
interface ChangesBody {
  versions: { version: string; first_seen: string }[];
  changes: {
    endpoints: {
      endpoint: string;
      status: string;
      before: { value: number };
      after: { value: number };
      relative_change: number;
      functions: { function: string }[];
    }[];
  }[];
}
interface DiffNode {
  name: string;
  a_total: Num;
  b_total: Num;
  diff_total: Num;
  value: number;
  delta: number;
  only?: 'a' | 'b';
  children: DiffNode[];
}
interface RequestsBody {
  requests_value: Num;
  requests: { local_root_span_id: string; cpu_ns: Num }[];
  heatmap: { slots: { t: number; counts: number[]; values: Num[] }[] };
}

async function open(url: string): Promise<Page> {
  const ui = await openUiPage(browser, `${inject('apiUrl')}${url}`, { apiKey: inject('apiKey') });
  pages.push(ui);
  return ui.page;
}

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'web', 'index.html'))) {
    throw new Error('dist/web/index.html is missing: run npm run build (it builds the UI with Vite)');
  }
  deps = testDeps();
  dir = await mkdtemp(path.join(tmpdir(), 'hotspots-ui-deploy-'));
  const ids: string[] = [];
  for (const [version, factor] of [
    ['1.0', 1],
    ['1.0', 1],
    ['1.1', 3],
    ['1.1', 3],
  ] as const) {
    ids.push((await uploadDeployRun(service, version, factor, dir)).profileId);
  }
  await waitForCommittedProfiles(deps, tenant, ids);
  browser = await launchUiBrowser();
}, 300_000);
afterAll(async () => {
  for (const ui of pages) await ui.page.close();
  await browser?.close();
  await deps?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('deploy report and costly requests in the service view', () => {
  it('shows each endpoint’s change as GET /v1/changes reports it', async () => {
    const t = Math.floor(Date.now() / 1000);
    const api = await getExact<ChangesBody>(
      `/v1/changes?${new URLSearchParams({ service, from: String(t - 3600), to: String(t + 600) })}`,
    );
    const page = await open(`/?service=${encodeURIComponent(service)}`);
    const rows = page.getByTestId('change-row');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(api.body.changes[0]?.endpoints.length);
    for (const e of api.body.changes[0]?.endpoints ?? []) {
      const row = page.locator(`[data-testid="change-row"][data-endpoint="${e.endpoint}"]`);
      expect(await row.getAttribute('data-status')).toBe(e.status);
      expect(Number(await row.getByTestId('change-before').getAttribute('data-value'))).toBe(e.before.value);
      expect(Number(await row.getByTestId('change-after').getAttribute('data-value'))).toBe(e.after.value);
      expect(Number(await row.getByTestId('change-relative').getAttribute('data-value'))).toBe(e.relative_change);
      expect(await row.getByTestId('change-function').textContent()).toContain(e.functions[0]?.function ?? '');
    }
    const checkout = page.locator('[data-testid="change-row"][data-endpoint="POST /checkout"]');
    expect(await checkout.getAttribute('data-status')).toBe('increased');
    expect(await checkout.getByTestId('change-function').textContent()).toContain('main.priceItems');
    expect(
      await page.locator('[data-testid="change-row"][data-endpoint="GET /catalog"]').getAttribute('data-status'),
    ).toBe('unchanged');
    // Versions as markers under CPU over time, where each was first seen.
    const markers = page.getByTestId('version-marker');
    await expect.poll(() => markers.count(), { timeout: 10_000 }).toBe(api.body.versions.length);
    const marked = await markers.evaluateAll((ms) =>
      ms.map((m) => [m.getAttribute('data-version'), m.getAttribute('data-time')]),
    );
    expect(marked).toEqual(api.body.versions.map((v) => [v.version, v.first_seen]));
    await screenshot(page, 'deploy-report');
  }, 60_000);

  it('lists the checked endpoint’s most expensive requests with the API’s CPU and opens one', async () => {
    const t = Math.floor(Date.now() / 1000);
    const api = await getExact<RequestsBody>(
      `/v1/endpoints/requests?${new URLSearchParams({
        service,
        endpoint: 'POST /checkout',
        from: String(t - 3600),
        to: String(t + 600),
      })}`,
    );
    expect(api.body.requests.length).toBeGreaterThan(0);
    // The query the page sends (its own window), to compare the heatmap's time slots exactly.
    const asked: string[] = [];
    const record = (request: { url(): string }) => {
      if (request.url().includes('/v1/endpoints/requests?')) asked.push(request.url());
    };
    browser.context.on('request', record);
    const page = await open(
      `/?service=${encodeURIComponent(service)}&endpoint=${encodeURIComponent('POST /checkout')}`,
    );
    const rows = page.getByTestId('request-row');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(api.body.requests.length);
    const shown = await rows.evaluateAll((trs) =>
      trs.map((tr) => [
        tr.getAttribute('data-span-id'),
        tr.querySelector('[data-testid="request-cpu"]')?.getAttribute('data-ns'),
      ]),
    );
    expect(shown).toEqual(api.body.requests.map((r) => [r.local_root_span_id, String(big(r.cpu_ns))]));
    browser.context.off('request', record);
    const pageQuery = new URL(asked.at(-1) ?? 'http://x/').search;
    const same = await getExact<RequestsBody>(`/v1/endpoints/requests${pageQuery}`);
    // The heatmap: every cell's count and CPU as the API's, summing to the requests' CPU.
    const cells = await page
      .getByTestId('heat-cell')
      .evaluateAll((spans) =>
        spans.map((c) => [
          c.getAttribute('data-t'),
          c.getAttribute('data-bucket'),
          c.getAttribute('data-count'),
          c.getAttribute('data-ns'),
        ]),
      );
    const apiCells = same.body.heatmap.slots.flatMap((slot) =>
      slot.counts.map((count, bucket) => [
        String(slot.t),
        String(bucket),
        String(count),
        String(big(slot.values[bucket])),
      ]),
    );
    const byKey = (rows: (string | null)[][]) => rows.map((r) => r.join(' ')).sort();
    expect(byKey(cells)).toEqual(byKey(apiCells));
    expect(cells.reduce((sum, c) => sum + BigInt(c[3] ?? 'x'), 0n)).toBe(big(same.body.requests_value));
    await screenshot(page, 'costly-requests');
    const first = api.body.requests[0]?.local_root_span_id ?? '';
    await rows.first().getByTestId('request-link').click();
    await expect.poll(() => new URL(page.url()).pathname, { timeout: 10_000 }).toBe(`/spans/${first}`);
  }, 60_000);

  it('draws the combined diff flame graph with the figures of GET /v1/flamegraph/diff, coloured by change', async () => {
    // "This version vs the previous one": no versions given, the view picks the last change.
    const page = await open(
      `/compare?service=${encodeURIComponent(service)}&endpoint=${encodeURIComponent('POST /checkout')}&normalize=per_request`,
    );
    await expect.poll(() => new URL(page.url()).searchParams.get('b.version'), { timeout: 30_000 }).toBe('1.1');
    expect(new URL(page.url()).searchParams.get('a.version')).toBe('1.0');
    const frames = page.getByTestId('diff-frame');
    await frames.first().waitFor({ timeout: 30_000 });
    const t = Math.floor(Date.now() / 1000);
    const api = await getExact<{ tree: DiffNode }>(
      `/v1/flamegraph/diff?${new URLSearchParams({
        service,
        from: String(t - 3600),
        to: String(t + 600),
        endpoint: 'POST /checkout',
        'a.version': '1.0',
        'b.version': '1.1',
        max_nodes: '800',
        normalize: 'per_request',
      })}`,
    );
    const expected: string[][] = [];
    const walk = (node: DiffNode, path: string) => {
      const kind =
        node.only === 'a'
          ? 'only-a'
          : node.only === 'b'
            ? 'only-b'
            : node.delta > 0
              ? 'more'
              : node.delta < 0
                ? 'less'
                : 'same';
      expected.push([
        path,
        String(big(node.a_total)),
        String(big(node.b_total)),
        String(big(node.diff_total)),
        kind,
        String(node.value),
        String(node.delta),
      ]);
      for (const child of node.children) walk(child, `${path};${child.name}`);
    };
    walk(api.body.tree, api.body.tree.name);
    const shown = await frames.evaluateAll((elements) =>
      elements.map((e) =>
        ['data-path', 'data-a', 'data-b', 'data-diff', 'data-kind', 'data-value', 'data-delta'].map(
          (a) => e.getAttribute(a) ?? '',
        ),
      ),
    );
    expect(shown).toEqual(expected);
    const price = shown.find((row) => row[0]?.endsWith(';main.priceItems'));
    // Per request, the release doubled POST /checkout's CPU in priceItems; the handler grew with it.
    expect(price?.[4]).toBe('more');
    expect(shown.find((row) => row[0]?.endsWith(';main.handleCheckout'))?.[4]).toBe('more');
    expect(await page.getByTestId('diff-legend').textContent()).toContain('more CPU in B');
    await screenshot(page, 'compare-diff');
  }, 60_000);

  it('draws A and B side by side, each frame with its side’s CPU', async () => {
    const page = await open(
      `/compare?service=${encodeURIComponent(service)}&a.version=1.0&b.version=1.1&layout=side-by-side`,
    );
    await page.getByTestId('diff-chart-b').getByTestId('diff-frame').first().waitFor({ timeout: 30_000 });
    const t = Math.floor(Date.now() / 1000);
    const api = await getExact<{ tree: DiffNode }>(
      `/v1/flamegraph/diff?${new URLSearchParams({
        service,
        from: String(t - 3600),
        to: String(t + 600),
        'a.version': '1.0',
        'b.version': '1.1',
        max_nodes: '800',
      })}`,
    );
    for (const side of ['a', 'b'] as const) {
      const expected: string[][] = [];
      const walk = (node: DiffNode, path: string) => {
        const value = big(side === 'a' ? node.a_total : node.b_total);
        if (value === 0n) return;
        expected.push([path, String(value)]);
        for (const child of node.children) walk(child, `${path};${child.name}`);
      };
      walk(api.body.tree, api.body.tree.name);
      const shown = await page
        .getByTestId(`diff-chart-${side}`)
        .getByTestId('diff-frame')
        .evaluateAll(
          (elements, attribute) => elements.map((e) => [e.getAttribute('data-path'), e.getAttribute(attribute)]),
          `data-${side}`,
        );
      expect(shown).toEqual(expected);
    }
    await screenshot(page, 'compare-side-by-side');
  }, 60_000);
});
