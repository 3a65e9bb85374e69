// The slice of the CUDA driver the GPU SSSP engine needs, and its default implementation over the
// project's shared loader (src/gpu/cuda-driver.ts: koffi over libcuda; src/gpu/kernel-image.ts:
// the sm_90 cubin on Hopper, PTX elsewhere, rebuilt by nvcc when stale). The engine talks only to
// this interface so that tests can stand in for the device.
import { CudaDriver, type CudaContext } from '../gpu/cuda-driver.ts';
import { kernelImage } from '../gpu/kernel-image.ts';

export type DevicePtr = bigint;

export type KernelArg = { readonly ptr: DevicePtr } | { readonly i32: number } | { readonly f64: number };

export interface CudaPort {
  /** The device's name, e.g. "NVIDIA H100 80GB HBM3". */
  readonly deviceName: string;
  alloc(bytes: number): DevicePtr;
  free(ptr: DevicePtr): void;
  /** Host to device, synchronous. */
  upload(dst: DevicePtr, src: ArrayBufferView, bytes?: number): void;
  /** Device to host, synchronous (waits for the kernels queued before it). */
  download(dst: ArrayBufferView, src: DevicePtr, bytes?: number): void;
  memsetD32(dst: DevicePtr, value: number, count: number): void;
  launch(kernel: string, grid: number, block: number, args: readonly KernelArg[]): void;
  dispose(): void;
}

/** Either a port with the kernels loaded, or why there is none (no driver, no device, no image). */
export type PortOpening = { readonly ok: true; readonly port: CudaPort } | { readonly ok: false; readonly reason: string };

/** Opens device 0 through the shared loader and loads src/gpu/<module>.cu's kernels. Never throws. */
export function openSharedCuda(module: string, kernels: readonly string[]): PortOpening {
  let ctx: CudaContext | undefined;
  try {
    const driver = CudaDriver.load();
    driver.init();
    if (driver.deviceCount() === 0) return { ok: false, reason: 'no GPU: the CUDA driver reports no device' };
    ctx = driver.context(0);
    const mod = ctx.loadModule(kernelImage(module, ctx.device.computeCapability).bytes);
    const fns = new Map(kernels.map((k) => [k, mod.fn(k)]));
    const c = ctx;
    return {
      ok: true,
      port: {
        deviceName: c.device.name,
        alloc: (bytes) => c.alloc(bytes),
        free: (ptr) => c.free(ptr),
        upload: (dst, src, bytes) => c.htod(dst, src, bytes),
        download: (dst, src, bytes) => c.dtoh(dst, src, bytes),
        memsetD32: (dst, value, count) => c.memset32(dst, value, count),
        launch: (kernel, grid, block, args) =>
          c.launch(
            fns.get(kernel)!,
            grid,
            block,
            // The shared loader has no f64 argument; a double goes by value as its 8 bytes.
            args.map((a) => ('f64' in a ? { bytes: new Float64Array([a.f64]) } : a)),
          ),
        dispose: () => c.release(),
      },
    };
  } catch (err) {
    ctx?.release();
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: /^no GPU/.test(reason) ? reason : `no GPU: ${reason}` };
  }
}
