// scripts/kafka, Kafka's own command-line tools from the stack's jars, as a test runs them.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { root } from './processes.js';

export interface ToolOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `scripts/kafka <args>`; never throws for a non-zero exit, which the outcome carries. */
export async function kafkaTool(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ToolOutcome> {
  try {
    // The first call may resolve the classpath with Maven.
    const { stdout, stderr } = await promisify(execFile)(`${root}scripts/kafka`, args, { cwd: root, env, timeout: 180_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/**
 * Sets a consumer group's own configuration (for groups on the consumer protocol, whose
 * session timeout and heartbeat interval are the broker's unless the group has its own).
 * The group need not exist yet; a running member gets the new values on its next heartbeat.
 */
export async function setGroupConfig(group: string, settings: Readonly<Record<string, number>>): Promise<void> {
  const entries = Object.entries(settings).map(([key, value]) => `${key}=${value}`).join(',');
  const outcome = await kafkaTool(['configs', '--alter', '--entity-type', 'groups', '--entity-name', group, '--add-config', entries]);
  if (outcome.code !== 0) throw new Error(`setting ${entries} on group ${group} failed (exit ${outcome.code}): ${outcome.stderr}`);
}
