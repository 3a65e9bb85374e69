// What an agent's heartbeat says about its process: CPU used since the last sample (percent of one
// core, so above 100 on several), resident memory, and health from how its recent tasks ended.

const HEALTH_WINDOW = 20;

export class Telemetry {
  private lastCpu = process.cpuUsage();
  private lastAt = process.hrtime.bigint();
  /** Outcomes of the last HEALTH_WINDOW tasks, true for success. */
  private readonly outcomes: boolean[] = [];
  private tokens = 0;

  /** CPU percent since the previous call. */
  cpuPercent(): number {
    const now = process.hrtime.bigint();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedUs = Number(now - this.lastAt) / 1000;
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    return elapsedUs > 0 ? ((cpu.user + cpu.system) / elapsedUs) * 100 : 0;
  }

  memoryBytes(): number {
    return process.memoryUsage.rss();
  }

  taskEnded(success: boolean): void {
    this.outcomes.push(success);
    if (this.outcomes.length > HEALTH_WINDOW) this.outcomes.shift();
  }

  /** 1 when the recent tasks succeeded (or there were none), down to 0 when all failed. */
  health(): number {
    if (this.outcomes.length === 0) return 1;
    return this.outcomes.filter(Boolean).length / this.outcomes.length;
  }

  useTokens(n: number): void {
    if (Number.isFinite(n) && n > 0) this.tokens = Math.min(Number.MAX_SAFE_INTEGER, this.tokens + Math.floor(n));
  }

  get tokenUsage(): number {
    return this.tokens;
  }
}
