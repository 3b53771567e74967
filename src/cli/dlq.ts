// Entry point of scripts/dlq (see DLQ_USAGE): lists dead letters with what an operator needs
// to decide on them, re-publishes them to their source topic or discards them. Re-publishing
// and discarding mark the letters handled in the same Kafka transaction, so each letter is
// acted on once however many runs race (see operations/dead-letter-handling.ts).
import { createKafka } from '../kafka/client.js';
import { deadLetterTopic } from '../kafka/consumer/dead-letter.js';
import { createLogger } from '../logger.js';
import { chooseLetters, DeadLetterHandling, DeadLetterRefusedError } from '../operations/dead-letter-handling.js';
import { DeadLetterDecoder, formatLetter } from '../operations/dead-letter-view.js';
import { readDeadLetters, readHandled } from '../operations/dead-letters.js';
import { createRegistryClient } from '../registry/client.js';
import { consumerGroups } from '../services/catalog.js';
import { DLQ_USAGE, parseDlqArguments, type DlqCommand } from './dlq-arguments.js';
import { loadConfigOrExit } from './load-config.js';
import { exitWithUsage, wantsHelp } from './usage.js';

const args = process.argv.slice(2);
const parsed = parseDlqArguments(args);
if (wantsHelp(args) || 'problem' in parsed) exitWithUsage(DLQ_USAGE, args, 'problem' in parsed ? parsed.problem : undefined);
const call: DlqCommand = parsed;

const config = loadConfigOrExit();
// stdout is the tool's answer (one JSON letter per line with --json): the logs go to stderr.
const logger = createLogger('warn', 'dlq', process.stderr);
const kafka = createKafka(config.kafka, logger);
const topic = deadLetterTopic(consumerGroups(config)[call.service]);
const admin = kafka.admin();
await admin.connect();
try {
  if (call.command === 'list') await list(call);
  else await handle(call);
} catch (error) {
  process.stderr.write(`dlq: ${(error as Error).message}\n`);
  process.exitCode = error instanceof DeadLetterRefusedError ? 3 : 1;
} finally {
  await admin.disconnect();
}

async function list(call: Extract<DlqCommand, { command: 'list' }>): Promise<void> {
  const [letters, handled] = await Promise.all([readDeadLetters(config.kafka, admin, topic), readHandled(config.kafka, admin, topic)]);
  const decoder = new DeadLetterDecoder(createRegistryClient(config.registry), config);
  const views = [];
  for (const letter of letters) views.push(await decoder.view(letter, handled));
  const ofClass = views.filter((v) => call.errorClass === undefined || v.error.type === call.errorClass);
  const shown = call.all ? ofClass : ofClass.filter((v) => v.handled === null);
  const hidden = ofClass.length - shown.length;
  const filter = call.errorClass === undefined ? '' : ` with error ${call.errorClass}`;
  if (call.json) {
    for (const view of shown) process.stdout.write(`${JSON.stringify(view)}\n`);
    // stdout stays one letter per line for scripts
    if (hidden > 0) process.stderr.write(`${hidden} handled letter(s) hidden (--all shows them)\n`);
    return;
  }
  const waiting = ofClass.length - ofClass.filter((v) => v.handled !== null).length;
  process.stdout.write(`${waiting} dead letter(s) waiting${filter} in ${topic}${call.all ? `, ${ofClass.length - waiting} handled` : ''}\n`);
  for (const view of shown) process.stdout.write(formatLetter(view));
  if (hidden > 0) process.stdout.write(`${hidden} handled letter(s) hidden (--all shows them)\n`);
}

async function handle(call: Exclude<DlqCommand, { command: 'list' }>): Promise<void> {
  // Fences every other run for this group before anything is read: what is read is final.
  const handling = await DeadLetterHandling.open(kafka, config.kafka, admin, topic, logger);
  try {
    const { letters, handled } = await handling.read();
    if (call.command === 'republish') {
      const chosen = chooseLetters(letters, handled, call.positions, { again: call.again });
      await handling.republish(chosen);
      process.stdout.write(`re-published ${chosen.length} record(s) from ${topic} to their source topic and marked them handled\n`);
    } else {
      const chosen = chooseLetters(letters, handled, call.positions, { again: false });
      await handling.discard(chosen, call.reason);
      process.stdout.write(`discarded ${chosen.length} dead letter(s) in ${topic}: marked handled, not re-published\n`);
    }
  } finally {
    await handling.close();
  }
}
