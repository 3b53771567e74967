// What a consumer service is to the runtime: a name, a group, an input topic, a reader
// schema, and a handler for one decoded event (or one partition's batch of them). The
// service knows nothing of offsets, commits, retries or dead letters.
import type { Logger } from '../../logger.js';
import type { RecordLogger } from './record-logger.js';

export interface RecordContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly attempt: number;
  /** Logs lines carrying the record's coordinates, request id, trace id and event id. */
  readonly logger: RecordLogger;
}

export interface OutgoingRecord {
  readonly topic: string;
  /** Unset: the partitioner picks one from the key. */
  readonly partition?: number;
  readonly key: string;
  readonly value: Buffer;
  readonly headers?: Record<string, string>;
}

interface ConsumerServiceBase {
  /** Short name for logs: email, analytics, … */
  readonly name: string;
  readonly groupId: string;
  readonly topic: string;
  /** The Avro schema (text) this service reads every version of the contract as. */
  readonly readerSchema: string;
  /** Only committed transactional records (for consumers of transactional producers). */
  readonly readCommitted?: boolean;
  /**
   * For services that keep their offsets in their own database (in the same transaction as
   * their effects): the next offset to read for each partition they know. The runtime
   * starts each newly assigned partition there.
   */
  storedOffsets?(partitions: readonly number[]): Promise<ReadonlyMap<number, string>>;
  /**
   * For services that keep state per partition in memory: called when partitions are
   * assigned or revoked, and after a transaction that covered them failed. What the
   * service knew of them may be stale; it must rebuild it before handling their records.
   */
  resetPartitionState?(partitions: readonly number[]): void;
}

/** A service that handles one event at a time. */
export interface RecordConsumerService<T> extends ConsumerServiceBase {
  /**
   * Handles one event. Must be idempotent: the same record can arrive more than once. In
   * transactional mode, what it returns is produced in the transaction that also commits
   * the input offset.
   */
  handle(event: T, context: RecordContext): Promise<readonly OutgoingRecord[] | void>;
}

export interface DecodedRecord<T> {
  readonly event: T;
  readonly context: RecordContext;
}

export interface BatchContext {
  readonly topic: string;
  readonly partition: number;
  /** The offset after the batch's last record (dead-lettered records included): where to resume. */
  readonly nextOffset: string;
  readonly logger: Logger;
}

/**
 * A service that handles a polled batch of one partition's events at once, so that it can
 * write them (and `nextOffset`) in one database transaction. Must be idempotent.
 * The runtime isolates a failing record by handing the batch over again one record at a time.
 */
export interface BatchConsumerService<T> extends ConsumerServiceBase {
  handleBatch(records: readonly DecodedRecord<T>[], context: BatchContext): Promise<void>;
}

export type ConsumerService<T> = RecordConsumerService<T> | BatchConsumerService<T>;
