// The one way tests and benchmarks wait a fixed time.
import { setTimeout } from 'node:timers/promises';

export function sleep(ms: number): Promise<void> {
  return setTimeout(ms);
}
