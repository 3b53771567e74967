// Graceful shutdown of a long-running process, bounded twice. close-with-grace runs the
// stop on SIGTERM/SIGINT (or a fatal error) and exits with 1 when it overruns the bound, by
// a timer on the main thread. That timer never fires while the main thread is blocked
// inside a native call (a consumer was once seen stuck in the Kafka client's close for
// over 180 s), so a watchdog on a worker thread, which has an event loop of its own, ends
// the process a little later whatever the main thread is doing.
import { Worker } from 'node:worker_threads';
import closeWithGrace from 'close-with-grace';
import type { Logger } from '../logger.js';

/** Time close-with-grace gets to exit by itself before the watchdog acts. */
const WATCHDOG_MARGIN_MS = 2000;

// CommonJS, as evaluated worker code is. It writes its one line synchronously: the main
// thread, which owns the logger, may never run again.
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
setTimeout(() => {
  writeSync(2, JSON.stringify({ level: 60, time: Date.now(), pid: process.pid, name: workerData.name,
    msg: 'shutdown overran its bound with the main thread blocked; killing the process', boundMs: workerData.boundMs }) + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, workerData.afterMs);
`;

export interface ShutdownOptions {
  /** SHUTDOWN_TIMEOUT_MS: the whole stop must fit in it. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** The process's name in the watchdog's log line. */
  readonly name: string;
  /** What the stop does, for the log. */
  readonly describe: string;
}

/** Installs the handler: call it before anything starts, so a signal during start-up still shuts down cleanly. */
export function onShutdown({ timeoutMs, logger, name, describe }: ShutdownOptions, stop: () => Promise<void>): void {
  closeWithGrace({ delay: timeoutMs, logger: { error: (m: unknown) => logger.error(m) } }, async ({ signal, err }) => {
    new Worker(WATCHDOG, { eval: true, workerData: { afterMs: timeoutMs + WATCHDOG_MARGIN_MS, boundMs: timeoutMs, name } }).unref();
    if (err) logger.error({ err }, 'fatal error; shutting down');
    logger.info({ signal }, `shutting down: ${describe}`);
    await stop();
    logger.flush();
  });
}
