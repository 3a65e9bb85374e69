// What this process knows about its GPU, for the status page (GET /api/gpu) and the log: the
// driver and devices the last probe found (or why there is none), each kernel module's last load
// (which image the driver took, or every image tried and the driver's reason, JIT log included),
// and the primary-context resets after device faults. Listeners hear each change as it happens.
import type { CudaProbe, ImageAttempt } from './cuda-driver.ts';

export interface ModuleLoad {
  readonly module: string;
  /** The device, its compute capability and the driver version. */
  readonly device: string;
  /** The image that loaded ("fatbin" or "ptx"), or null when none did. */
  readonly loaded: string | null;
  /** The images refused before it (all of them when none loaded), each with the reason. */
  readonly attempts: readonly ImageAttempt[];
}

export interface DeviceReset {
  readonly device: string;
  /** The sticky error that made the reset necessary. */
  readonly after: string;
  readonly at: string;
}

export interface GpuStatus {
  /** The library the probe loaded, its driver version ("12.4") and the devices, or why none. */
  readonly probe: {
    readonly library: string;
    readonly available: boolean;
    readonly driver: string | null;
    readonly devices: readonly string[];
    readonly reason: string | null;
  } | null;
  readonly modules: readonly ModuleLoad[];
  readonly resets: readonly DeviceReset[];
}

export type GpuStatusEvent =
  | { readonly kind: 'probe'; readonly status: GpuStatus['probe'] }
  | { readonly kind: 'module'; readonly load: ModuleLoad }
  | { readonly kind: 'reset'; readonly reset: DeviceReset };

const MAX_RESETS = 20;

let probe: GpuStatus['probe'] = null;
const modules = new Map<string, ModuleLoad>();
const resets: DeviceReset[] = [];
const listeners = new Set<(event: GpuStatusEvent) => void>();

function version(v: number | undefined): string | null {
  return v === undefined ? null : `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}

function emit(event: GpuStatusEvent): void {
  for (const l of listeners) l(event);
}

export function noteProbe(library: string, p: CudaProbe): void {
  probe = p.available
    ? {
        library,
        available: true,
        driver: version(p.driverVersion),
        devices: p.devices.map(
          (d) => `${d.name} (sm_${d.computeCapability.join('')}, ${d.multiprocessors} SMs, ${(d.totalMemory / 2 ** 30).toFixed(1)} GiB)`,
        ),
        reason: null,
      }
    : { library, available: false, driver: version(p.driverVersion), devices: [], reason: p.reason };
  emit({ kind: 'probe', status: probe });
}

export function noteModuleLoad(load: ModuleLoad): void {
  modules.set(load.module, load);
  emit({ kind: 'module', load });
}

export function noteDeviceReset(device: string, after: string): void {
  const reset = { device, after, at: new Date().toISOString() };
  resets.push(reset);
  if (resets.length > MAX_RESETS) resets.shift();
  emit({ kind: 'reset', reset });
}

export function gpuStatus(): GpuStatus {
  return { probe, modules: [...modules.values()], resets: [...resets] };
}

/** Calls `listener` on every change from now on; returns the unsubscribe. */
export function watchGpuStatus(listener: (event: GpuStatusEvent) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** One line for a log: what changed. */
export function describeGpuEvent(event: GpuStatusEvent): { level: 'info' | 'warn'; message: string } {
  switch (event.kind) {
    case 'probe': {
      const p = event.status!;
      const driver = p.driver === null ? '' : `CUDA driver ${p.driver}; `;
      return p.available
        ? { level: 'info', message: `GPU: ${driver}${p.devices.join(', ')}` }
        : { level: 'info', message: `GPU: ${driver}none usable (${p.reason ?? 'unknown'})` };
    }
    case 'module': {
      const l = event.load;
      const refused = l.attempts.map((a) => `${a.image}: ${a.error}`).join('; ');
      return l.loaded !== null
        ? {
            level: refused === '' ? 'info' : 'warn',
            message: `GPU: ${l.module} kernels loaded from the ${l.loaded} on ${l.device}${refused === '' ? '' : ` after ${refused}`}`,
          }
        : { level: 'warn', message: `GPU: ${l.module} kernels did not load on ${l.device}: ${refused}` };
    }
    case 'reset':
      return { level: 'warn', message: `GPU: primary context of ${event.reset.device} reset after ${event.reset.after}` };
  }
}
