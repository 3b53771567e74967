// Which users already have an enrolment, per partition of the enrolment topic. The topic is
// the record: onboarding pins each enrolment to the partition number of the signup it
// came from, and every signup of one user is on one partition (keyed by userId), so the
// owner of input partition p learns all it needs by reading output partition p. The set
// is rebuilt whenever it may be stale: on every assignment and after every failed
// transaction, so it only ever holds what committed or what this owner is committing now.
import type { Message } from '@confluentinc/kafka-javascript';

export type LoadPartition = (partition: number, onRecord: (record: Message) => void) => Promise<void>;

export class EnrolledUsers {
  private readonly byPartition = new Map<number, Promise<Set<string>>>();

  constructor(private readonly load: LoadPartition) {}

  /** The users enrolled on this partition; the set is read from the topic on first use. */
  of(partition: number): Promise<Set<string>> {
    let users = this.byPartition.get(partition);
    if (!users) {
      const loaded = new Set<string>();
      users = this.load(partition, (record) => {
        if (record.key) loaded.add(record.key.toString());
      }).then(() => loaded);
      this.byPartition.set(partition, users);
      // A failed read is not kept: the next record tries again.
      users.catch(() => {
        if (this.byPartition.get(partition) === users) this.byPartition.delete(partition);
      });
    }
    return users;
  }

  /**
   * Drops what is known of these partitions. A handler still holding an old set adds to
   * a set nobody reads any more: its transaction either commits (and the next read sees
   * it) or fails.
   */
  forget(partitions: readonly number[]): void {
    for (const partition of partitions) this.byPartition.delete(partition);
  }
}
