// Ceiling: the local SMTP sink alone. Welcome emails composed and sent the way the email
// service does (WelcomeMailComposer from the build, nodemailer's pooled transport, the raw
// message with its envelope and Message-ID), at high concurrency, no Kafka and no
// PostgreSQL: the most welcome emails per second the email service could reach against it.
// Prints messages/s and the CPU per message of this client and of the sink process.
// Needs the build (npm run build).
//   SMTP_URL (smtp://127.0.0.1:2525)  MESSAGES (20000)  CONNECTIONS (256)  IN_FLIGHT (512)
import { readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import { sendComposed } from '../../dist/services/email/smtp-send.js';
import { WelcomeMailComposer } from '../../dist/services/email/welcome-mail.js';

const url = new URL(process.env.SMTP_URL ?? 'smtp://127.0.0.1:2525');
const messages = Number(process.env.MESSAGES ?? 20_000);
const connections = Number(process.env.CONNECTIONS ?? 256);
const inFlight = Number(process.env.IN_FLIGHT ?? 512);

/** CPU clock ticks (1/100 s) used so far by every process whose command line runs the sink. */
function sinkTicks() {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      // This ceiling's own command line names smtp-sink.mjs too (bench/ceilings/).
      if (Number(pid) === process.pid || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('scripts/infra/smtp-sink.mjs')) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // ended between listing and reading
    }
  }
  return ticks;
}

const mailer = nodemailer.createTransport({
  host: url.hostname,
  port: Number(url.port || 25),
  secure: false,
  pool: true,
  maxConnections: connections,
  maxMessages: Infinity,
});

const composer = new WelcomeMailComposer('Signup Pipeline <welcome@signup-pipeline.invalid>');
const sendWelcome = async (i) => {
  const mail = await composer.compose({ userId: randomUUID(), email: `ceiling${i}@d${Math.abs(i) % 17}.example`, username: `ceiling${Math.abs(i)}` });
  return sendComposed(mailer, mail);
};

// Warm-up: the pool's connections open before the clock starts.
await Promise.all(Array.from({ length: connections }, (_, i) => sendWelcome(-1 - i)));
const sinkBefore = sinkTicks();
const ownBefore = process.cpuUsage();
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (next < messages) await sendWelcome(next++);
  }),
);
const seconds = (performance.now() - started) / 1000;
const own = process.cpuUsage(ownBefore);
const sinkUs = (sinkTicks() - sinkBefore) * 10_000;
mailer.close();
console.log(
  JSON.stringify({
    messages,
    connections,
    inFlight,
    seconds: Math.round(seconds * 100) / 100,
    messagesPerSecond: Math.round(messages / seconds),
    clientCpuUsPerMessage: Math.round((own.user + own.system) / messages),
    sinkCpuUsPerMessage: Math.round(sinkUs / messages),
  }),
);
