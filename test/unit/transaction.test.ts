// The transaction policy of TransactionalCommitter, on a scripted stand-in for the client's
// producer (pure logic: what is committed together, repeated, aborted or replaced). The
// real broker's side is covered by the integration and fault suites.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Kafka } from '../../src/kafka/client.js';
import { createLogger } from '../../src/logger.js';
import { TransactionalCommitter, type TransactionalBatch } from '../../src/kafka/consumer/transaction.js';

type Step = () => Promise<void>;

class ScriptedTransaction {
  readonly sent: string[] = [];
  offsets: Array<{ partition: number; offset: string }> = [];
  commits = 0;
  aborts = 0;
  constructor(
    private readonly onCommit: Step[],
    private readonly onAbort: Step[],
  ) {}
  async sendBatch({ topicMessages }: { topicMessages: Array<{ messages: Array<{ key: string }> }> }) {
    this.sent.push(...topicMessages.flatMap((t) => t.messages.map((m) => m.key)));
  }
  async sendOffsets({ topics }: { topics: Array<{ partitions: Array<{ partition: number; offset: string }> }> }) {
    this.offsets = topics.flatMap((t) => t.partitions);
  }
  async commit() {
    this.commits++;
    await (this.onCommit.shift() ?? (async () => undefined))();
  }
  async abort() {
    this.aborts++;
    await (this.onAbort.shift() ?? (async () => undefined))();
  }
}

class ScriptedProducer {
  readonly transactions: ScriptedTransaction[] = [];
  disconnected = false;
  constructor(
    readonly config: { kafkaJS: { transactionalId: string } },
    private readonly script: { commit: Step[]; abort: Step[] },
  ) {}
  async connect() {}
  async flush() {}
  async disconnect() {
    this.disconnected = true;
  }
  async transaction() {
    const transaction = new ScriptedTransaction(this.script.commit, this.script.abort);
    this.transactions.push(transaction);
    return transaction;
  }
}

const timedOut = () => Promise.reject(Object.assign(new Error('Transactional API operation (commit_transaction) timed out'), { code: -185 }));
const failed = (fatal = false) => Promise.reject(Object.assign(new Error('broken'), { fatal }));

function setUp(script: { commit?: Step[]; abort?: Step[] } = {}) {
  const producers: ScriptedProducer[] = [];
  const steps = { commit: script.commit ?? [], abort: script.abort ?? [] };
  const kafka = { producer: (config: ScriptedProducer['config']) => producers[producers.push(new ScriptedProducer(config, steps)) - 1] } as unknown as Kafka;
  const committer = new TransactionalCommitter({ kafka, transactionalId: 'tx-1', consumer: {} as never, produceTimeoutMs: 1000, logger: createLogger('silent', 'test') });
  return { committer, producers };
}

const batch = (partition: number, lastOffset: string, keys: string[] = []): TransactionalBatch => ({
  topic: 'in',
  partition,
  lastOffset,
  records: keys.map((key) => ({ topic: 'out', message: { key, value: Buffer.from(key) } })),
});

afterEach(() => {
  vi.useRealTimers();
});

describe('TransactionalCommitter', () => {
  it('commits a batch with its records and the offset after its last record', async () => {
    const { committer, producers } = setUp();
    await committer.connect();
    await committer.commit(batch(2, '41', ['a', 'b']));
    const [transaction] = producers[0]!.transactions;
    expect(transaction!.sent).toEqual(['a', 'b']);
    expect(transaction!.offsets).toEqual([{ partition: 2, offset: '42' }]);
    expect(transaction!.commits).toBe(1);
  });

  it('puts batches that finish while a transaction commits into the next one together', async () => {
    let release!: () => void;
    const { committer, producers } = setUp({ commit: [() => new Promise<void>((resolve) => (release = resolve))] });
    const first = committer.commit(batch(0, '9', ['a']));
    await vi.waitFor(() => expect(producers[0]!.transactions[0]?.commits).toBe(1));
    const second = committer.commit(batch(1, '19', ['b']));
    const third = committer.commit(batch(2, '29', ['c']));
    release();
    await Promise.all([first, second, third]);
    const transactions = producers[0]!.transactions;
    expect(transactions).toHaveLength(2);
    expect(transactions[1]!.sent).toEqual(['b', 'c']);
    expect(transactions[1]!.offsets).toEqual([{ partition: 1, offset: '20' }, { partition: 2, offset: '30' }]);
  });

  it('commits again after a commit timed out, and never aborts it', async () => {
    const { committer, producers } = setUp({ commit: [timedOut, timedOut] });
    await committer.commit(batch(0, '0', ['a']));
    expect(producers[0]!.transactions[0]!.commits).toBe(3);
    expect(producers[0]!.transactions[0]!.aborts).toBe(0);
    expect(producers).toHaveLength(1);
  });

  it('aborts a failed transaction, reports the failure and keeps the producer', async () => {
    const { committer, producers } = setUp({ commit: [failed] });
    await expect(committer.commit(batch(0, '0', ['a']))).rejects.toThrow('broken');
    expect(producers[0]!.transactions[0]!.aborts).toBe(1);
    expect(producers).toHaveLength(1);
    await committer.commit(batch(0, '0', ['a']));
  });

  it('replaces the producer, with the same transactional id, when the abort fails for good', async () => {
    const { committer, producers } = setUp({ commit: [failed], abort: [() => failed(true)] });
    await expect(committer.commit(batch(0, '0'))).rejects.toThrow('broken');
    expect(producers).toHaveLength(2);
    expect(producers[0]!.disconnected).toBe(true);
    expect(producers[1]!.config.kafkaJS.transactionalId).toBe('tx-1');
    await committer.commit(batch(0, '0'));
    expect(producers[1]!.transactions).toHaveLength(1);
  });

  it('fails a transaction past its bound; a late failure of it never replaces the producer that took over', async () => {
    vi.useFakeTimers();
    let failLate!: () => void;
    const { committer, producers } = setUp({
      commit: [() => new Promise<void>((_, reject) => (failLate = () => reject(new Error('late')))), async () => undefined],
      abort: [() => failed(true)],
    });
    const stuck = committer.commit(batch(0, '0', ['a']));
    const outcome = stuck.catch((error: Error) => error.message);
    await vi.advanceTimersByTimeAsync(4 * 1000 + 6 * 5000 + 10_000 + 1);
    expect(await outcome).toMatch(/did not finish within/);
    expect(producers).toHaveLength(2);
    await committer.commit(batch(0, '0', ['a']));
    failLate();
    await vi.advanceTimersByTimeAsync(10);
    expect(producers).toHaveLength(2);
    expect(producers[1]!.disconnected).toBe(false);
  });
});
