// What Linux's /proc says about a process: its CPU time and its memory, for the benchmarks.
import { readdirSync, readFileSync } from 'node:fs';

/** Microseconds in one clock tick of /proc/<pid>/stat (USER_HZ is 100 on Linux). */
export const TICK_US = 10_000;

/** CPU time (user + system) the process has used so far, in clock ticks. Throws once it has exited. */
export function cpuTicks(pid: number | string): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name, in parentheses, may hold spaces: the fields are counted after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU time of every process whose command name is `command` (e.g. postgres, java), in clock ticks. */
export function cpuTicksOfCommand(command: string): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === command) ticks += cpuTicks(pid);
    } catch {
      // the process ended between listing and reading
    }
  }
  return ticks;
}

/** Resident memory of the process now, in bytes; undefined once it has exited. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples the process's RSS every `intervalMs` until stop(); peak() is the highest seen so far. */
export function trackPeakRss(pid: number, intervalMs = 200): { peak(): number; stop(): number } {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid) ?? 0)), intervalMs);
  return {
    peak: () => peak,
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}
