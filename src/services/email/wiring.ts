// The email service on the shared clients: its ledger in PostgreSQL and a pooled SMTP mailer.
import { createPool } from '../../db/pool.js';
import type { ServiceWiring } from '../wiring.js';
import { WelcomeEmailLedger } from './ledger.js';
import { createMailer, emailService } from './service.js';

export const wireEmail: ServiceWiring = async ({ config, logger, groupId, topic, readerSchema, onStop }) => {
  const pool = createPool(config.database.url);
  onStop(() => pool.end());
  const ledger = new WelcomeEmailLedger(pool);
  await ledger.init(logger);
  const mailer = createMailer(config.mail.smtpUrl, { requireTls: config.mail.requireTls });
  // An idle pooled connection that times out or drops is reported here, outside any
  // send; unhandled, the 'error' event would end the process.
  mailer.on('error', (err) => logger.warn({ err }, 'idle SMTP connection failed; the pool opens a new one for the next email'));
  onStop(() => mailer.close());
  return { service: emailService({ groupId, topic, readerSchema, ledger, mailer, from: config.mail.from }) };
};
