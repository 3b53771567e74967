// End-to-end latency, CPU and memory of the whole system under steady loads up to 1,000
// signups/s: the API and the four consumer services as their own processes (as scripts/up
// runs them, one instance each, logging at info), signups sent at a fixed rate. For each
// signup, how long from its event's timestamp (set by the API's producer, just before the
// 201) until the analytics service counted it (counted_users.counted_at), the enrolment was
// produced (its record's timestamp), the read_committed tracker recorded it
// (onboarding_state.recorded_at) and the welcome email was marked sent (welcome_emails.sent_at).
// Every time is taken by a server, not by this load generator, whose own event loop lags
// under load. Also how long after the load every effect existed, the CPU per signup of all
// the processes together and the peak RSS of each. And, since at 1,000 signups/s the two
// CPUs are nearly full, the latency of the signups sent while the machine was at least 98 %
// busy apart from the others: on a full machine every process waits for a CPU.
// Results: bench/results/end-to-end.json (the latest run only) and a section appended to docs/BENCHMARKS.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { APP_NODE_FLAGS } from '../src/cli/node-flags.js';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { eventCatalog, topicCatalog } from '../src/events/catalog.js';
import { createKafka } from '../src/kafka/client.js';
import { createLogger } from '../src/logger.js';
import { createRegistryClient } from '../src/registry/client.js';
import { registerSchemas } from '../src/registry/register-schemas.js';
import { SERVICE_NAMES } from '../src/services/catalog.js';
import { sleep } from '../test/support/sleep.js';
import { busyPercent, cpuTicks, cpuTicksOfCommand, machineTicks, TICK_US, trackPeakRss } from './support/proc.js';
import { waitForEffects } from './support/effects.js';
import { recordTimestamps, steadyLoad, summary, waitForHttp, type Summary } from './support/signups.js';

const root = new URL('../', import.meta.url).pathname;
// Phases as signups per second:seconds. A moderate load, one the services keep up with,
// and the issue's target: 1,000/s for a minute.
const PHASES = (process.env.BENCH_E2E_PHASES ?? '100:20,300:20,1000:60').split(',').map((phase) => {
  const [rate, seconds] = phase.split(':').map(Number);
  return { rate: rate!, seconds: seconds! };
});
/** How long after the last 201 the effects may take; past it the phase reports what is missing. */
const CATCH_UP_BOUND_MS = 180_000;
const API_PORT = 3121;
/** The window without load before the first phase. */
const IDLE_SECONDS = 10;
const run = randomUUID().slice(0, 8);
const env = {
  ...process.env,
  SIGNUP_TOPIC: `bench-e2e-${run}`,
  ONBOARDING_TOPIC: `bench-e2e-onb-${run}`,
  CONSUMER_GROUP_PREFIX: `bench-e2e-${run}.`,
  ANALYTICS_DB_SCHEMA: `bench_e2e_${run}`,
  API_PORT: String(API_PORT),
  API_RATE_LIMIT_MAX: '0', // one load generator, one address
  SERVICE_HTTP_PORT: '0',
  LOG_LEVEL: 'info',
};
const config = loadConfig(env);
const logger = createLogger('warn', 'bench');
const kafka = createKafka(config.kafka, logger);
const pool = createPool(config.database.url);


async function main(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await registerSchemas({ registry: createRegistryClient(config.registry), admin, catalog: eventCatalog(config), topics: topicCatalog(config) });
  await admin.disconnect();

  const processes = new Map<string, ChildProcess>([['api', start(['dist/cli/api.js'])], ...SERVICE_NAMES.map((s) => [s, start(['dist/cli/consumer.js', s])] as const)]);
  const tracked = new Map([...processes].map(([name, child]) => [name, trackProcess(child.pid!)]));
  try {
    await waitForHttp(`http://127.0.0.1:${API_PORT}/readyz`);
    // Warm-up until every path has handled a signup: groups joined, connections open, JIT warm.
    const warmUp = await steadyLoad(API_PORT, 50, 1, `e2e${run}w`);
    const warm = await waitForEffects(pool, config.analytics.dbSchema, warmUp, 60_000);
    if (!warm.complete) throw new Error('the warm-up signups did not all get their effects within 60 s');

    // Before any load: what the stack and the idle processes cost by themselves, and what
    // is left over from whatever ran before (a full scripts/bench run comes here from the
    // consumer benchmark). The low rates' figures are read against it.
    const idle = await idleWindow(tracked, IDLE_SECONDS);
    console.log(JSON.stringify({ idle }));

    const phases: Phase[] = [];
    for (const [index, { rate, seconds }] of PHASES.entries()) {
      for (const t of tracked.values()) t.mark();
      const machineBefore = machineTicks();
      const othersBefore = othersTicks();
      const loadStartedAt = performance.now();
      const busyWindows = sampleBusyEachSecond();
      // Each phase its own users: two phases at one rate would otherwise send the same addresses,
      // and the second would find every effect there already.
      const sent = await steadyLoad(API_PORT, rate, seconds, `e2e${run}p${index}r${rate}`);
      const loadEndedAt = performance.now();
      const windows = busyWindows.stop();
      const machineAfter = machineTicks();
      const othersAfter = othersTicks();
      const effects = await waitForEffects(pool, config.analytics.dbSchema, sent, CATCH_UP_BOUND_MS);
      const caughtUpMs = effects.complete ? Math.round(performance.now() - loadEndedAt) : undefined;
      const usage = Object.fromEntries([...tracked].map(([name, t]) => [name, t.usage()]));
      const producedAt = firstOf(await recordTimestamps(kafka, config.topics.signups.name, new Set(sent)));
      const enrolledAt = firstOf(await recordTimestamps(kafka, config.topics.onboarding.name, new Set(sent)));
      const from = (times: ReadonlyMap<string, number>) => latencyMs(sent, producedAt, times);
      const missing = (times: ReadonlyMap<string, unknown>) => sent.length - [...sent].filter((id) => times.has(id)).length;
      phases.push({
        rate,
        seconds,
        signups: sent.length,
        caughtUpMs,
        missingAtBound: { analytics: missing(effects.countedAt), enrolment: missing(enrolledAt), tracker: missing(effects.trackedAt), email: missing(effects.emailedAt) },
        analyticsRowMs: from(effects.countedAt),
        onboardingEventMs: from(enrolledAt),
        onboardingTrackedMs: from(effects.trackedAt),
        emailSentMs: from(effects.emailedAt),
        byMachineBusy: byMachineBusy(windows, sent, producedAt, { analytics: effects.countedAt, enrolment: enrolledAt, tracker: effects.trackedAt, email: effects.emailedAt }),
        cpuUsPerSignup: Math.round(Object.values(usage).reduce((sum, u) => sum + u.cpuUs, 0) / sent.length),
        machineBusyPercent: busyPercent(machineBefore, machineAfter),
        othersCpuPercent: sharesOfOneCore(othersBefore, othersAfter, loadEndedAt - loadStartedAt),
        processes: Object.fromEntries(Object.entries(usage).map(([name, u]) => [name, { peakRssMb: u.peakRssMb, peakOwnRssMb: u.peakOwnRssMb, cpuPercent: u.cpuPercent }])),
      });
      console.log(JSON.stringify(phases.at(-1)));
    }
    const results = { date: new Date().toISOString(), node: process.version, settings: { phases: PHASES, logLevel: 'info', partitions: config.topics.signups.partitions }, idle, phases };
    mkdirSync(`${root}bench/results`, { recursive: true });
    writeFileSync(`${root}bench/results/end-to-end.json`, `${JSON.stringify(results, null, 2)}\n`);
    appendFileSync(`${root}docs/BENCHMARKS.md`, markdown(results.date, idle, phases));
    console.log('results: bench/results/end-to-end.json, docs/BENCHMARKS.md');
  } finally {
    for (const t of tracked.values()) t.stop();
    for (const child of processes.values()) child.kill('SIGTERM');
    await Promise.all([...processes.values()].map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
    await pool.query(`DROP SCHEMA IF EXISTS ${config.analytics.dbSchema} CASCADE`);
    await pool.end();
  }
}

function start(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [...APP_NODE_FLAGS, ...args], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (code) console.error(`${args.join(' ')} exited with ${code ?? signal}`);
  });
  return child;
}

const firstOf = (times: ReadonlyMap<string, number[]>) => new Map([...times].map(([user, at]) => [user, at[0]!]));

/** Peak RSS and CPU share (of one core) of a process from now until stop(). */
function trackProcess(pid: number) {
  const rss = trackPeakRss(pid);
  let startTicks = 0;
  let startedAt = 0;
  return {
    /** Starts the CPU measurement (after the warm-up). */
    mark: () => {
      startTicks = cpuTicks(pid);
      startedAt = performance.now();
    },
    /** Peak RSS so far; CPU since mark(), as microseconds and as a share of one core. */
    usage: () => {
      const cpuUs = (cpuTicks(pid) - startTicks) * TICK_US;
      return { peakRssMb: Math.round(rss.peak() / 1024 / 1024), peakOwnRssMb: Math.round(rss.peakOwn() / 1024 / 1024), cpuUs, cpuPercent: Math.round((cpuUs / 1000 / (performance.now() - startedAt)) * 100) };
    },
    stop: () => void rss.stop(),
  };
}

const EFFECTS = ['analytics', 'enrolment', 'tracker', 'email'] as const;
type Effect = (typeof EFFECTS)[number];

/** Milliseconds from each user's signup event to its effect, over the users whose effect exists. */
function latencyMs(users: readonly string[], producedAt: ReadonlyMap<string, number>, effectAt: ReadonlyMap<string, number>): Summary {
  return summary(users.filter((id) => effectAt.has(id)).map((id) => effectAt.get(id)! - producedAt.get(id)!));
}

interface Phase {
  readonly rate: number;
  readonly seconds: number;
  readonly signups: number;
  /** From the last 201 until every effect of every signup existed; undefined: not within CATCH_UP_BOUND_MS. */
  readonly caughtUpMs: number | undefined;
  readonly missingAtBound: Readonly<Record<Effect, number>>;
  readonly analyticsRowMs: Summary;
  readonly onboardingEventMs: Summary;
  readonly onboardingTrackedMs: Summary;
  readonly emailSentMs: Summary;
  readonly byMachineBusy: ReturnType<typeof byMachineBusy>;
  /** CPU time of the API and the four services together, per signup. */
  readonly cpuUsPerSignup: number;
  /** How busy all the machine's CPUs were while the load ran: everything on it, broker, database, SMTP sink and load generator included. */
  readonly machineBusyPercent: number;
  readonly processes: Record<string, { peakRssMb: number; peakOwnRssMb: number; cpuPercent: number }>;
  /** Everything else on the machine while the load ran, as a share of one core: where the rest of the two CPUs went. */
  readonly othersCpuPercent: Record<string, number>;
}

/** Busy shares of the machine below and from this one, in per cent, split the signups of a phase. */
const FULL_MACHINE_PERCENT = 98;

type BusyWindow = { readonly to: number; readonly busyPercent: number };

/** How busy the machine was in each second from now until stop(): windows of wall-clock time (epoch ms), read from /proc/stat. */
function sampleBusyEachSecond() {
  const windows: BusyWindow[] = [];
  let last = { at: Date.now(), ticks: machineTicks() };
  const take = () => {
    const now = { at: Date.now(), ticks: machineTicks() };
    // This process's event loop lags under load: a window spans however long it was.
    windows.push({ to: now.at, busyPercent: busyPercent(last.ticks, now.ticks) });
    last = now;
  };
  const timer = setInterval(take, 1000);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return windows;
    },
  };
}

/**
 * The phase's signups split by how busy the machine was in the second each was produced
 * (below FULL_MACHINE_PERCENT, or from it up): how many seconds and signups each side
 * holds, and each effect's latency on each side.
 */
function byMachineBusy(windows: readonly BusyWindow[], sent: readonly string[], producedAt: ReadonlyMap<string, number>, effects: Readonly<Record<Effect, ReadonlyMap<string, number>>>) {
  const full = (at: number) => (windows.find((w) => at <= w.to) ?? windows.at(-1)!).busyPercent >= FULL_MACHINE_PERCENT;
  const side = (isFull: boolean) => {
    const users = sent.filter((id) => producedAt.has(id) && full(producedAt.get(id)!) === isFull);
    return {
      seconds: windows.filter((w) => w.busyPercent >= FULL_MACHINE_PERCENT === isFull).length,
      signups: users.length,
      latencyMs: Object.fromEntries(EFFECTS.map((effect) => [effect, latencyMs(users, producedAt, effects[effect])])) as Record<Effect, Summary>,
    };
  };
  return { full: side(true), notFull: side(false), busyPercentEachSecond: windows.map((w) => w.busyPercent) };
}

interface Idle {
  readonly seconds: number;
  readonly machineBusyPercent: number;
  /** The API's and each service's CPU, as a share of one core. */
  readonly processesCpuPercent: Record<string, number>;
  readonly othersCpuPercent: Record<string, number>;
}

/** CPU use with everything started and warm and no load, for `seconds`. */
async function idleWindow(tracked: ReadonlyMap<string, ReturnType<typeof trackProcess>>, seconds: number): Promise<Idle> {
  for (const t of tracked.values()) t.mark();
  const machineBefore = machineTicks();
  const othersBefore = othersTicks();
  const startedAt = performance.now();
  await sleep(seconds * 1000);
  const machineAfter = machineTicks();
  const othersAfter = othersTicks();
  return {
    seconds,
    machineBusyPercent: busyPercent(machineBefore, machineAfter),
    processesCpuPercent: Object.fromEntries([...tracked].map(([name, t]) => [name, t.usage().cpuPercent])),
    othersCpuPercent: sharesOfOneCore(othersBefore, othersAfter, performance.now() - startedAt),
  };
}

/** CPU ticks spent between two readings, as a share of one core over `ms`. */
function sharesOfOneCore(before: Record<string, number>, after: Record<string, number>, ms: number): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((name) => [name, Math.round((100 * (after[name]! - before[name]!) * TICK_US) / (ms * 1000))]));
}

/**
 * CPU ticks so far of what shares the machine with the app: the local stack's processes
 * (scripts/stack writes their pids), PostgreSQL's, and this load generator's own.
 */
function othersTicks(): Record<string, number> {
  const stackPart = (name: string) => cpuTicks(readFileSync(`${root}.stack/run/${name}.pid`, 'utf8').trim());
  return {
    'Kafka broker': stackPart('kafka'),
    'schema registry': stackPart('registry'),
    'SMTP sink': stackPart('smtp'),
    PostgreSQL: cpuTicksOfCommand('postgres'),
    'load generator (this benchmark)': cpuTicks(process.pid),
  };
}

function markdown(date: string, idle: Idle, phases: Phase[]): string {
  const names = Object.keys(phases[0]!.processes);
  const others = Object.keys(phases[0]!.othersCpuPercent);
  const latency = (s: Summary) => (Number.isFinite(s.p50) ? `${s.p50} / ${s.p99} / ${s.max}` : '–');
  const caughtUp = (p: Phase) =>
    p.caughtUpMs !== undefined ? `${(p.caughtUpMs / 1000).toFixed(1)} s` : `not within ${CATCH_UP_BOUND_MS / 1000} s (missing: ${Object.entries(p.missingAtBound).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')})`;
  return [
    '',
    `## End to end (${date}): the API and the four services as processes logging at info, one instance each, steady load`,
    '',
    "Latency from the signup event's timestamp (its produce by the API, just before the 201) to each effect, both times taken by the servers, in milliseconds (p50 / p99 / max, over the signups whose effect existed by the bound). \"Caught up\": from the last 201 until every signup of the phase had all four effects.",
    '',
    `| signups/s × s | analytics row counted | onboarding event produced | recorded by the read_committed tracker | welcome email sent | caught up | CPU µs per signup (API + services) | machine busy while loaded (${cpus().length} CPUs, everything on it) |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...phases.map(
      (p) =>
        `| ${p.rate} × ${p.seconds} | ${[p.analyticsRowMs, p.onboardingEventMs, p.onboardingTrackedMs, p.emailSentMs].map(latency).join(' | ')} | ${caughtUp(p)} | ${p.cpuUsPerSignup} | ${p.machineBusyPercent} % |`,
    ),
    '',
    `The same latencies (p50 / p99 / max, ms), the signups split by how busy the machine was (everything on it, from /proc/stat) in the second each was produced: under ${FULL_MACHINE_PERCENT} %, or ${FULL_MACHINE_PERCENT} % and more.`,
    '',
    '| signups/s | machine in that second | seconds | signups | analytics row counted | onboarding event produced | recorded by the tracker | welcome email sent |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...phases.flatMap((p) =>
      ([['notFull', `under ${FULL_MACHINE_PERCENT} % busy`], ['full', `${FULL_MACHINE_PERCENT} % busy or more`]] as const).map(([key, label]) => {
        const side = p.byMachineBusy[key];
        return `| ${p.rate} | ${label} | ${side.seconds} | ${side.signups} | ${EFFECTS.map((e) => latency(side.latencyMs[e])).join(' | ')} |`;
      }),
    ),
    '',
    "Each process during the phase: CPU time as a share of one core (the machine has two), and peak RSS since start, in all / its own (RssAnon; the rest is mapped from files, mostly the Node.js binary and libraries, shared by every Node.js process):",
    '',
    `| signups/s | ${names.map((n) => `${n} CPU % / RSS MB (own)`).join(' | ')} |`,
    `| --- | ${names.map(() => '---').join(' | ')} |`,
    `| idle, ${idle.seconds} s before the first phase | ${names.map((n) => `${idle.processesCpuPercent[n]} / –`).join(' | ')} |`,
    ...phases.map((p) => `| ${p.rate} | ${names.map((n) => `${p.processes[n]!.cpuPercent} / ${p.processes[n]!.peakRssMb} (${p.processes[n]!.peakOwnRssMb})`).join(' | ')} |`),
    '',
    `Everything else on the machine during the phase, CPU time as a share of one core: with the processes above, where the ${cpus().length} CPUs went.`,
    '',
    `| signups/s | ${others.join(' | ')} |`,
    `| --- | ${others.map(() => '---').join(' | ')} |`,
    `| idle, ${idle.seconds} s before the first phase (machine ${idle.machineBusyPercent} % busy) | ${others.map((n) => `${idle.othersCpuPercent[n]}`).join(' | ')} |`,
    ...phases.map((p) => `| ${p.rate} | ${others.map((n) => `${p.othersCpuPercent[n]}`).join(' | ')} |`),
    '',
  ].join('\n');
}

await main();
process.exit(0);
