// Random bytes for ids and trace ids, drawn from a pooled buffer refilled 8 KiB at a time:
// a call into the system's random source per request is costly on the signup path.
// Node's own randomUUID() buffers its entropy the same way.
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 8192;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

/** `size` fresh random bytes (a copy: the pool is reused). */
export function randomBytesPooled(size: number): Buffer {
  if (used + size > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const bytes = Buffer.from(pool.subarray(used, used + size));
  used += size;
  return bytes;
}
