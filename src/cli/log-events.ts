// Writes what the runtime decides to the log: failures and supervision at warn/info, dead letters
// and overflows at debug with a per-actor throttle so a flood cannot flood the log too; and what
// the GPU path finds (driver version and devices, which kernel image loaded or why none did,
// device resets).
import type { Logger } from 'pino';
import { describeGpuEvent, watchGpuStatus } from '../gpu/gpu-status.ts';
import { describeError } from '../runtime/errors.ts';
import type { ActorSystem } from '../runtime/system.ts';

export function logRuntimeEvents(system: ActorSystem, log: Logger, throttleMs = 1_000): () => void {
  const lastLogged = new Map<string, number>();
  const throttled = (key: string, now: number): boolean => {
    const last = lastLogged.get(key);
    if (last !== undefined && now - last < throttleMs) return true;
    if (lastLogged.size > 10_000) lastLogged.clear();
    lastLogged.set(key, now);
    return false;
  };
  const gpuLine = (line: { level: 'info' | 'warn'; message: string }): void => void log[line.level](line.message);
  const stopGpu = watchGpuStatus((e) => gpuLine(describeGpuEvent(e)));
  const stopRuntime = system.events.subscribe((e) => {
    switch (e.type) {
      case 'actor-failed':
        log.warn({ actor: e.path, err: describeError(e.error) }, 'actor failed');
        return;
      case 'supervisor-decision':
        log.info({ supervisor: e.supervisor, child: e.child, directive: e.directive, affected: e.affected }, 'supervision');
        return;
      case 'restart-scheduled':
        log.info({ actor: e.path, attempt: e.attempt, delayMs: Math.round(e.delayMs) }, 'restart scheduled');
        return;
      case 'actor-restarted':
        log.info({ actor: e.path, attempt: e.attempt }, 'actor restarted');
        return;
      case 'restart-intensity-exceeded':
        log.error({ supervisor: e.supervisor }, 'restart intensity exceeded; supervisor fails');
        return;
      case 'actor-stopped':
        log.debug({ actor: e.path, reason: e.reason }, 'actor stopped');
        return;
      case 'fault-injected':
        log.warn({ actor: e.path, fault: e.fault }, 'fault injected');
        return;
      case 'mailbox-overflow':
        if (!throttled(`overflow ${e.path}`, e.time)) log.warn({ actor: e.path, policy: e.policy, capacity: e.capacity }, 'mailbox full');
        return;
      case 'dead-letter':
        if (!throttled(`dead ${e.letter.recipient}`, e.letter.time)) {
          log.debug({ recipient: e.letter.recipient, reason: e.letter.reason }, 'dead letter');
        }
        return;
      case 'system-terminated':
        if (e.failed) log.error({ err: describeError(e.error) }, 'actor system stopped after a failure reached the root');
        else log.info('actor system stopped');
        return;
      default:
        return;
    }
  });
  return () => {
    stopGpu();
    stopRuntime();
  };
}
