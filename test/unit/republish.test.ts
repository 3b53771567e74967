import { describe, expect, it } from 'vitest';
import { DeadLetterHeaders, deadLetterTopic, groupOfDeadLetterTopic } from '../../src/kafka/consumer/dead-letter.js';
import type { Producer } from '../../src/kafka/producer.js';
import { republish, type DeadLetter } from '../../src/operations/dead-letters.js';

const letter = (group: string | undefined): DeadLetter => ({
  partition: 0,
  offset: '7',
  key: Buffer.from('k'),
  value: Buffer.from('v'),
  headers: { [DeadLetterHeaders.sourceTopic]: 'signups', ...(group ? { [DeadLetterHeaders.group]: group } : {}) },
});

/** Records what would be sent; nothing reaches a broker (the refusals come before any send). */
function recordingProducer() {
  const sent: Array<{ topic: string; headers: Record<string, string> }> = [];
  const producer = {
    send: async ({ topic, messages }: { topic: string; messages: Array<{ headers: Record<string, string> }> }) => {
      sent.push(...messages.map((m) => ({ topic, headers: m.headers })));
      return [];
    },
  } as unknown as Producer;
  return { producer, sent };
}

describe('republish', () => {
  it('sends each letter back to its source for the group of its dead-letter topic only', async () => {
    const { producer, sent } = recordingProducer();
    await republish(producer, deadLetterTopic('app.email'), [letter('app.email'), letter(undefined)]);
    expect(sent.map((s) => [s.topic, s.headers[DeadLetterHeaders.replayForGroup], s.headers['dlq.republished-from']])).toEqual([
      ['signups', 'app.email', 'app.email.dlq/0/7'],
      ['signups', 'app.email', 'app.email.dlq/0/7'],
    ]);
  });

  it('refuses, sending nothing, when a letter names another group: every consumer would skip it', async () => {
    const { producer, sent } = recordingProducer();
    await expect(republish(producer, deadLetterTopic('app.email'), [letter('app.email'), letter('app.gone')])).rejects.toThrow(/names group app.gone: refusing/);
    expect(sent).toEqual([]);
  });

  it('refuses a topic that is not a dead-letter topic', async () => {
    await expect(republish(recordingProducer().producer, 'signups', [letter(undefined)])).rejects.toThrow(/not a dead-letter topic/);
    expect(groupOfDeadLetterTopic('a.b.dlq')).toBe('a.b');
  });
});
