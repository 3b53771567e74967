// Where replay moves a group, on a real topic of its own: the tool run as a process the way
// an operator runs it (a dry run unless --execute, one target, --partitions leaving the others
// alone, out-of-range targets clamped, explicit offsets and shift-by without a position
// refused), and the moves behind it called directly. Every test has its own group (the
// consumer group prefix in the tool's environment), so none disturbs the running services.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../../src/config.js';
import { createPool } from '../../src/db/pool.js';
import { createKafka, type Kafka } from '../../src/kafka/client.js';
import { createLogger } from '../../src/logger.js';
import { groupProgress, moveGroup, planMove, ReplayRefusedError } from '../../src/operations/replay.js';
import { AnalyticsStore } from '../../src/services/analytics/store.js';
import { isolatedConfig } from '../support/api.js';
import { buildDist, envFor, root } from '../support/processes.js';
import { eventually } from '../support/services.js';

const PARTITIONS = 3;
const PER_PARTITION = 5;
const HOUR = 3_600_000;
let config: Config;
let kafka: Kafka;
let admin: KafkaJS.Admin;
let topic: string;

async function committed(groupId: string, on = topic): Promise<Map<number, string>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [on] });
  return new Map((entry?.partitions ?? []).filter((p) => Number(p.offset) >= 0).map((p) => [p.partition, p.offset]));
}

const everywhere = (offset: number) => new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, String(offset)]));

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `replay <service> …args` for the group `<prefix><name>.<service>`, as scripts/replay does. */
async function replay(name: string, service: string, ...args: string[]): Promise<Outcome> {
  const env = { ...envFor(config), CONSUMER_GROUP_PREFIX: groupPrefix(name) };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['dist/cli/replay.js', service, ...args], { cwd: root, env, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const groupPrefix = (name: string) => `${config.consumers.groupPrefix}${name}.`;
const emailGroup = (name: string) => `${groupPrefix(name)}email`;

/** The table's rows for `topic`, as PARTITION → [CURRENT, TARGET, LOW, HIGH, EFFECT]. */
function rows(stdout: string, on = topic): Map<number, string[]> {
  const lines = stdout.split('\n').filter((l) => l.startsWith(`${on} `));
  return new Map(lines.map((l) => l.split(/ {2,}/)).map(([, partition, ...rest]) => [Number(partition), rest]));
}

beforeAll(async () => {
  config = await isolatedConfig({ SIGNUP_TOPIC_PARTITIONS: String(PARTITIONS) });
  topic = config.topics.signups.name;
  kafka = createKafka(config.kafka, createLogger('warn', 'test'));
  admin = kafka.admin();
  await admin.connect();
  // Record i of each partition was written (5 - i) hours ago, so that --by-duration has a
  // known answer: PT150M lands on offset 3 of every partition.
  const now = Date.now();
  const producer = kafka.producer();
  await producer.connect();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const messages = Array.from({ length: PER_PARTITION }, (_, i) => ({ value: `record ${i}`, partition, timestamp: String(now - (PER_PARTITION - i) * HOUR) }));
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
  await buildDist();
}, 180_000);

afterAll(async () => {
  await admin?.disconnect();
});

describe('replay, the tool', () => {
  it('is a dry run by default: prints the move per partition and changes nothing', async () => {
    const group = emailGroup('dry-default');
    await moveGroup(kafka, admin, group, topic, { kind: 'offsets', offsets: new Map([[0, '2'], [1, '5'], [2, '4']]) });

    const outcome = await replay('dry-default', 'email');

    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(new RegExp(`^group ${group.replaceAll('.', '\\.')} to the earliest offsets:\nTOPIC +PARTITION +CURRENT +TARGET +LOW +HIGH +EFFECT\n`));
    expect(rows(outcome.stdout)).toEqual(
      new Map([
        [0, ['2', '0', '0', '5', 'replays 2']],
        [1, ['5', '0', '0', '5', 'replays 5']],
        [2, ['4', '0', '0', '5', 'replays 4']],
      ]),
    );
    expect(outcome.stdout.endsWith('dry run: nothing changed; add --execute to move the group\n')).toBe(true);
    expect(await committed(group)).toEqual(new Map([[0, '2'], [1, '5'], [2, '4']]));

    // --dry-run says the same thing out loud.
    expect((await replay('dry-default', 'email', '--to-latest', '--dry-run')).stdout).toContain('dry run: nothing changed');
    expect(await committed(group)).toEqual(new Map([[0, '2'], [1, '5'], [2, '4']]));
  });

  it('--execute --to-latest moves every partition to the end', async () => {
    const group = emailGroup('latest');
    await moveGroup(kafka, admin, group, topic, { kind: 'earliest' });

    const outcome = await replay('latest', 'email', '--to-latest', '--execute');

    expect(outcome.code).toBe(0);
    expect(rows(outcome.stdout).get(0)).toEqual(['0', '5', '0', '5', 'skips 5']);
    expect(outcome.stdout).toContain(`group ${group} moved; start the email service to replay`);
    expect(outcome.stdout).not.toContain('dry run');
    expect(await committed(group)).toEqual(everywhere(PER_PARTITION));
  });

  it('--execute --shift-by -N moves back from the committed position, clamped at the start', async () => {
    const group = emailGroup('shift');
    await moveGroup(kafka, admin, group, topic, { kind: 'offsets', offsets: new Map([[0, '5'], [1, '4'], [2, '1']]) });

    const outcome = await replay('shift', 'email', '--shift-by', '-2', '--execute');

    expect(outcome.code).toBe(0);
    expect(rows(outcome.stdout)).toEqual(
      new Map([
        [0, ['5', '3', '0', '5', 'replays 2']],
        [1, ['4', '2', '0', '5', 'replays 2']],
        [2, ['1', '0', '0', '5', 'replays 1, clamped']],
      ]),
    );
    expect(await committed(group)).toEqual(new Map([[0, '3'], [1, '2'], [2, '0']]));
  });

  it('--execute --by-duration moves to the first record written since then', async () => {
    const group = emailGroup('duration');
    await moveGroup(kafka, admin, group, topic, { kind: 'latest' });

    const outcome = await replay('duration', 'email', '--by-duration', 'PT150M', '--execute');

    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain('(PT150M ago)');
    expect(rows(outcome.stdout).get(1)).toEqual(['5', '3', '0', '5', 'replays 2']);
    expect(await committed(group)).toEqual(everywhere(3));
  });

  it('--partitions moves only those; the others keep their committed positions', async () => {
    const group = emailGroup('partitions');
    await moveGroup(kafka, admin, group, topic, { kind: 'latest' });

    const outcome = await replay('partitions', 'email', '--to-offset', '1', '--partitions', '0,2', '--execute');

    expect(outcome.code).toBe(0);
    expect([...rows(outcome.stdout).keys()]).toEqual([0, 2]);
    expect(await committed(group)).toEqual(new Map([[0, '1'], [1, '5'], [2, '1']]));
  });

  it('clamps a target past the end and says so: --to-offset and a --to-datetime after the last record', async () => {
    const group = emailGroup('clamped');
    await moveGroup(kafka, admin, group, topic, { kind: 'earliest' });

    const offset = await replay('clamped', 'email', '--to-offset', '99');
    const datetime = await replay('clamped', 'email', '--to-datetime', new Date(Date.now() + HOUR).toISOString().replace(/\.\d+Z$/, 'Z'));

    for (const outcome of [offset, datetime]) {
      expect(outcome.code).toBe(0);
      expect(rows(outcome.stdout).get(0)).toEqual(['0', '5', '0', '5', 'skips 5, clamped']);
      expect(outcome.stdout).toContain("(clamped: the target lay outside the partition's offsets LOW–HIGH");
    }
    expect(await committed(group)).toEqual(everywhere(0));
  });

  it('two targets are a usage error: exit 2, nothing read or moved', async () => {
    const outcome = await replay('two-targets', 'email', '--to-latest', '--shift-by', '-1', '--execute');

    expect(outcome.code).toBe(2);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toMatch(/^usage: replay/);
    expect(outcome.stderr).toContain('replay: one target at a time; got --to-latest and --shift-by');
    expect(await committed(emailGroup('two-targets'))).toEqual(new Map());
  });

  it('refuses --shift-by for a group with no committed position: exit 3, naming the partitions', async () => {
    const outcome = await replay('no-position', 'email', '--shift-by', '-1', '--execute');

    expect(outcome.code).toBe(3);
    expect(outcome.stderr).toBe(
      `replay: --shift-by moves from the group's committed position, and group ${emailGroup('no-position')} has none on ${topic} partition(s) 0, 1, 2; ` +
        'give those partitions an absolute target (--to-earliest, --to-latest, --to-datetime, --to-offset) or leave them out with --partitions\n',
    );
    expect(await committed(emailGroup('no-position'))).toEqual(new Map());
  });

  it('keeps explicit --to offsets refused outside a partition\'s range: exit 3, nothing moved', async () => {
    const group = emailGroup('explicit');
    await moveGroup(kafka, admin, group, topic, { kind: 'earliest' });

    const outcome = await replay('explicit', 'email', '--to', '0:2,1:999', '--execute');

    expect(outcome.code).toBe(3);
    expect(outcome.stderr).toBe(`replay: 1:999 is outside partition 1's offsets 0–${PER_PARTITION}\n`);
    expect(await committed(group)).toEqual(everywhere(0));
  });

  it('refuses while the group has a live member, dry run or not: exit 3, naming it, nothing moved', async () => {
    const group = emailGroup('live');
    await moveGroup(kafka, admin, group, topic, { kind: 'earliest' });
    const member = kafka.consumer({ kafkaJS: { groupId: group, fromBeginning: false, autoCommit: false } });
    await member.connect();
    try {
      await member.subscribe({ topics: [topic] });
      await member.run({ eachMessage: async () => undefined });
      await eventually(async () => ((await admin.describeGroups([group])).groups[0]?.members.length ?? 0) > 0, () => 'the member joining');

      for (const args of [['--to-latest', '--execute'], []]) {
        const outcome = await replay('live', 'email', ...args);
        expect(outcome.code).toBe(3);
        expect(outcome.stderr).toMatch(new RegExp(`^replay: group ${group.replaceAll('.', '\\.')} has 1 live member\\(s\\) .*; stop the service before replaying it\n$`));
      }
    } finally {
      await member.disconnect();
    }
    expect(await committed(group)).toEqual(everywhere(0));
  });

  describe('analytics, whose positions live with its counts', () => {
    const analyticsGroup = () => `${groupPrefix('rebuild')}analytics`;

    it('refuses any target but the earliest on every partition, with the reason: exit 3', async () => {
      for (const args of [['--to-latest'], ['--partitions', '0']]) {
        const outcome = await replay('rebuild', 'analytics', ...args, '--execute');
        expect(outcome.code).toBe(3);
        expect(outcome.stderr).toContain('analytics keeps its positions with its counts, so a move is a rebuild');
      }
    });

    it('rebuilds over both of its topics: the signups and the enrolments, each from its stored positions to the earliest', async () => {
      const onboarding = config.topics.onboarding.name;
      const pool = createPool(config.database.url);
      try {
        const store = new AnalyticsStore(pool, config.analytics.dbSchema);
        // The tool creates the tables where the service never ran…
        expect((await replay('rebuild', 'analytics')).code).toBe(0);
        // …and then reads the positions the service saved there.
        await store.recordBatch([], { groupId: analyticsGroup(), topic, partition: 1, nextOffset: '4' });
        await store.recordOnboardingStarted([], { groupId: analyticsGroup(), topic: onboarding, partition: 0, nextOffset: '0' });

        const dry = await replay('rebuild', 'analytics');

        expect(dry.stderr).toBe('');
        expect(dry.code).toBe(0);
        // The current positions are the stored ones (a partition with none starts at the beginning).
        expect(rows(dry.stdout).get(1)).toEqual(['4', '0', '0', '5', 'replays 4']);
        expect(rows(dry.stdout).get(0)).toEqual(['-', '0', '0', '5', 'no change']);
        expect(rows(dry.stdout, onboarding).get(0)).toEqual(['0', '0', '0', '0', 'no change']);
        expect(await store.positions(analyticsGroup(), topic, [1])).toEqual(new Map([[1, '4']]));

        const rebuild = await replay('rebuild', 'analytics', '--execute');

        expect(rebuild.stderr).toBe('');
        expect(rebuild.code).toBe(0);
        expect(rebuild.stdout).toContain(`analytics tables in schema ${config.analytics.dbSchema} cleared`);
        expect(await store.positions(analyticsGroup(), topic, [1])).toEqual(new Map([[1, '-2']]));
        expect(await committed(analyticsGroup())).toEqual(everywhere(0));
        expect((await committed(analyticsGroup(), onboarding)).get(0)).toBe('0');
      } finally {
        await pool.end();
      }
    });
  });
});

describe('the moves behind it', () => {
  it('moves only the listed partitions; the others keep their committed positions', async () => {
    const group = `${config.consumers.groupPrefix}partial`;
    const end = String(PER_PARTITION);
    await moveGroup(kafka, admin, group, topic, { kind: 'offsets', offsets: new Map([[0, end], [1, end], [2, end]]) });

    const moved = await moveGroup(kafka, admin, group, topic, { kind: 'offsets', offsets: new Map([[1, '2']]) });

    expect(moved).toEqual(new Map([[1, '2']]));
    expect(await committed(group)).toEqual(new Map([[0, end], [1, '2'], [2, end]]));
    // Progress covers the partition that moved: 3 records still to come, nothing done yet.
    const progress = await groupProgress(admin, config.kafka, group, topic, moved);
    expect(progress).toEqual({ processed: 0n, total: 3n });
  });

  it('refuses offsets a partition does not hold, and partitions the topic does not have, moving nothing', async () => {
    const group = `${config.consumers.groupPrefix}refused`;
    await moveGroup(kafka, admin, group, topic, { kind: 'earliest' });
    const before = await committed(group);

    const pastTheEnd = moveGroup(kafka, admin, group, topic, { kind: 'offsets', offsets: new Map([[0, '2'], [1, '999']]) });
    await expect(pastTheEnd).rejects.toThrow(ReplayRefusedError);
    await expect(pastTheEnd).rejects.toThrow(`1:999 is outside partition 1's offsets 0–${PER_PARTITION}`);
    await expect(moveGroup(kafka, admin, group, topic, { kind: 'offsets', offsets: new Map([[7, '0']]) })).rejects.toThrow(
      `has no partition 7 (it has 0–${PARTITIONS - 1})`,
    );
    await expect(moveGroup(kafka, admin, group, topic, { kind: 'latest' }, { partitions: [0, 7] })).rejects.toThrow(`has no partition 7`);

    expect(await committed(group)).toEqual(before);
  });

  it('plans without committing (what the dry run prints)', async () => {
    const group = `${config.consumers.groupPrefix}dry`;
    await moveGroup(kafka, admin, group, topic, { kind: 'earliest' });

    const planned = await planMove(admin, group, topic, { kind: 'offsets', offsets: new Map([[2, '4']]) });

    expect(planned).toEqual([{ partition: 2, low: 0n, high: 5n, committed: 0n, target: 4n, clamped: false }]);
    expect(await committed(group)).toEqual(everywhere(0));
  });
});
