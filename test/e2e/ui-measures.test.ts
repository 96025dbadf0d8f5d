import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../infra/local/settings.js';
import type { Deps } from '../../shared/app/deps.js';
import { formatNs, formatValue, measureLabel } from '../../ui/src/format.js';
import { big, getExact } from '../support/api.js';
import { launchUiBrowser, openUiPage, screenshot, type UiBrowser, type UiPage } from '../support/browser.js';
import { measureFixtures, storeMeasureFixtures } from '../support/measure-fixtures.js';
import { testDeps } from '../support/services.js';

/**
 * The web UI's measures in headless Chromium: the waterfall's and the span view's breakdown of a
 * span's time, and the flame graph's measure picker. Every figure shown is compared with the
 * query API's answer for the same selection (the API's own exactness is measures.test.ts's).
 */
let deps: Deps;
let browser: UiBrowser;
const pages: UiPage[] = [];
const fixtures = measureFixtures();
const { ids, pyTrace } = fixtures;

interface Breakdown {
  profiled: boolean;
  wall_ns: number | bigint | null;
  categories: { category: string; ns: number | bigint }[];
}
interface TraceBody {
  spans: { span_id: string; duration_ns: number | bigint; breakdown: Breakdown }[];
}
interface HotspotsBody {
  measures: string[];
  breakdown: Breakdown | null;
}
interface FlameBody {
  total_value: number | bigint;
  unit: string;
}

const slug = (category: string) => category.toLowerCase().replace(/[^a-z]+/g, '-');
const num = (value: number | bigint | null | undefined) => Number(big(value));

async function open(path: string): Promise<Page> {
  const ui = await openUiPage(browser, `${inject('apiUrl')}${path}`, { apiKey: inject('apiKey') });
  pages.push(ui);
  return ui.page;
}

async function waitForNs(page: Page, testId: string, expected: bigint | number | null | undefined) {
  await expect
    .poll(() => page.getByTestId(testId).first().getAttribute('data-ns'), { timeout: 30_000 })
    .toBe(String(big(expected)));
}

async function flameTotal(params: Record<string, string>): Promise<FlameBody> {
  const { status, body } = await getExact<FlameBody>(`/v1/flamegraph?${new URLSearchParams(params)}`);
  expect(status).toBe(200);
  return body;
}

/** The breakdown figures the span details show, by test id. */
async function shownBreakdown(page: Page, breakdown: Breakdown) {
  const shown: Record<string, string | null> = {};
  for (const c of breakdown.categories) {
    shown[slug(c.category)] = await page.getByTestId(`breakdown-${slug(c.category)}`).getAttribute('data-ns');
  }
  if (breakdown.wall_ns !== null) shown.wall = await page.getByTestId('breakdown-wall').getAttribute('data-ns');
  return shown;
}

const expectedShown = (breakdown: Breakdown) => ({
  ...Object.fromEntries(breakdown.categories.map((c) => [slug(c.category), String(big(c.ns))])),
  ...(breakdown.wall_ns === null ? {} : { wall: String(big(breakdown.wall_ns)) }),
});

beforeAll(async () => {
  if (!existsSync(join(repoRoot, 'dist', 'web', 'index.html'))) {
    throw new Error('dist/web/index.html is missing: run npm run build (it builds the UI with Vite)');
  }
  deps = testDeps();
  await storeMeasureFixtures(deps, fixtures);
  browser = await launchUiBrowser({ downloadsDir: mkdtempSync(join(tmpdir(), 'hotspots-ui-measures-')) });
}, 180_000);

afterEach(async () => {
  for (const ui of pages.splice(0)) await ui.page.close();
});

afterAll(async () => {
  await browser?.close();
  await deps?.close();
});

describe('where the time went, in the waterfall and the span view', () => {
  it('splits each wall-profiled span’s bar into the runtime’s categories of GET /v1/traces/{id}', async () => {
    const { body: trace } = await getExact<TraceBody>(`/v1/traces/${pyTrace}`);
    const { body: root } = await getExact<HotspotsBody>(`/v1/spans/${ids.root}/hotspots`);
    const page = await open(`/traces/${pyTrace}`);
    await page.getByTestId('waterfall').waitFor();

    for (const span of trace.spans) {
      const row = page.locator(`[data-span-id="${span.span_id}"]`);
      const segments = await row
        .getByTestId('wf-seg')
        .evaluateAll((els) => els.map((el) => [el.getAttribute('data-category'), el.getAttribute('data-ns')]));
      const text = await row.getByTestId('wf-text').textContent();
      if (span.breakdown.profiled) {
        expect(segments).toEqual(span.breakdown.categories.map((c) => [c.category, String(big(c.ns))]));
        expect(text).toBe(
          [
            formatNs(num(span.duration_ns)),
            ...span.breakdown.categories.map((c) => `${formatNs(num(c.ns))} ${c.category}`),
          ].join(' · '),
        );
      } else {
        expect([segments, text]).toEqual([[], `${formatNs(num(span.duration_ns))} · not profiled`]);
      }
    }
    expect(trace.spans.find((s) => s.span_id === ids.idle)?.breakdown.profiled).toBe(false);

    // The root is selected first: its request's breakdown, figure by figure.
    const breakdown = root.breakdown as Breakdown;
    await waitForNs(page, 'breakdown-lock-wait', breakdown.categories.find((c) => c.category === 'Lock Wait')?.ns);
    expect(await shownBreakdown(page, breakdown)).toEqual(expectedShown(breakdown));
    await screenshot(page, 'trace-measures');
  });

  it('shows a Node request awaiting a timer as wall time without CPU, and a span no profile covered as not profiled', async () => {
    const { body: node } = await getExact<HotspotsBody>(`/v1/spans/${ids.nodeRoot}/hotspots`);
    const page = await open(`/spans/${ids.nodeRoot}`);
    const breakdown = node.breakdown as Breakdown;
    await waitForNs(page, 'breakdown-uncategorized', breakdown.categories.at(-1)?.ns);

    expect(await shownBreakdown(page, breakdown)).toEqual(expectedShown(breakdown));
    expect(await page.getByTestId('breakdown-cpu').getAttribute('data-ns')).toBe('0');

    const idle = await open(`/spans/${ids.idle}`);
    await idle.getByTestId('breakdown-not-profiled').waitFor();
    expect(await idle.getByTestId('breakdown').getAttribute('data-profiled')).toBe('false');
  });
});

describe('the flame graph’s measure picker', () => {
  it('offers the span’s measures and draws the request in each, with the API’s totals', async () => {
    const { body } = await getExact<HotspotsBody>(`/v1/spans/${ids.root}/hotspots`);
    const page = await open(`/spans/${ids.root}?profile=request`);
    const cpu = await flameTotal({ local_root_span_id: ids.root });
    await waitForNs(page, 'flame-total', cpu.total_value);

    const options = await page
      .getByTestId('flame-measure')
      .locator('option')
      .evaluateAll((els) => els.map((el) => el.getAttribute('value')));
    expect(options).toEqual(body.measures);

    for (const measure of ['wall', 'lock-wait', 'alloc-space/bytes']) {
      const expected = await flameTotal({ local_root_span_id: ids.root, measure });
      await page.getByTestId('flame-measure').selectOption(measure);
      await waitForNs(page, 'flame-total', expected.total_value);
      expect([
        await page.getByTestId('flame-total').textContent(),
        await page.getByTestId('flame-measure-label').textContent(),
      ]).toEqual([formatValue(num(expected.total_value), expected.unit), measureLabel(measure)]);
    }
    await screenshot(page, 'flame-measure-picker');
  });

  it('draws a service window’s flame graph in the measure picked', async () => {
    const page = await open(`/?service=${encodeURIComponent(fixtures.services.py)}`);
    await page.getByTestId('flame-measure').locator('option[value="wall"]').waitFor({ state: 'attached' });
    await page.getByTestId('flame-measure').selectOption('wall');
    const [from, to] = fixtures.window.split('&').map((p) => p.split('=')[1] ?? '');
    const expected = await flameTotal({
      service: fixtures.services.py,
      from: from ?? '',
      to: to ?? '',
      measure: 'wall',
    });

    await waitForNs(page, 'flame-total', expected.total_value);
    expect(await page.getByTestId('flame-total').getAttribute('data-measure')).toBe('wall');
  });
});
