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

/** Clock ticks the whole machine (every CPU) has spent so far, busy and in all: /proc/stat's first line. */
export function machineTicks(): { readonly busy: number; readonly total: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal (guest time is counted in user already)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.slice(0, 8).map(Number) as [number, number, number, number, number, number, number, number];
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** How busy all the machine's CPUs were between two machineTicks() readings, in per cent. */
export function busyPercent(before: ReturnType<typeof machineTicks>, after: ReturnType<typeof machineTicks>): number {
  return Math.round((100 * (after.busy - before.busy)) / (after.total - before.total));
}

/**
 * CPU time of every process whose command name is `command` (e.g. postgres, java), and of
 * the children they reaped, in clock ticks. PostgreSQL's backends come and go with the
 * clients' connections: an ended backend's time is its postmaster's reaped children's time,
 * and would otherwise drop out of the sum (a phase once showed PostgreSQL at -5 %).
 */
export function cpuTicksOfCommand(command: string): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== command) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, and cutime, cstime: the time of its children that ended and were waited for.
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // the process ended between listing and reading
    }
  }
  return ticks;
}

/**
 * Resident memory of the process now, in bytes, and the part of it that is its own
 * (RssAnon: heaps and stacks). The rest is mapped from files, mostly the Node.js binary and
 * its libraries, whose pages every Node.js process on the machine shares. Undefined once
 * the process has exited.
 */
export function rssBytes(pid: number): { readonly total: number; readonly own: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
    return { total: kb('VmRSS'), own: kb('RssAnon') };
  } catch {
    return undefined;
  }
}

/** Samples the process's RSS every `intervalMs` until stop(); peak() is the highest seen so far, of the total and of its own part. */
export function trackPeakRss(pid: number, intervalMs = 200): { peak(): number; peakOwn(): number; stop(): number } {
  let peak = 0;
  let peakOwn = 0;
  const timer = setInterval(() => {
    const rss = rssBytes(pid);
    if (!rss) return;
    peak = Math.max(peak, rss.total);
    peakOwn = Math.max(peakOwn, rss.own);
  }, intervalMs);
  return {
    peak: () => peak,
    peakOwn: () => peakOwn,
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}
