// The local stack's SMTP sink: a real SMTP server (the smtp-server package) that accepts
// every message and keeps it as an .eml file, one per message, where tests and people can
// read it. It stands in for a mail provider; nothing is relayed anywhere.
//
// Two switches let tests make it refuse like a real provider, each a file in the mail
// folder (see SINK_SWITCHES): `.refuse-sender` answers every MAIL FROM with 535 (our
// account's credentials refused: the provider's fault, to be waited out); `.refuse-recipients`
// answers every RCPT TO with 550 (the mailbox does not exist: the record's fault).
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

const port = Number(process.env.SMTP_SINK_PORT ?? 2525);
const dir = process.env.SMTP_SINK_DIR;
if (!dir) throw new Error('SMTP_SINK_DIR must name the folder that keeps received mail');
mkdirSync(dir, { recursive: true });

const refusal = (responseCode, text) => Object.assign(new Error(text), { responseCode });

let received = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  size: 10 * 1024 * 1024,
  onMailFrom(_address, _session, callback) {
    if (existsSync(join(dir, '.refuse-sender'))) return callback(refusal(535, '5.7.8 Authentication credentials invalid'));
    callback();
  },
  onRcptTo(_address, _session, callback) {
    if (existsSync(join(dir, '.refuse-recipients'))) return callback(refusal(550, '5.1.1 No such mailbox here'));
    callback();
  },
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      const file = join(dir, `${Date.now()}-${process.pid}-${++received}.eml`);
      // Envelope first, as headers the message itself does not carry.
      const envelope = `X-Sink-Mail-From: ${session.envelope.mailFrom ? session.envelope.mailFrom.address : ''}\r\n` +
        `X-Sink-Rcpt-To: ${session.envelope.rcptTo.map((r) => r.address).join(', ')}\r\n`;
      writeFileSync(`${file}.tmp`, Buffer.concat([Buffer.from(envelope), ...chunks]));
      // Renamed into place so a reader never sees half a message.
      renameSync(`${file}.tmp`, file);
      callback();
    });
  },
});
server.on('error', (error) => console.error(`smtp-sink error: ${error.message}`));
server.listen(port, '127.0.0.1', () => console.log(`smtp-sink listening on 127.0.0.1:${port}, keeping mail in ${dir}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
