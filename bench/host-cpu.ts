// Where the machine's CPU time went during a benchmark window, from /proc/stat: on a virtual
// machine `steal` is time the hypervisor gave this guest's virtual CPUs to someone else. While it
// is stolen nothing here runs, however idle the guest looks, so latency tails measured meanwhile
// belong to the host as much as to the code; the latency suites print it beside their figures.
import { readFileSync } from 'node:fs';

interface CpuTimes {
  readonly total: number;
  readonly steal: number;
  readonly idle: number;
}

function read(): CpuTimes | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice (USER_HZ ticks)
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { total, steal: f[7] ?? 0, idle: (f[3] ?? 0) + (f[4] ?? 0) };
  } catch {
    return undefined; // not Linux
  }
}

export interface HostCpuShare {
  /** Percent of all CPU time in the window that the hypervisor stole. */
  readonly stealPercent: number;
  /** Percent of all CPU time in the window that was idle (iowait included). */
  readonly idlePercent: number;
}

/** Starts a window; the returned function ends it (undefined where /proc/stat cannot be read). */
export function hostCpuWindow(): () => HostCpuShare | undefined {
  const start = read();
  return () => {
    const end = read();
    if (start === undefined || end === undefined || end.total <= start.total) return undefined;
    const total = end.total - start.total;
    return { stealPercent: (100 * (end.steal - start.steal)) / total, idlePercent: (100 * (end.idle - start.idle)) / total };
  };
}
