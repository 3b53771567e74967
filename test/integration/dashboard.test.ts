// The live analytics dashboard in a real browser (Debian's Chromium driven by
// playwright-core): it loads, a signup made through the API appears on it, and a
// screenshot is saved in test-output/.
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { SERVICE_NAMES } from '../../src/services/catalog.js';
import { startHealthServer } from '../../src/services/health-server.js';
import { isolatedConfig, startApiUnderTest, type ApiUnderTest } from '../support/api.js';
import { root } from '../support/processes.js';
import { eventually, startServiceUnderTest, type ServiceUnderTest } from '../support/services.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let config: Config;
let api: ApiUnderTest;
let browser: Browser;
let dashboardUrl: string;
const services: ServiceUnderTest[] = [];
let closeHttp: () => Promise<void>;

beforeAll(async () => {
  config = await isolatedConfig();
  api = await startApiUnderTest(config);
  for (const name of ['analytics', 'onboarding', 'onboarding-tracker'] as const) services.push(await startServiceUnderTest(name, config));
  const analytics = services[0]!;
  const http = await startHealthServer({
    consumer: analytics.consumer,
    registry: analytics.metrics,
    logger: createLogger('warn', 'dashboard-test'),
    host: '127.0.0.1',
    port: 0,
    startedAt: Date.now(),
    extraRoutes: analytics.httpRoutes,
  });
  dashboardUrl = http.url;
  closeHttp = () => http.app.close();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await closeHttp?.();
  for (const service of services) await service.stop();
  await api?.stop();
});

describe('analytics dashboard', () => {
  it('shows a signup made through the API, live, and renders its charts', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(dashboardUrl);
    await expect.poll(() => page.textContent('#total'), { timeout: 15_000 }).toBe('0');

    for (const domain of ['example.com', 'example.com', 'example.org']) {
      const response = await api.app.inject({
        method: 'POST',
        url: '/signup',
        headers: { 'content-type': 'application/json' },
        payload: { email: `dash-${randomUUID().slice(0, 8)}@${domain}`, username: 'dash_user' },
      });
      expect(response.statusCode).toBe(201);
    }
    // No reload: the page polls and updates itself.
    await expect.poll(() => page.textContent('#total'), { timeout: 20_000 }).toBe('3');
    await expect.poll(() => page.textContent('#onboarding'), { timeout: 20_000 }).toBe('3');
    await expect.poll(() => page.textContent('#last-hour'), { timeout: 10_000 }).toBe('3');
    await eventually(async () => (await page.locator('#lag tbody tr').count()) === SERVICE_NAMES.length, () => 'every service in the lag table');
    const lagTable = await page.locator('#lag tbody').textContent();
    for (const name of SERVICE_NAMES) expect(lagTable).toContain(name);
    // Chart.js drew on every canvas.
    const drawn = await page.evaluate<boolean[]>("[...document.querySelectorAll('canvas')].map((canvas) => Chart.getChart(canvas) !== undefined)");
    expect(drawn).toEqual([true, true, true]);
    expect(errors).toEqual([]);

    mkdirSync(`${root}test-output`, { recursive: true });
    await page.screenshot({ path: `${root}test-output/dashboard.png`, fullPage: true });
  });
});
