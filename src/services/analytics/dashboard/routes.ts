// The live analytics dashboard, served by the analytics service's HTTP listener:
// GET / (the page), /dashboard.js, /vendor/chart.umd.min.js and /api/dashboard (the data).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { dashboardData, type DashboardData } from './data.js';
import { DASHBOARD_HTML, DASHBOARD_SCRIPT } from './page.js';

// The browser build sits next to the package's main file; the package does not export its path.
const chartJs = readFileSync(join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'), 'utf8');

export interface DashboardRouteOptions {
  readonly data: () => Promise<DashboardData>;
}

export const dashboardRoutes: FastifyPluginAsync<DashboardRouteOptions> = async (app, { data }) => {
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(DASHBOARD_HTML));
  app.get('/dashboard.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(DASHBOARD_SCRIPT));
  app.get('/vendor/chart.umd.min.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(chartJs),
  );
  app.get('/api/dashboard', async (_request, reply) => reply.header('cache-control', 'no-store').send(await data()));
};

export { dashboardData };
