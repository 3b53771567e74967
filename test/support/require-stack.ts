// Global setup of the integration project: every part of the stack must answer before a
// single test runs. An unreachable part fails the run with its name and address; it is
// never a reason to skip.
import { connect } from 'node:net';
import pg from 'pg';
import { hideUrlPassword } from '../../src/config.js';
import { stackConfig } from './stack-env.js';

const TIMEOUT_MS = 5000;

export default async function requireStack(): Promise<void> {
  const config = stackConfig();
  const problems = (
    await Promise.all([
      ...config.kafka.brokers.map((broker) => check(`Kafka broker ${broker}`, () => tcpConnect(broker))),
      check(`schema registry ${config.registry.url}`, () => httpOk(`${config.registry.url}/subjects`)),
      check(`PostgreSQL ${hideUrlPassword(config.database.url)}`, () => pgQuery(config.database.url)),
    ])
  ).filter((p): p is string => p !== undefined);
  if (problems.length > 0) {
    throw new Error(
      `The integration tests need the local stack and cannot reach:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        `Start it with 'scripts/stack up' (or run the whole suite with 'scripts/test').`,
    );
  }
}

async function check(what: string, probe: () => Promise<void>): Promise<string | undefined> {
  try {
    await probe();
    return undefined;
  } catch (error) {
    return `${what}: ${(error as Error).message}`;
  }
}

function tcpConnect(hostPort: string): Promise<void> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: host!, port: Number(port), timeout: TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no answer within ${TIMEOUT_MS} ms`));
    });
    socket.once('error', reject);
  });
}

async function httpOk(url: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
}

async function pgQuery(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: TIMEOUT_MS });
  await client.connect();
  try {
    await client.query('select 1');
  } finally {
    await client.end();
  }
}
