// The email service on the shared clients: its ledger in PostgreSQL and a pooled SMTP mailer.
import { createPool } from '../../db/pool.js';
import type { ServiceWiring } from '../wiring.js';
import { WelcomeEmailLedger } from './ledger.js';
import { createMailer, emailService } from './service.js';

// Partition batches in flight at once in one process: while one waits for its ledger
// transaction or its slowest send, another's emails are on the wire. Tuned with
// bench/consumers.ts; each holds a database connection (the pool has 5).
const EMAIL_PARTITIONS_CONCURRENTLY = 4;
// Rounds of sends in one polled batch. A batch in hand is finished on SIGTERM: at 500
// records and a slow or busy mail server that took longer than SHUTDOWN_TIMEOUT_MS in a
// rolling restart under load (bench/rolling-restart.ts), and the process was cut off.
const ROUNDS_PER_BATCH = 8;

export const wireEmail: ServiceWiring = async ({ config, logger, groupId, topic, readerSchema, onStop }) => {
  const pool = createPool(config.database.url);
  onStop(() => pool.end());
  const ledger = new WelcomeEmailLedger(pool);
  await ledger.init(logger);
  const { maxConnections } = config.mail;
  const mailer = createMailer(config.mail.smtpUrl, { requireTls: config.mail.requireTls, maxConnections });
  // An idle pooled connection that times out or drops is reported here, outside any
  // send; unhandled, the 'error' event would end the process.
  mailer.on('error', (err) => logger.warn({ err }, 'idle SMTP connection failed; the pool opens a new one for the next email'));
  onStop(() => mailer.close());
  // The partitions' rounds together hold two sends per connection: while one round is in
  // the ledger, or waits for its slowest send, the others keep every connection busy (at 32
  // connections 1,039/s with one send per connection, 1,797/s with two, bench/consumers.ts).
  // A round then holds its users' rows for about two SMTP calls (at most twice the mailer's
  // connection, greeting and socket timeouts, 40 s), within the ledger's holdMs.
  const sendsAtOnce = Math.max(1, Math.floor((2 * maxConnections) / EMAIL_PARTITIONS_CONCURRENTLY));
  return {
    service: emailService({ groupId, topic, readerSchema, ledger, mailer, from: config.mail.from, sendsAtOnce }),
    runtime: {
      partitionsConsumedConcurrently: Math.min(EMAIL_PARTITIONS_CONCURRENTLY, maxConnections),
      maxBatchSize: Math.min(config.consumers.maxBatchSize, sendsAtOnce * ROUNDS_PER_BATCH),
    },
  };
};
