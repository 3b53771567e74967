// Entry point of scripts/dlq:
//   dlq list <service>                       every dead letter with its error headers
//   dlq republish <service> <partition:offset>… | --all
// Re-published records go back to their source topic; every consumer of it is idempotent.
import { createKafka } from '../kafka/client.js';
import { DeadLetterHeaders, deadLetterTopic } from '../kafka/consumer/dead-letter.js';
import { createIdempotentProducer } from '../kafka/producer.js';
import { createLogger } from '../logger.js';
import { readDeadLetters, republish } from '../operations/dead-letters.js';
import { consumerGroups, isServiceName, SERVICE_NAMES } from '../services/catalog.js';
import { loadConfigOrExit } from './load-config.js';
import { exitWithUsage, wantsHelp } from './usage.js';

const args = process.argv.slice(2);
const [command, service, ...selection] = args;
if (wantsHelp(args) || !['list', 'republish'].includes(command ?? '') || !isServiceName(service) || (command === 'republish' && selection.length === 0)) {
  exitWithUsage(`usage: dlq list <${SERVICE_NAMES.join('|')}>\n       dlq republish <service> <partition:offset>… | --all\n`, args);
}

const config = loadConfigOrExit();
const kafka = createKafka(config.kafka, createLogger('warn', 'dlq'));
const group = consumerGroups(config)[service];
const topic = deadLetterTopic(group);
const admin = kafka.admin();
await admin.connect();
try {
  const letters = await readDeadLetters(config.kafka, admin, topic);
  if (command === 'list') {
    process.stdout.write(`${letters.length} dead letter(s) in ${topic}\n`);
    for (const l of letters) {
      const h = l.headers;
      process.stdout.write(
        `${l.partition}:${l.offset}  from ${h[DeadLetterHeaders.sourceTopic]}/${h[DeadLetterHeaders.sourcePartition]}/${h[DeadLetterHeaders.sourceOffset]}` +
          `  after ${h[DeadLetterHeaders.attempts]} attempt(s) at ${h[DeadLetterHeaders.failedAt]}\n    ${h[DeadLetterHeaders.errorType]}: ${h[DeadLetterHeaders.errorMessage]}\n`,
      );
    }
  } else {
    const wanted = new Set(selection);
    const chosen = wanted.has('--all') ? letters : letters.filter((l) => wanted.has(`${l.partition}:${l.offset}`));
    const missing = [...wanted].filter((w) => w !== '--all' && !letters.some((l) => `${l.partition}:${l.offset}` === w));
    if (missing.length > 0) throw new Error(`no dead letter at ${missing.join(', ')} in ${topic}`);
    const producer = createIdempotentProducer(kafka, { lingerMs: 5, deliveryTimeoutMs: config.kafka.produceTimeoutMs });
    await producer.connect();
    try {
      const count = await republish(producer, topic, chosen);
      process.stdout.write(`re-published ${count} record(s) from ${topic} to their source topic\n`);
    } finally {
      await producer.disconnect();
    }
  }
} catch (error) {
  process.stderr.write(`dlq: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await admin.disconnect();
}
