// The CUDA driver API from Node, through koffi (FFI): load libcuda, pick a device, make its primary
// context current, load modules (cubin or PTX), allocate and copy device memory, launch kernels,
// wait without blocking the event loop (an event polled between turns). Engine-neutral: the
// physics engine and later the SSSP engine load their own kernels through it.
//
// Every driver call is checked; a failure throws CudaError with the driver's name and text for the
// code (cuGetErrorName / cuGetErrorString). Where there is no driver, load() throws
// CudaUnavailable and probeCuda() says why, without crashing anything.
//
// Contexts: the device's primary context (cuDevicePrimaryCtxRetain + cuCtxSetCurrent), the one the
// CUDA runtime and other libraries share, rather than cuCtxCreate, whose signature changed in CUDA
// 13 (cuCtxCreate_v4 takes a params struct). Node runs this on one thread, so "current" holds.
import { createRequire } from 'node:module';

/** A device pointer (CUdeviceptr). */
export type DevicePtr = bigint;
/** An opaque driver handle (CUcontext, CUmodule, CUfunction, CUevent). */
export type Handle = bigint;

export type KernelArg =
  | { readonly ptr: DevicePtr }
  | { readonly i32: number }
  | { readonly u32: number }
  | { readonly f32: number }
  | { readonly u64: bigint }
  /** A struct passed by value: its bytes, laid out as the kernel's C struct. */
  | { readonly bytes: ArrayBufferView };

export const CUDA_SUCCESS = 0;
export const CUDA_ERROR_NOT_READY = 600;
const CU_EVENT_DISABLE_TIMING = 2;
const ATTR_MULTIPROCESSOR_COUNT = 16;
const ATTR_CC_MAJOR = 75;
const ATTR_CC_MINOR = 76;

export class CudaUnavailable extends Error {
  readonly code = 'cuda-unavailable';
  constructor(reason: string) {
    super(reason);
    this.name = 'CudaUnavailable';
  }
}

export class CudaError extends Error {
  readonly code = 'cuda-error';
  constructor(
    readonly call: string,
    readonly result: number,
    readonly errorName: string,
    readonly errorText: string,
  ) {
    super(`${call} failed: ${errorName} (${result}): ${errorText}`);
    this.name = 'CudaError';
  }
}

export interface DeviceInfo {
  readonly ordinal: number;
  readonly name: string;
  readonly computeCapability: readonly [number, number];
  readonly multiprocessors: number;
  readonly totalMemory: number;
}

export type CudaProbe =
  | { readonly available: true; readonly driverVersion: number; readonly devices: readonly DeviceInfo[] }
  | { readonly available: false; readonly reason: string };

/** A koffi function: any arguments, the driver's int result. */
type Fn = (...args: unknown[]) => number;

interface Koffi {
  load(path: string): { func(signature: string): Fn };
  decode(ptr: unknown, type: string): unknown;
}

const SIGNATURES = {
  cuInit: 'int cuInit(unsigned int flags)',
  cuDriverGetVersion: 'int cuDriverGetVersion(_Out_ int *version)',
  cuDeviceGetCount: 'int cuDeviceGetCount(_Out_ int *count)',
  cuDeviceGet: 'int cuDeviceGet(_Out_ int *device, int ordinal)',
  cuDeviceGetName: 'int cuDeviceGetName(uint8_t *name, int len, int dev)',
  cuDeviceGetAttribute: 'int cuDeviceGetAttribute(_Out_ int *value, int attrib, int dev)',
  cuDeviceTotalMem_v2: 'int cuDeviceTotalMem_v2(_Out_ size_t *bytes, int dev)',
  cuDevicePrimaryCtxRetain: 'int cuDevicePrimaryCtxRetain(_Out_ void **ctx, int dev)',
  cuDevicePrimaryCtxRelease_v2: 'int cuDevicePrimaryCtxRelease_v2(int dev)',
  cuCtxSetCurrent: 'int cuCtxSetCurrent(void *ctx)',
  cuCtxSynchronize: 'int cuCtxSynchronize()',
  cuModuleLoadData: 'int cuModuleLoadData(_Out_ void **module, const uint8_t *image)',
  cuModuleGetFunction: 'int cuModuleGetFunction(_Out_ void **fn, void *module, const char *name)',
  cuModuleUnload: 'int cuModuleUnload(void *module)',
  cuMemAlloc_v2: 'int cuMemAlloc_v2(_Out_ uint64_t *dptr, size_t bytes)',
  cuMemFree_v2: 'int cuMemFree_v2(uint64_t dptr)',
  cuMemcpyHtoD_v2: 'int cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t bytes)',
  cuMemcpyDtoH_v2: 'int cuMemcpyDtoH_v2(void *dst, uint64_t src, size_t bytes)',
  cuMemsetD32_v2: 'int cuMemsetD32_v2(uint64_t dst, unsigned int value, size_t count)',
  cuLaunchKernel:
    'int cuLaunchKernel(void *fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz, unsigned int sharedBytes, void *stream, void **params, void **extra)',
  cuEventCreate: 'int cuEventCreate(_Out_ void **event, unsigned int flags)',
  cuEventRecord: 'int cuEventRecord(void *event, void *stream)',
  cuEventQuery: 'int cuEventQuery(void *event)',
  cuEventDestroy_v2: 'int cuEventDestroy_v2(void *event)',
  cuGetErrorName: 'int cuGetErrorName(int error, _Out_ const char **text)',
  cuGetErrorString: 'int cuGetErrorString(int error, _Out_ const char **text)',
} as const;

type Api = { readonly [K in keyof typeof SIGNATURES]: Fn };

function loadKoffi(): Koffi {
  try {
    return createRequire(import.meta.url)('koffi') as Koffi;
  } catch (error) {
    throw new CudaUnavailable(`koffi (the FFI package) did not load: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The default library: VF_LIBCUDA (a path) or the system's libcuda.so.1. */
export function defaultLibraryPath(): string {
  return process.env.VF_LIBCUDA ?? 'libcuda.so.1';
}

export class CudaDriver {
  private initialised = false;

  private constructor(
    readonly api: Api,
    readonly libraryPath: string,
  ) {}

  /** Loads the driver library and binds the calls used here; throws CudaUnavailable. */
  static load(libraryPath = defaultLibraryPath()): CudaDriver {
    const koffi = loadKoffi();
    let lib: ReturnType<Koffi['load']>;
    try {
      lib = koffi.load(libraryPath);
    } catch (error) {
      throw new CudaUnavailable(`no CUDA driver (${libraryPath}): ${error instanceof Error ? error.message : String(error)}`);
    }
    const api: Record<string, Fn> = {};
    for (const [name, signature] of Object.entries(SIGNATURES)) {
      try {
        api[name] = lib.func(signature);
      } catch (error) {
        throw new CudaUnavailable(`${libraryPath} lacks ${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return new CudaDriver(api as Api, libraryPath);
  }

  /** Throws CudaError unless `result` is CUDA_SUCCESS. */
  check(call: string, result: number): void {
    if (result === CUDA_SUCCESS) return;
    throw new CudaError(call, result, this.errorName(result), this.errorText(result));
  }

  errorName(result: number): string {
    const out: unknown[] = [null];
    return this.api.cuGetErrorName(result, out) === CUDA_SUCCESS && typeof out[0] === 'string' ? out[0] : `CUDA_ERROR_${result}`;
  }

  errorText(result: number): string {
    const out: unknown[] = [null];
    return this.api.cuGetErrorString(result, out) === CUDA_SUCCESS && typeof out[0] === 'string' ? out[0] : 'unknown error';
  }

  init(): void {
    if (this.initialised) return;
    this.check('cuInit', this.api.cuInit(0));
    this.initialised = true;
  }

  driverVersion(): number {
    const out = [0];
    this.check('cuDriverGetVersion', this.api.cuDriverGetVersion(out));
    return out[0]!;
  }

  deviceCount(): number {
    this.init();
    const out = [0];
    this.check('cuDeviceGetCount', this.api.cuDeviceGetCount(out));
    return out[0]!;
  }

  device(ordinal: number): DeviceInfo {
    this.init();
    const dev = [0];
    this.check('cuDeviceGet', this.api.cuDeviceGet(dev, ordinal));
    const d = dev[0]!;
    const nameBytes = new Uint8Array(256);
    this.check('cuDeviceGetName', this.api.cuDeviceGetName(nameBytes, nameBytes.length, d));
    const end = nameBytes.indexOf(0);
    const attr = (a: number): number => {
      const v = [0];
      this.check('cuDeviceGetAttribute', this.api.cuDeviceGetAttribute(v, a, d));
      return v[0]!;
    };
    const mem: unknown[] = [0];
    this.check('cuDeviceTotalMem_v2', this.api.cuDeviceTotalMem_v2(mem, d));
    return {
      ordinal,
      name: new TextDecoder().decode(nameBytes.subarray(0, end < 0 ? nameBytes.length : end)),
      computeCapability: [attr(ATTR_CC_MAJOR), attr(ATTR_CC_MINOR)],
      multiprocessors: attr(ATTR_MULTIPROCESSOR_COUNT),
      totalMemory: Number(mem[0]),
    };
  }

  /** Retains device `ordinal`'s primary context and makes it current. */
  context(ordinal = 0): CudaContext {
    const info = this.device(ordinal);
    const dev = [0];
    this.check('cuDeviceGet', this.api.cuDeviceGet(dev, ordinal));
    const ctx: unknown[] = [null];
    this.check('cuDevicePrimaryCtxRetain', this.api.cuDevicePrimaryCtxRetain(ctx, dev[0]));
    const handle = asHandle(ctx[0]);
    this.check('cuCtxSetCurrent', this.api.cuCtxSetCurrent(handle));
    return new CudaContext(this, info, dev[0]!, handle);
  }
}

function asHandle(value: unknown): Handle {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  throw new TypeError(`expected a pointer from the driver, got ${String(value)}`);
}

export interface CudaModule {
  readonly handle: Handle;
  fn(name: string): Handle;
}

/** One device's context: memory, modules, launches. Not thread-safe; Node calls it from one thread. */
export class CudaContext {
  private released = false;
  private readonly modules: Handle[] = [];
  private readonly allocations = new Set<DevicePtr>();
  private event: Handle | undefined;

  constructor(
    readonly driver: CudaDriver,
    readonly device: DeviceInfo,
    private readonly cuDevice: number,
    readonly handle: Handle,
  ) {}

  private get api(): Api {
    return this.driver.api;
  }

  private call(name: keyof Api, ...args: unknown[]): void {
    if (this.released) throw new Error(`CUDA context of ${this.device.name} was released`);
    this.driver.check(name, this.api[name](...args));
  }

  /** Loads a cubin or a PTX text (the driver JIT-compiles PTX for this device). */
  loadModule(image: Uint8Array | string): CudaModule {
    const bytes = typeof image === 'string' ? new TextEncoder().encode(`${image}\0`) : image;
    const out: unknown[] = [null];
    this.call('cuModuleLoadData', out, bytes);
    const handle = asHandle(out[0]);
    this.modules.push(handle);
    const functions = new Map<string, Handle>();
    return {
      handle,
      fn: (name) => {
        let f = functions.get(name);
        if (f === undefined) {
          const fo: unknown[] = [null];
          this.call('cuModuleGetFunction', fo, handle, name);
          f = asHandle(fo[0]);
          functions.set(name, f);
        }
        return f;
      },
    };
  }

  alloc(bytes: number): DevicePtr {
    const out: unknown[] = [0n];
    this.call('cuMemAlloc_v2', out, Math.max(4, bytes));
    const ptr = asHandle(out[0]);
    this.allocations.add(ptr);
    return ptr;
  }

  free(ptr: DevicePtr): void {
    if (!this.allocations.delete(ptr)) return;
    this.call('cuMemFree_v2', ptr);
  }

  /** Host to device; `src` may sit on a SharedArrayBuffer. */
  htod(dst: DevicePtr, src: ArrayBufferView, bytes = src.byteLength): void {
    if (bytes === 0) return;
    this.call('cuMemcpyHtoD_v2', dst, src, bytes);
  }

  /** Device to host (synchronous: waits for the work queued before it). */
  dtoh(dst: ArrayBufferView, src: DevicePtr, bytes = dst.byteLength): void {
    if (bytes === 0) return;
    this.call('cuMemcpyDtoH_v2', dst, src, bytes);
  }

  memset32(dst: DevicePtr, value: number, count: number): void {
    if (count === 0) return;
    this.call('cuMemsetD32_v2', dst, value >>> 0, count);
  }

  /** Queues a kernel on the default stream. Each argument is passed by value as its C type. */
  launch(fn: Handle, grid: number, block: number, args: readonly KernelArg[], sharedBytes = 0): void {
    if (grid === 0) return;
    const params = args.map(argBytes);
    this.call('cuLaunchKernel', fn, grid, 1, 1, block, 1, 1, sharedBytes, null, params, null);
  }

  synchronize(): void {
    this.call('cuCtxSynchronize');
  }

  /**
   * Resolves when every queued launch and copy has finished, polling an event between event-loop
   * turns so that the thread stays free for I/O meanwhile.
   */
  async idle(): Promise<void> {
    if (this.event === undefined) {
      const out: unknown[] = [null];
      this.call('cuEventCreate', out, CU_EVENT_DISABLE_TIMING);
      this.event = asHandle(out[0]);
    }
    const event = this.event;
    this.call('cuEventRecord', event, null);
    for (let polls = 0; ; polls++) {
      const r = this.api.cuEventQuery(event);
      if (r === CUDA_SUCCESS) return;
      if (r !== CUDA_ERROR_NOT_READY) this.driver.check('cuEventQuery', r);
      // setImmediate for the first turns (sub-millisecond kernels), then a 1 ms timer.
      await new Promise<void>((resolve) => (polls < 64 ? setImmediate(resolve) : setTimeout(resolve, 1)));
    }
  }

  /** Frees what this context allocated and loaded, and releases the primary context. */
  release(): void {
    if (this.released) return;
    const api = this.api;
    for (const ptr of this.allocations) api.cuMemFree_v2(ptr);
    this.allocations.clear();
    if (this.event !== undefined) api.cuEventDestroy_v2(this.event);
    for (const m of this.modules) api.cuModuleUnload(m);
    api.cuDevicePrimaryCtxRelease_v2(this.cuDevice);
    this.released = true;
  }
}

function argBytes(arg: KernelArg): ArrayBufferView {
  if ('bytes' in arg) return arg.bytes;
  if ('ptr' in arg) return new BigUint64Array([arg.ptr]);
  if ('u64' in arg) return new BigUint64Array([arg.u64]);
  if ('i32' in arg) return new Int32Array([arg.i32]);
  if ('u32' in arg) return new Uint32Array([arg.u32 >>> 0]);
  return new Float32Array([arg.f32]);
}

/** Is there a usable GPU? Never throws; cheap when there is no driver (one failed dlopen). */
export function probeCuda(libraryPath = defaultLibraryPath()): CudaProbe {
  try {
    const driver = CudaDriver.load(libraryPath);
    driver.init();
    const count = driver.deviceCount();
    if (count === 0) return { available: false, reason: 'the CUDA driver reports no device' };
    const devices: DeviceInfo[] = [];
    for (let i = 0; i < count; i++) devices.push(driver.device(i));
    return { available: true, driverVersion: driver.driverVersion(), devices };
  } catch (error) {
    return { available: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
