import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { Profile } from 'pprof-format';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../infra/local/settings.js';
import type { Deps } from '../../shared/app/deps.js';
import { sql } from '../../shared/platform/sql.js';
import { formatNs, formatShare } from '../../ui/src/format.js';
import { big, getExact } from '../support/api.js';
import { launchUiBrowser, openUiPage, screenshot, type UiBrowser, type UiPage } from '../support/browser.js';
import { generateLabelledCpuProfile, type LabelledCpuLabels } from '../support/go-pprof.js';
import { buildCpuProfile } from '../support/pprof-builder.js';
import { testDeps, uniqueService, uploadProfile, waitForCommittedProfiles, waitUntil } from '../support/services.js';
import { spanRow } from '../support/span-rows.js';

/**
 * The web UI in headless Chromium against the test stack, loaded with a real Go CPU profile
 * (labelled by endpoint, span and local root), a second version's profile built in code, and the
 * spans of one request. Every figure the UI shows is compared with the query API's answer for the
 * same selection; screenshots of each view go to test-results/ui/.
 */
const tenant = 'test-a';
let deps: Deps;
let browser: UiBrowser;
let service: string;
let labels: LabelledCpuLabels;
let rootId: string;
let childId: string;
let traceId: string;
let apiWindow: { from: string; to: string };
/** An upload of `service` that the consumer dead-lettered (a truncated pprof). */
let refusedId: string;
// Fresh ids per run: the test tenant's spans table outlives runs.
const randomSpanId = () => String(1_000_000_000 + Math.floor(Math.random() * 2 ** 52));
const dbSpanId = randomSpanId();
const paymentsSpanId = randomSpanId();
const treeRootId = randomSpanId();
const treeChildId = randomSpanId();
const treeTraceId = `${'0'.repeat(16)}${BigInt(treeRootId).toString(16).padStart(16, '0')}`;
const pages: UiPage[] = [];

interface EndpointsBody {
  total_cpu_ns: bigint | number;
  endpoints: { endpoint: string | null; cpu_ns: bigint | number; share: number }[];
}
interface FlameBody {
  total_cpu_ns: bigint | number;
}
interface TraceBody {
  spans: {
    span_id: string;
    duration_ns: bigint | number;
    cpu_ns: bigint | number;
    cpu_ns_with_children: bigint | number | null;
    unexplained_ns: bigint | number;
    profiled: boolean;
  }[];
}
interface IngestErrorsBody {
  errors: { profile_id: string; reason: { code: string; message: string }; failed_at: string }[];
}
interface HotspotsBody {
  cpu_ns: bigint | number;
  cpu_ns_with_children: bigint | number | null;
  unexplained_ns: bigint | number | null;
  profile_coverage: number | null;
  profiled: boolean | null;
  top_functions: { self: { function: string }[] };
}

const ordersEndpoint = 'POST /api/orders';
const itemsEndpoint = 'GET /items/[id] v2';
const uiUrl = (path: string) => `${inject('apiUrl')}${path}`;
const num = (value: bigint | number | null | undefined) => Number(big(value));

/** A UI page with the test key stored, as if the user had entered it once. */
async function open(path: string, options: Parameters<typeof openUiPage>[2] = {}): Promise<Page> {
  const ui = await openUiPage(browser, uiUrl(path), { apiKey: inject('apiKey'), ...options });
  pages.push(ui);
  return ui.page;
}

/** Console errors of the pages opened by the current test, minus the ones it expects. */
function consoleErrors(allowed: RegExp[] = []): string[] {
  const errors = pages.flatMap((p) => p.errors).filter((e) => !allowed.some((a) => a.test(e)));
  return errors;
}

async function closePages() {
  for (const ui of pages.splice(0)) await ui.page.close();
}

async function waitForNs(page: Page, testId: string, expected: bigint | number | null) {
  // Polled from the test side: page-side string predicates would need 'unsafe-eval', which the UI's CSP refuses.
  await expect
    .poll(() => page.getByTestId(testId).first().getAttribute('data-ns'), { timeout: 30_000 })
    .toBe(String(big(expected)));
}

/** The flame graph is drawn and its entry transition is over: the root frame spans the chart. */
async function flameDrawn(page: Page) {
  const chart = page.getByTestId('flame-chart');
  await chart.locator('g.frame').first().waitFor();
  const width = Number(await chart.locator('svg').getAttribute('width'));
  await expect
    .poll(async () => Number(await chart.locator('g.frame rect').first().getAttribute('width')), { timeout: 10_000 })
    .toBeCloseTo(width, 0);
}

const nsOf = async (page: Page, testId: string) =>
  BigInt((await page.getByTestId(testId).first().getAttribute('data-ns')) ?? 'NaN');

async function flamegraphTotal(params: Record<string, string>, endpoints: string[] = []): Promise<bigint> {
  const query = new URLSearchParams(params);
  for (const e of endpoints) query.append('endpoint', e);
  const { status, body } = await getExact<FlameBody>(`/v1/flamegraph?${query}`);
  expect(status).toBe(200);
  return big(body.total_cpu_ns);
}

beforeAll(async () => {
  if (!existsSync(join(repoRoot, 'dist', 'web', 'index.html'))) {
    throw new Error('dist/web/index.html is missing: run npm run build (it builds the UI with Vite)');
  }
  deps = testDeps();
  const dir = mkdtempSync(join(tmpdir(), 'hotspots-ui-'));
  const file = join(dir, 'cpu.pprof');
  service = uniqueService('ui-checkout');
  const generated = await generateLabelledCpuProfile(file, {
    durationMs: 2500,
    idSalt: Math.floor(Math.random() * 2 ** 32),
  });
  labels = generated.labels;
  const real = await uploadProfile(readFileSync(file), { service, env: 'prod', version: '2.0.0' });
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const built = await uploadProfile(
    buildCpuProfile({
      startNs: nowNs - 120_000_000_000n,
      durationNs: 10_000_000_000n,
      samples: [
        {
          stack: ['main.spin', 'main.handleRequest', 'main.main'],
          cpuNs: 800_000_000n,
          labels: { 'trace endpoint': ordersEndpoint },
        },
        {
          stack: ['runtime.mallocgc', 'main.handleRequest', 'main.main'],
          cpuNs: 300_000_000n,
          labels: { 'trace endpoint': itemsEndpoint },
        },
        { stack: ['runtime.gcBgMarkWorker'], cpuNs: 200_000_000n },
      ],
    }),
    { service, env: 'prod', version: '2.1.0' },
  );
  // dd-trace-go ≥ 2.11 labels samples with `span id` only: a request is then its span tree.
  const spanOnlyStart = nowNs - 60_000_000_000n;
  const spanOnly = await uploadProfile(
    buildCpuProfile({
      startNs: spanOnlyStart,
      durationNs: 10_000_000_000n,
      samples: [
        { stack: ['main.handle', 'main.main'], cpuNs: 300_000_000n, labels: { 'span id': treeRootId } },
        {
          stack: ['json.Marshal', 'main.handle', 'main.main'],
          cpuNs: 200_000_000n,
          labels: { 'span id': treeChildId },
        },
      ],
    }),
    { service: `${service}-tree`, env: 'prod', version: '2.11.0' },
  );
  const ids = [real.body.profile_id ?? '', built.body.profile_id ?? '', spanOnly.body.profile_id ?? ''];
  const refused = await uploadProfile(readFileSync(join(repoRoot, 'test', 'fixtures', 'bad', 'truncated.pprof')), {
    service,
  });
  refusedId = refused.body.profile_id ?? '';
  await waitForCommittedProfiles(deps, tenant, ids);
  await waitUntil(`profile ${refusedId} to be dead-lettered`, async () => {
    const { body } = await getExact<{ status?: string }>(`/v1/profiles/${refusedId}`);
    return body.status === 'dead_lettered' ? true : undefined;
  });

  const rows = await deps.db.query<{ s: string; d: string }>(
    sql`SELECT toString(start_ns) AS s, toString(duration_ns) AS d FROM profiles WHERE tenant = ${tenant} AND profile_id = ${ids[0] ?? ''}`,
  );
  const startNs = BigInt(rows[0]?.s ?? '0');
  const durationNs = BigInt(rows[0]?.d ?? '0');
  const child = labels.spans.find((s) => s.role === 'child');
  rootId = child?.parent_span_id ?? '';
  childId = child?.span_id ?? '';
  traceId = `0000000000000000${BigInt(rootId).toString(16).padStart(16, '0')}`;
  const span = (
    id: string,
    parent: string,
    svc: string,
    name: string,
    resource: string,
    start: bigint,
    duration: bigint,
    trace = traceId,
  ) =>
    spanRow({
      tenant,
      traceId: trace,
      spanId: id,
      parentId: parent,
      service: svc,
      startNs: start,
      durationNs: duration,
      name,
      resource,
      env: 'prod',
      version: '2.0.0',
    });
  await deps.db.insert('spans', [
    span(rootId, '0', service, 'http.request', ordersEndpoint, startNs, durationNs),
    span(
      dbSpanId,
      rootId,
      service,
      'postgres.query',
      'SELECT * FROM orders WHERE id = $1',
      startNs + 100_000_000n,
      300_000_000n,
    ),
    span(childId, rootId, service, 'orders.validate', 'validate', startNs + durationNs / 2n, durationNs / 2n),
    span(
      treeRootId,
      '0',
      `${service}-tree`,
      'http.request',
      'GET /tree',
      spanOnlyStart + 1_000_000_000n,
      2_000_000_000n,
      treeTraceId,
    ),
    span(
      treeChildId,
      treeRootId,
      `${service}-tree`,
      'encode',
      'json',
      spanOnlyStart + 1_500_000_000n,
      500_000_000n,
      treeTraceId,
    ),
    // Another service, after the profile ended: not profiled.
    span(
      paymentsSpanId,
      rootId,
      `${service}-payments`,
      'grpc.client',
      'payments.Charge',
      startNs + durationNs + 5_000_000_000n,
      20_000_000n,
    ),
  ]);
  const now = Math.floor(Date.now() / 1000);
  apiWindow = { from: String(Number(startNs / 1_000_000_000n) - 600), to: String(now + 600) };
  browser = await launchUiBrowser({ downloadsDir: mkdtempSync(join(tmpdir(), 'hotspots-ui-downloads-')) });
}, 180_000);

afterEach(closePages);

afterAll(async () => {
  await browser?.close();
  await deps?.close();
});

describe('service view', () => {
  it('lists CPU by endpoint with the figures of GET /v1/endpoints/cpu, and the flame graph of it all', async () => {
    const { body } = await getExact<EndpointsBody>(
      `/v1/endpoints/cpu?${new URLSearchParams({ service, ...apiWindow })}`,
    );
    const page = await open(`/?service=${encodeURIComponent(service)}`);
    await page.getByTestId('endpoints-table').waitFor();
    const shown = await page.getByTestId('endpoint-row').evaluateAll((rows) =>
      rows.map((row) => ({
        endpoint: (row.querySelector('.endpoint-name')?.textContent ?? '').trim(),
        ns: row.querySelector('[data-testid="endpoint-cpu"]')?.getAttribute('data-ns'),
        cpu: row.querySelector('[data-testid="endpoint-cpu"]')?.textContent,
        share: row.querySelector('[data-testid="endpoint-share"]')?.textContent,
      })),
    );
    expect(shown).toEqual(
      body.endpoints.map((e) => ({
        endpoint: e.endpoint ?? '(no endpoint label)',
        ns: String(big(e.cpu_ns)),
        cpu: formatNs(num(e.cpu_ns)),
        share: formatShare(e.share),
      })),
    );
    expect(await nsOf(page, 'endpoints-total')).toBe(big(body.total_cpu_ns));
    await waitForNs(page, 'flame-total', body.total_cpu_ns);
    expect(await page.getByTestId('flame-total').textContent()).toBe(formatNs(num(body.total_cpu_ns)));
    await page.getByTestId('ts-legend').waitFor();
    await flameDrawn(page);
    await screenshot(page, 'service-1280');
    expect(consoleErrors()).toEqual([]);
  });

  it('narrows the flame graph, its total and the chart to the ticked endpoints (mouse, then keyboard)', async () => {
    const page = await open(`/?service=${encodeURIComponent(service)}`);
    await page.getByTestId('endpoints-table').waitFor();
    const orders = await flamegraphTotal({ service, ...apiWindow }, [ordersEndpoint]);
    const both = await flamegraphTotal({ service, ...apiWindow }, [ordersEndpoint, itemsEndpoint]);
    const before = await nsOf(page, 'endpoints-total');
    await waitForNs(page, 'flame-total', before);

    await page.getByRole('checkbox', { name: ordersEndpoint }).click();
    await waitForNs(page, 'flame-total', orders);
    expect(await nsOf(page, 'selection-cpu')).toBe(orders);
    expect(new URL(page.url()).searchParams.getAll('endpoint')).toEqual([ordersEndpoint]);
    expect(await page.getByTestId('flame-title').textContent()).toContain(ordersEndpoint);

    const items = page.getByRole('checkbox', { name: itemsEndpoint });
    await items.focus();
    await page.keyboard.press('Enter');
    await waitForNs(page, 'flame-total', both);
    expect(await items.isChecked()).toBe(true);
    await expect.poll(() => page.locator('[data-testid="ts-legend"] li').count()).toBe(2);
    expect(
      await page.locator('[data-testid="ts-legend"] li').evaluateAll((li) => li.map((l) => l.getAttribute('data-key'))),
    ).toEqual([ordersEndpoint, itemsEndpoint]);
    await flameDrawn(page);
    await screenshot(page, 'service-endpoints-ticked');

    await items.press(' ');
    await waitForNs(page, 'flame-total', orders);
    expect(consoleErrors()).toEqual([]);
  });

  it('zooms into a frame, shows total and self in tooltips, highlights search matches and resets', async () => {
    const page = await open(`/?service=${encodeURIComponent(service)}&endpoint=${encodeURIComponent(ordersEndpoint)}`);
    const orders = await flamegraphTotal({ service, ...apiWindow }, [ordersEndpoint]);
    await waitForNs(page, 'flame-total', orders);
    const frame = page.locator('g.frame[name="main.handleRequest"]').first();
    const reset = page.getByTestId('flame-reset');
    await frame.waitFor();

    await frame.hover();
    const tip = page.locator('.d3-flame-graph-tip');
    await tip.waitFor({ state: 'visible' });
    const data = await frame.evaluate(
      (el) => (el as unknown as { __data__: { data: { value: number; self: number } } }).__data__.data,
    );
    expect(await tip.textContent()).toContain(
      `Total ${formatNs(data.value)} · ${formatShare(data.value / Number(orders))} of all`,
    );
    expect(await tip.textContent()).toContain(`Self ${formatNs(data.self)}`);

    await frame.click();
    await expect.poll(() => reset.isDisabled()).toBe(false);
    expect(await page.getByTestId('flame-details').textContent()).toContain('Zoomed into main.handleRequest');
    // The zoomed frame spans the whole chart (after the transition).
    const chartWidth = Number(await page.getByTestId('flame-chart').locator('svg').getAttribute('width'));
    await expect.poll(async () => Number(await frame.locator('rect').getAttribute('width'))).toBeCloseTo(chartWidth, 0);
    await page.mouse.move(0, 0);
    await screenshot(page, 'flame-zoomed');

    await reset.click();
    await expect.poll(() => reset.isDisabled()).toBe(true);

    await page.getByTestId('flame-search').fill('spin');
    await expect.poll(() => page.getByTestId('flame-details').textContent()).toMatch(/^Search “spin”/);
    const highlighted = await page
      .locator('g.frame rect')
      .evaluateAll((rects) => rects.filter((r) => r.getAttribute('fill')?.toLowerCase() === '#e600e6').length);
    expect(highlighted).toBeGreaterThan(0);
    await screenshot(page, 'flame-search');

    // Keyboard: a frame takes focus, Enter zooms, Escape resets.
    const focusable = page.locator('g.frame[tabindex="0"][name="main.handleRequest"]').first();
    await focusable.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => reset.isDisabled()).toBe(false);
    await page.keyboard.press('Escape');
    await expect.poll(() => reset.isDisabled()).toBe(true);
    expect(consoleErrors()).toEqual([]);
  });

  it('downloads the same selection as a pprof whose CPU equals the flame graph total', async () => {
    const page = await open(`/?service=${encodeURIComponent(service)}&endpoint=${encodeURIComponent(ordersEndpoint)}`);
    const orders = await flamegraphTotal({ service, ...apiWindow }, [ordersEndpoint]);
    await waitForNs(page, 'flame-total', orders);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('flame-download').click()]);
    expect(download.suggestedFilename()).toBe(`${service}-cpu.pprof.gz`);
    const bytes = readFileSync((await download.path()) ?? '');
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const profile = Profile.decode(gunzipSync(bytes));
    const strings = profile.stringTable.strings;
    const cpuIndex = profile.sampleType.findIndex((t) => strings[Number(t.type)] === 'cpu');
    expect(cpuIndex).toBeGreaterThanOrEqual(0);
    const total = profile.sample.reduce((sum, s) => sum + BigInt(s.value[cpuIndex] ?? 0), 0n);
    expect(total).toBe(orders);
    expect(consoleErrors()).toEqual([]);
  });

  it('switches CPU over time to versions, with each version’s total from the API', async () => {
    const query = new URLSearchParams({ service, ...apiWindow, step: '600', group_by: 'version' });
    const { body } = await getExact<{ series: { key: string | null; total_cpu_ns: bigint | number }[] }>(
      `/v1/endpoints/timeseries?${query}`,
    );
    const page = await open(`/?service=${encodeURIComponent(service)}`);
    await page.getByTestId('ts-legend').waitFor();
    await page.getByText('By version').click();
    await page.locator('[data-testid="ts-legend"] li[data-key="2.1.0"]').waitFor();
    const shown = await page
      .locator('[data-testid="ts-legend"] li')
      .evaluateAll((li) =>
        li.map((l) => [l.getAttribute('data-key'), l.querySelector('[data-ns]')?.getAttribute('data-ns')]),
      );
    expect(shown).toEqual(body.series.map((s) => [s.key ?? '', String(big(s.total_cpu_ns))]));
    expect(new URL(page.url()).searchParams.get('group')).toBe('version');
    await flameDrawn(page);
    await screenshot(page, 'service-by-version');
    expect(consoleErrors()).toEqual([]);
  });
});

describe('ingest errors', () => {
  const rowsOf = (page: Page) =>
    page.getByTestId('ingest-error-row').evaluateAll((rows) =>
      rows.map((row) => ({
        id: row.getAttribute('data-profile-id'),
        code: row.querySelector('[data-testid="ingest-error-code"]')?.textContent,
        message: row.querySelector('[data-testid="ingest-error-message"]')?.textContent,
        time: row.querySelector('[data-testid="ingest-error-time"]')?.getAttribute('data-time'),
      })),
    );
  const expectedRows = (body: IngestErrorsBody) =>
    body.errors.map((e) => ({ id: e.profile_id, code: e.reason.code, message: e.reason.message, time: e.failed_at }));

  it('lists the service’s refused uploads with reason and time, as GET /v1/ingest-errors reports them', async () => {
    const { body } = await getExact<IngestErrorsBody>(`/v1/ingest-errors?service=${encodeURIComponent(service)}`);
    const page = await open(`/?service=${encodeURIComponent(service)}`);
    await page.getByTestId('ingest-errors-table').waitFor();

    const shown = await rowsOf(page);

    expect(shown).toEqual(expectedRows(body));
    expect(shown.find((row) => row.id === refusedId)).toMatchObject({
      code: 'unprocessable',
      message: expect.stringContaining('beyond the string table'),
    });
    await page.getByTestId('ingest-errors').scrollIntoViewIfNeeded();
    await screenshot(page, 'service-ingest-errors');
    expect(consoleErrors()).toEqual([]);
  });

  it('says when a service has no ingest errors', async () => {
    const page = await open(`/?service=${encodeURIComponent(`${service}-tree`)}`);

    await page.getByTestId('ingest-errors').getByText('No ingest errors').waitFor();

    expect(await page.getByTestId('ingest-error-row').count()).toBe(0);
    expect(consoleErrors()).toEqual([]);
  });

  it('shows a tenant with nothing committed yet the uploads that were refused, and why', async () => {
    const page = await open('/', { apiKey: inject('apiKey') });
    // The test tenant holds data from other tests: answer the services list as a new tenant's.
    await page.route('**/v1/services**', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: '{"services":[]}' }),
    );
    await page.reload();
    await page.getByText('No profiles yet').waitFor();
    await page.getByTestId('ingest-errors-table').waitFor();

    const shown = await rowsOf(page);

    // Tests running alongside add errors to this tenant: each row shown is checked against a
    // later answer holding more than the page asked for.
    const { body } = await getExact<IngestErrorsBody>('/v1/ingest-errors?limit=200');
    const answered = new Map(expectedRows(body).map((row) => [row.id, row]));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown).toEqual(shown.map((row) => answered.get(row.id)));
    expect(await page.getByTestId('ingest-errors').locator('th').allTextContents()).toContain('Service');
    await screenshot(page, 'empty-state-ingest-errors');
    expect(consoleErrors()).toEqual([]);
  });
});

describe('trace and span views', () => {
  it('draws the waterfall with each span’s on-CPU time inside its duration and opens the request’s flame graph', async () => {
    const { body: trace } = await getExact<TraceBody>(`/v1/traces/${traceId}`);
    const page = await open(`/traces/${traceId}`);
    await page.getByTestId('waterfall').waitFor();
    const ids = await page.getByTestId('wf-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-span-id')));
    expect(ids).toEqual([rootId, dbSpanId, childId, paymentsSpanId]);

    const root = trace.spans.find((s) => s.span_id === rootId);
    const rootRow = page.locator(`[data-span-id="${rootId}"]`);
    const onCpu = num(root?.cpu_ns_with_children ?? root?.cpu_ns);
    expect(await rootRow.getByTestId('wf-text').textContent()).toBe(
      `${formatNs(num(root?.duration_ns))} · ${formatNs(onCpu)} CPU · ${formatNs(num(root?.unexplained_ns))} unexplained`,
    );
    const cpuWidth = await rootRow
      .getByTestId('wf-cpu')
      .evaluate((el) => Number.parseFloat(/width:\s*([\d.]+)%/.exec(el.getAttribute('style') ?? '')?.[1] ?? 'NaN'));
    expect(cpuWidth).toBeCloseTo((100 * onCpu) / num(root?.duration_ns), 2);
    expect(await page.locator(`[data-span-id="${paymentsSpanId}"]`).getByTestId('wf-text').textContent()).toContain(
      'not profiled',
    );

    // The root is selected first, with its request (local root) flame graph.
    await waitForNs(page, 'span-cpu-children', root?.cpu_ns_with_children ?? null);
    expect(await nsOf(page, 'span-unexplained')).toBe(big(root?.unexplained_ns));
    await waitForNs(page, 'flame-total', await flamegraphTotal({ local_root_span_id: rootId }));
    expect(await nsOf(page, 'flame-total')).toBe(big(root?.cpu_ns_with_children));
    await flameDrawn(page);
    await screenshot(page, 'trace-1280');

    // Another span: its own CPU, then the whole trace's flame graph.
    const child = trace.spans.find((s) => s.span_id === childId);
    await page.locator(`[data-span-id="${childId}"]`).click();
    await waitForNs(page, 'span-cpu', child?.cpu_ns ?? 0);
    await waitForNs(page, 'flame-total', await flamegraphTotal({ span_id: childId }));
    await page.getByTestId('view-profile-trace').click();
    await waitForNs(page, 'flame-total', await flamegraphTotal({ trace_id: traceId }));
    expect(new URL(page.url()).searchParams.get('profile')).toBe('trace');
    expect(consoleErrors()).toEqual([]);
  });

  it('draws a request from its span tree when samples carry no local root label', async () => {
    const { body: trace } = await getExact<TraceBody>(`/v1/traces/${treeTraceId}`);
    const root = trace.spans.find((s) => s.span_id === treeRootId);
    const expected =
      (await flamegraphTotal({ span_id: treeRootId })) + (await flamegraphTotal({ span_id: treeChildId }));
    expect(big(root?.cpu_ns_with_children)).toBe(expected);
    const page = await open(`/traces/${treeTraceId}`);
    await waitForNs(page, 'flame-total', expected);
    // The API resolves the request through the span tree, so it downloads as one pprof too.
    expect(await page.getByTestId('flame-download').isDisabled()).toBe(false);
    await flameDrawn(page);
    expect(await page.locator('g.frame[name="json.Marshal"]').count()).toBe(1);
    expect(consoleErrors()).toEqual([]);
  });

  it('opens a span by id from the header and shows its hotspots as GET /v1/spans/{id}/hotspots reports them', async () => {
    const { body } = await getExact<HotspotsBody>(`/v1/spans/${rootId}/hotspots`);
    const page = await open('/');
    await page.getByTestId('open-kind').selectOption('span');
    await page.getByTestId('open-id').fill(rootId);
    await page.getByTestId('open-id').press('Enter');
    await page.waitForURL(`**/spans/${rootId}`);
    await waitForNs(page, 'span-cpu', body.cpu_ns);
    expect(await nsOf(page, 'span-cpu-children')).toBe(big(body.cpu_ns_with_children));
    expect(await nsOf(page, 'span-unexplained')).toBe(big(body.unexplained_ns));
    expect(await page.getByTestId('span-coverage').textContent()).toBe(formatShare(body.profile_coverage ?? 0));
    expect(await page.getByTestId('span-profiled').textContent()).toContain('Profiled');
    expect(await page.getByTestId('top-self').locator('tbody tr td').first().textContent()).toBe(
      body.top_functions.self[0]?.function,
    );
    await waitForNs(page, 'flame-total', body.cpu_ns);
    await page.getByTestId('view-profile-request').click();
    await waitForNs(page, 'flame-total', body.cpu_ns_with_children);
    await flameDrawn(page);
    await screenshot(page, 'span-1280');
    expect(consoleErrors()).toEqual([]);
  });

  it('says a span was not profiled, which is not 0 ms of CPU', async () => {
    const page = await open(`/spans/${paymentsSpanId}`);
    await page.getByTestId('span-profiled').waitFor();
    expect(await page.getByTestId('span-profiled').getAttribute('class')).toContain('not-profiled');
    expect(await page.getByTestId('span-profiled').textContent()).toContain('Not profiled');
    expect(await page.getByTestId('span-cpu').textContent()).toBe('not profiled');
    await page.getByTestId('flame-chart').getByText('Not profiled').waitFor();
    await screenshot(page, 'span-not-profiled');
    expect(consoleErrors()).toEqual([]);
  });

  it('explains an unknown trace and offers to retry', async () => {
    const page = await open('/traces/00000000000000000000000000abcdef');
    await page.getByText('Could not load trace').waitFor();
    expect(await page.locator('.state.error').textContent()).toContain('404 not_found');
    expect(consoleErrors([/status of 404/])).toEqual([]);
  });
});

describe('states and layout', () => {
  it('fits a 400 px wide window without sideways scrolling', async () => {
    const narrow = { width: 400, height: 800 };
    const page = await open(`/?service=${encodeURIComponent(service)}`, { viewport: narrow });
    await page.getByTestId('endpoints-table').waitFor();
    await flameDrawn(page);
    expect(await page.locator('html').evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(400);
    expect(await page.locator('th.wide-only').first().isVisible()).toBe(false);
    await screenshot(page, 'service-400');
    const trace = await open(`/traces/${traceId}`, { viewport: narrow });
    await flameDrawn(trace);
    expect(await trace.locator('html').evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(400);
    await screenshot(trace, 'trace-400');
    expect(consoleErrors()).toEqual([]);
  });

  it('asks for the API key when none is stored, keeps it, and then loads the data', async () => {
    const page = await open(`/?service=${encodeURIComponent(service)}`, { apiKey: null });
    const dialog = page.locator('dialog.key-dialog');
    await dialog.waitFor({ state: 'visible' });
    await page.getByText('Enter your API key').first().waitFor();
    await screenshot(page, 'key-dialog');
    await page.locator('#api-key-input').fill(inject('apiKey'));
    await page.locator('#api-key-input').press('Enter');
    await page.getByTestId('endpoints-table').waitFor();
    const stored = await page.evaluate(() =>
      (globalThis as unknown as { localStorage: { getItem(key: string): string | null } }).localStorage.getItem(
        'hotspots.apiKey',
      ),
    );
    expect(stored).toBe(inject('apiKey'));
    expect(consoleErrors()).toEqual([]);
  });

  it('says a refused key is refused (401) and how to enter another', async () => {
    const page = await open(`/?service=${encodeURIComponent(service)}`, { apiKey: 'not-a-valid-key' });
    await page.getByText('The API key was refused (401)').waitFor();
    expect(await page.getByTestId('key-button').textContent()).toBe('API key refused');
    await screenshot(page, 'key-refused');
    await page.getByRole('button', { name: 'Enter API key' }).click();
    await page.locator('#api-key-input').fill(inject('apiKey'));
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByTestId('endpoints-table').waitFor();
    expect(consoleErrors([/status of 401/])).toEqual([]);
  });

  it('tells how to point an agent at Hotspots when the tenant has no data yet', async () => {
    const page = await browser.context.newPage();
    const ui: UiPage = { page, errors: [] };
    pages.push(ui);
    page.on('console', (m) => {
      if (m.type() === 'error') ui.errors.push(m.text());
    });
    // The test tenants already hold data from other tests: answer the services list as a new tenant's.
    await page.route('**/v1/services**', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: '{"services":[]}' }),
    );
    await page.addInitScript(`localStorage.setItem('hotspots.apiKey', ${JSON.stringify(inject('apiKey'))})`);
    await page.goto(uiUrl('/'));
    await page.getByText('No profiles yet').waitFor();
    const text = (await page.locator('.onboarding').textContent()) ?? '';
    expect(text).toContain(`DD_TRACE_AGENT_URL=${inject('apiUrl')}/k/<api-key>`);
    expect(text).toContain('Pointing real clients at Hotspots');
    await screenshot(page, 'empty-state');
    expect(consoleErrors()).toEqual([]);
  });
});
