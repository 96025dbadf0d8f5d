import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { repoRoot } from '../../infra/local/settings.js';

/**
 * Headless Debian Chromium driven by playwright-core, for the web UI's end-to-end tests.
 * `npx playwright install` cannot download browsers here, so the system's `chromium` (installed by
 * infra/scripts/install-prereqs.sh) runs with a fresh profile folder per browser.
 */
export const chromiumPath = process.env.HOTSPOTS_CHROMIUM ?? '/usr/bin/chromium';

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const screenshotDir = join(repoRoot, 'test-results', 'ui');

export interface UiBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchUiBrowser(options: { downloadsDir?: string } = {}): Promise<UiBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'hotspots-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    ...(options.downloadsDir ? { downloadsPath: options.downloadsDir } : {}),
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface UiPage {
  page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
}

/**
 * A page of the UI with the API key already stored (as if the user had entered it once), that
 * records every console error and uncaught exception.
 */
export async function openUiPage(
  browser: UiBrowser,
  url: string,
  options: { apiKey?: string | null; viewport?: { width: number; height: number } } = {},
): Promise<UiPage> {
  const page = await browser.context.newPage();
  if (options.viewport) await page.setViewportSize(options.viewport);
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  if (options.apiKey !== undefined) {
    // Runs in the page before its scripts (a string: the root tsconfig has no DOM types).
    await page.addInitScript(
      options.apiKey === null
        ? "localStorage.removeItem('hotspots.apiKey')"
        : `localStorage.setItem('hotspots.apiKey', ${JSON.stringify(options.apiKey)})`,
    );
  }
  await page.goto(url);
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
