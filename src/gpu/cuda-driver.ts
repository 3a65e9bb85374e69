// The CUDA driver API from Node, through koffi (FFI): load libcuda, pick a device, make its primary
// context current, load modules, allocate device and pinned host memory, queue launches and copies
// on streams of their own, and wait for them without blocking the event loop (an event polled
// between turns). Engine-neutral: the physics and shortest-path engines load their kernels and
// run on their own streams through it, side by side in the device's one primary context.
//
// Every driver call is checked; a failure throws CudaError with the driver's name and text for the
// code (cuGetErrorName / cuGetErrorString). Where there is no driver, load() throws
// CudaUnavailable and probeCuda() says why, without crashing anything.
//
// Contexts: the device's primary context (cuDevicePrimaryCtxRetain + cuCtxSetCurrent), the one the
// CUDA runtime and other libraries share, rather than cuCtxCreate, whose signature changed in CUDA
// 13 (cuCtxCreate_v4 takes a params struct). Node runs this on one thread, so "current" holds.
//
// Faults: after a sticky error (an illegal address, a failed launch: the driver then fails every
// call in that context) nothing can be rebuilt in the context, so the next context() on the
// device resets the primary context first (cuDevicePrimaryCtxReset). That destroys every
// allocation in it, the other engine's too: each CudaContext remembers the reset generation it
// was made in and refuses work (and never touches its pinned memory, which the reset unmapped)
// once it is stale, so its owner rebuilds on a fresh one.
import { createRequire } from 'node:module';
import { noteDeviceReset, noteModuleLoad, noteProbe } from './gpu-status.ts';
import { kernelImages, type KernelImage } from './kernel-image.ts';

/** A device pointer (CUdeviceptr). */
export type DevicePtr = bigint;
/** An opaque driver handle (CUcontext, CUmodule, CUfunction, CUevent, CUstream). */
export type Handle = bigint;

export type KernelArg =
  | { readonly ptr: DevicePtr }
  | { readonly i32: number }
  | { readonly u32: number }
  | { readonly f32: number }
  | { readonly f64: number }
  | { readonly u64: bigint }
  /** A struct passed by value: its bytes, laid out as the kernel's C struct. */
  | { readonly bytes: ArrayBufferView };

export const CUDA_SUCCESS = 0;
export const CUDA_ERROR_NOT_READY = 600;
/** Errors after which the context fails every call until it is reset. */
export const STICKY_ERRORS: ReadonlySet<number> = new Set([
  214, // ECC_UNCORRECTABLE
  700, // ILLEGAL_ADDRESS
  702, // LAUNCH_TIMEOUT
  714, // HARDWARE_STACK_ERROR
  715, // ILLEGAL_INSTRUCTION
  716, // MISALIGNED_ADDRESS
  717, // INVALID_ADDRESS_SPACE
  718, // INVALID_PC
  719, // LAUNCH_FAILED
  999, // UNKNOWN
]);
const CU_EVENT_DISABLE_TIMING = 2;
const CU_STREAM_NON_BLOCKING = 1;
const CU_JIT_ERROR_LOG_BUFFER = 5;
const CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
const JIT_LOG_BYTES = 8192;
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

  /** The context is unusable until its device's primary context is reset. */
  get sticky(): boolean {
    return STICKY_ERRORS.has(this.result);
  }
}

/** A context that a reset (or its release) has made unusable. */
export class CudaContextLost extends Error {
  readonly code = 'cuda-context-lost';
  constructor(reason: string) {
    super(reason);
    this.name = 'CudaContextLost';
  }
}

/** No image of a kernel module loaded: each image tried and why the driver refused it. */
export class CudaModuleError extends Error {
  readonly code = 'cuda-module-error';
  constructor(
    readonly module: string,
    readonly attempts: readonly ImageAttempt[],
    where: string,
  ) {
    super(`${module} kernels did not load on ${where}: ${attempts.map((a) => `${a.image}: ${a.error}`).join('; ')}`);
    this.name = 'CudaModuleError';
  }
}

export interface ImageAttempt {
  /** Which image: "fatbin" or "ptx" (and its file). */
  readonly image: string;
  readonly error: string;
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
  | { readonly available: false; readonly reason: string; readonly driverVersion?: number };

/** A koffi function: any arguments, the driver's int result. */
type Fn = (...args: unknown[]) => number;

interface Koffi {
  load(path: string): { func(signature: string): Fn };
  view(ptr: bigint, length: number): ArrayBuffer;
  alloc(type: string, length: number): bigint;
  free(ptr: bigint): void;
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
  cuDevicePrimaryCtxReset_v2: 'int cuDevicePrimaryCtxReset_v2(int dev)',
  cuCtxSetCurrent: 'int cuCtxSetCurrent(void *ctx)',
  cuCtxSynchronize: 'int cuCtxSynchronize()',
  cuModuleLoadDataEx:
    'int cuModuleLoadDataEx(_Out_ void **module, const uint8_t *image, unsigned int count, int *options, uint64_t *values)',
  cuModuleGetFunction: 'int cuModuleGetFunction(_Out_ void **fn, void *module, const char *name)',
  cuModuleUnload: 'int cuModuleUnload(void *module)',
  cuMemAlloc_v2: 'int cuMemAlloc_v2(_Out_ uint64_t *dptr, size_t bytes)',
  cuMemFree_v2: 'int cuMemFree_v2(uint64_t dptr)',
  cuMemHostAlloc: 'int cuMemHostAlloc(_Out_ void **pp, size_t bytes, unsigned int flags)',
  cuMemFreeHost: 'int cuMemFreeHost(void *p)',
  cuMemcpyHtoD_v2: 'int cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t bytes)',
  cuMemcpyHtoDAsync_v2: 'int cuMemcpyHtoDAsync_v2(uint64_t dst, const void *src, size_t bytes, void *stream)',
  cuMemcpyDtoHAsync_v2: 'int cuMemcpyDtoHAsync_v2(void *dst, uint64_t src, size_t bytes, void *stream)',
  cuMemsetD32Async: 'int cuMemsetD32Async(uint64_t dst, unsigned int value, size_t count, void *stream)',
  cuLaunchKernel:
    'int cuLaunchKernel(void *fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz, unsigned int sharedBytes, void *stream, void **params, void **extra)',
  cuStreamCreate: 'int cuStreamCreate(_Out_ void **stream, unsigned int flags)',
  cuStreamDestroy_v2: 'int cuStreamDestroy_v2(void *stream)',
  cuStreamSynchronize: 'int cuStreamSynchronize(void *stream)',
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

/** 12040 -> "12.4". */
export function formatDriverVersion(version: number): string {
  return `${Math.floor(version / 1000)}.${Math.floor((version % 1000) / 10)}`;
}

/** What the process knows of one device's primary context, shared by every CudaContext on it. */
interface DeviceRecord {
  /** Bumped by each reset: contexts made before it are stale. */
  generation: number;
  /** The sticky error seen since the last reset, if any. */
  fault: CudaError | undefined;
  resets: number;
}

const records = new Map<string, DeviceRecord>();

function recordFor(libraryPath: string, ordinal: number): DeviceRecord {
  const key = `${libraryPath}#${ordinal}`;
  let r = records.get(key);
  if (r === undefined) {
    r = { generation: 0, fault: undefined, resets: 0 };
    records.set(key, r);
  }
  return r;
}

export class CudaDriver {
  private initialised = false;

  private constructor(
    readonly api: Api,
    readonly koffi: Koffi,
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
        throw new CudaUnavailable(
          `${libraryPath} lacks ${name} (a driver older than CUDA 11?): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return new CudaDriver(api as Api, koffi, libraryPath);
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

  /** How many times this process has reset device `ordinal`'s primary context. */
  resets(ordinal = 0): number {
    return recordFor(this.libraryPath, ordinal).resets;
  }

  /**
   * Retains device `ordinal`'s primary context and makes it current; first resets it when a
   * sticky fault left it unusable, so that nothing is rebuilt on a broken context.
   */
  context(ordinal = 0): CudaContext {
    const info = this.device(ordinal);
    const dev = [0];
    this.check('cuDeviceGet', this.api.cuDeviceGet(dev, ordinal));
    const record = recordFor(this.libraryPath, ordinal);
    if (record.fault !== undefined) {
      const fault = record.fault;
      this.check('cuDevicePrimaryCtxReset_v2', this.api.cuDevicePrimaryCtxReset_v2(dev[0]));
      record.generation++;
      record.resets++;
      record.fault = undefined;
      noteDeviceReset(info.name, fault.message);
    }
    const ctx: unknown[] = [null];
    this.check('cuDevicePrimaryCtxRetain', this.api.cuDevicePrimaryCtxRetain(ctx, dev[0]));
    const handle = asHandle(ctx[0]);
    try {
      this.check('cuCtxSetCurrent', this.api.cuCtxSetCurrent(handle));
    } catch (error) {
      this.api.cuDevicePrimaryCtxRelease_v2(dev[0]);
      throw error;
    }
    return new CudaContext(this, info, dev[0]!, handle, record);
  }
}

function asHandle(value: unknown): Handle {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  throw new TypeError(`expected a pointer from the driver, got ${String(value)}`);
}

export interface CudaModule {
  readonly handle: Handle;
  /** Which image the driver took: "fatbin" or "ptx". */
  readonly image: string;
  fn(name: string): Handle;
}

/** Page-locked host memory: asynchronous copies land here; read it only after their event. */
export class PinnedBuffer {
  private view: ArrayBuffer | undefined;

  constructor(
    private readonly ctx: CudaContext,
    readonly address: bigint,
    readonly bytes: number,
  ) {}

  /** The memory as an ArrayBuffer; throws once the context is stale (the memory is gone then). */
  buffer(): ArrayBuffer {
    this.ctx.assertUsable();
    this.view ??= this.ctx.driver.koffi.view(this.address, this.bytes);
    return this.view;
  }

  /** Drops the view (the memory is about to go). */
  forget(): void {
    this.view = undefined;
  }
}

/** One device's context: memory, modules, streams. Not thread-safe; Node calls it from one thread. */
export class CudaContext {
  private released = false;
  private readonly modules: Handle[] = [];
  private readonly allocations = new Set<DevicePtr>();
  private readonly pinnedBuffers = new Set<PinnedBuffer>();
  private readonly streams = new Set<CudaStream>();
  private readonly generation: number;

  constructor(
    readonly driver: CudaDriver,
    readonly device: DeviceInfo,
    private readonly cuDevice: number,
    readonly handle: Handle,
    private readonly record: DeviceRecord,
  ) {
    this.generation = record.generation;
  }

  private get api(): Api {
    return this.driver.api;
  }

  /** False once released, or once a reset of the device made this context's objects invalid. */
  get usable(): boolean {
    return !this.released && this.generation === this.record.generation;
  }

  /** The sticky fault seen on this device since the last reset, if any. */
  get fault(): CudaError | undefined {
    return this.record.fault;
  }

  assertUsable(): void {
    if (this.released) throw new CudaContextLost(`the CUDA context of ${this.device.name} was released`);
    if (this.generation !== this.record.generation)
      throw new CudaContextLost(`the CUDA context of ${this.device.name} was reset after a device fault`);
  }

  /** Runs a driver call; a sticky error marks the device for a reset before its next context. */
  call(name: keyof Api, ...args: unknown[]): void {
    this.assertUsable();
    const result = this.api[name](...args);
    if (result !== CUDA_SUCCESS) this.raise(name, result);
  }

  /** Throws the CudaError for `result`, marking the device when it is sticky. */
  raise(call: string, result: number, detail = ''): never {
    const error = new CudaError(call, result, this.driver.errorName(result), this.driver.errorText(result) + detail);
    if (error.sticky) this.record.fault ??= error;
    throw error;
  }

  /**
   * Loads src/gpu/<name>.cu's kernels: the fatbin first (the driver takes the cubin for this
   * device, or JIT-compiles its PTX), then the PTX alone; an image that does not load, or lacks
   * one of `kernels`, is reported with the driver's reason (and the JIT log) and the next tried.
   */
  loadKernels(name: string, kernels: readonly string[]): CudaModule {
    let images: KernelImage[];
    try {
      images = kernelImages(name);
    } catch (error) {
      const where = this.where();
      const attempts = [{ image: 'build', error: error instanceof Error ? error.message : String(error) }];
      noteModuleLoad({ module: name, device: where, loaded: null, attempts });
      throw new CudaModuleError(name, attempts, where);
    }
    return this.loadImages(name, images, kernels);
  }

  /** The device, its compute capability and the driver version, for reports. */
  private where(): string {
    return `${this.device.name} (sm_${this.device.computeCapability.join('')}, driver ${formatDriverVersion(this.driver.driverVersion())})`;
  }

  /** loadKernels over given images (tests hand in their own). */
  loadImages(name: string, images: readonly KernelImage[], kernels: readonly string[]): CudaModule {
    this.assertUsable();
    const where = this.where();
    const attempts: ImageAttempt[] = [];
    for (const image of images) {
      let handle: Handle | undefined;
      try {
        handle = this.loadImage(image.bytes);
        const functions = new Map<string, Handle>();
        for (const k of kernels) {
          const fo: unknown[] = [null];
          this.call('cuModuleGetFunction', fo, handle, k);
          functions.set(k, asHandle(fo[0]));
        }
        const module: CudaModule = {
          handle,
          image: image.format,
          fn: (k) => {
            const f = functions.get(k);
            if (f === undefined) throw new Error(`kernel ${k} was not loaded from ${name}`);
            return f;
          },
        };
        noteModuleLoad({ module: name, device: where, loaded: image.format, attempts });
        return module;
      } catch (error) {
        if (handle !== undefined) {
          this.api.cuModuleUnload(handle);
          this.modules.splice(this.modules.indexOf(handle), 1);
        }
        attempts.push({ image: `${image.format} (${image.file})`, error: error instanceof Error ? error.message : String(error) });
        // A sticky error leaves nothing to try the next image on.
        if (error instanceof CudaError && error.sticky) break;
      }
    }
    noteModuleLoad({ module: name, device: where, loaded: null, attempts });
    throw new CudaModuleError(name, attempts, where);
  }

  /** cuModuleLoadDataEx with the JIT's error log captured into the error's text. */
  private loadImage(bytes: Uint8Array): Handle {
    this.assertUsable();
    const koffi = this.driver.koffi;
    const log = koffi.alloc('uint8_t', JIT_LOG_BYTES);
    try {
      new Uint8Array(koffi.view(log, JIT_LOG_BYTES)).fill(0);
      const options = new Int32Array([CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES]);
      const values = new BigUint64Array([log, BigInt(JIT_LOG_BYTES)]);
      const out: unknown[] = [null];
      const result = this.api.cuModuleLoadDataEx(out, bytes, 2, options, values);
      if (result !== CUDA_SUCCESS) {
        const text = new Uint8Array(koffi.view(log, JIT_LOG_BYTES));
        const end = text.indexOf(0);
        const jit = new TextDecoder().decode(text.subarray(0, end < 0 ? text.length : end)).trim();
        this.raise('cuModuleLoadDataEx', result, jit === '' ? '' : ` [JIT: ${jit}]`);
      }
      const handle = asHandle(out[0]);
      this.modules.push(handle);
      return handle;
    } finally {
      koffi.free(log);
    }
  }

  alloc(bytes: number): DevicePtr {
    const out: unknown[] = [0n];
    this.call('cuMemAlloc_v2', out, Math.max(4, bytes));
    const ptr = asHandle(out[0]);
    this.allocations.add(ptr);
    return ptr;
  }

  free(ptr: DevicePtr): void {
    if (!this.allocations.delete(ptr) || !this.usable) return;
    this.call('cuMemFree_v2', ptr);
  }

  /** Page-locked host memory for asynchronous copies. */
  pinned(bytes: number): PinnedBuffer {
    const out: unknown[] = [null];
    this.call('cuMemHostAlloc', out, Math.max(16, bytes), 0);
    const buffer = new PinnedBuffer(this, asHandle(out[0]), Math.max(16, bytes));
    this.pinnedBuffers.add(buffer);
    return buffer;
  }

  freePinned(buffer: PinnedBuffer): void {
    if (!this.pinnedBuffers.delete(buffer)) return;
    buffer.forget();
    if (this.usable) this.call('cuMemFreeHost', buffer.address);
  }

  /** A non-blocking stream of its own: work on it never waits for, nor holds up, another engine's. */
  stream(): CudaStream {
    const out: unknown[] = [null];
    this.call('cuStreamCreate', out, CU_STREAM_NON_BLOCKING);
    const s = new CudaStream(this, asHandle(out[0]));
    this.streams.add(s);
    return s;
  }

  /** Synchronous host-to-device copy from pageable memory (the legacy stream: not ordered with others). */
  htod(dst: DevicePtr, src: ArrayBufferView, bytes = src.byteLength): void {
    if (bytes === 0) return;
    this.call('cuMemcpyHtoD_v2', dst, src, bytes);
  }

  /** Frees what this context made and releases the primary context; after a reset only the latter. */
  release(): void {
    if (this.released) return;
    const api = this.api;
    if (this.generation === this.record.generation) {
      for (const s of this.streams) s.destroyHandles();
      for (const ptr of this.allocations) api.cuMemFree_v2(ptr);
      for (const p of this.pinnedBuffers) {
        p.forget();
        api.cuMemFreeHost(p.address);
      }
      for (const m of this.modules) api.cuModuleUnload(m);
    } else {
      for (const p of this.pinnedBuffers) p.forget();
    }
    this.streams.clear();
    this.allocations.clear();
    this.pinnedBuffers.clear();
    this.modules.length = 0;
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
  if ('f64' in arg) return new Float64Array([arg.f64]);
  return new Float32Array([arg.f32]);
}

/** How long event polling stays on setImmediate (sub-millisecond work) before 1 ms timers. */
const SPIN_MS = 20;

/** A stream and the events that mark points on it. */
export class CudaStream {
  /** Events ready for reuse, and every event made (destroyed with the stream). */
  private readonly spare: Handle[] = [];
  private readonly made: Handle[] = [];

  constructor(
    private readonly ctx: CudaContext,
    readonly handle: Handle,
  ) {}

  /** Queues a kernel. Each argument is passed by value as its C type. */
  launch(fn: Handle, grid: number, block: number, args: readonly KernelArg[]): void {
    if (grid === 0) return;
    this.ctx.call('cuLaunchKernel', fn, grid, 1, 1, block, 1, 1, 0, this.handle, args.map(argBytes), null);
  }

  /** Host to device from pageable memory: the driver stages it before returning. */
  upload(dst: DevicePtr, src: ArrayBufferView, bytes = src.byteLength): void {
    if (bytes === 0) return;
    this.ctx.call('cuMemcpyHtoDAsync_v2', dst, src, bytes, this.handle);
  }

  /** Host to device from pinned memory, queued: `src` must not change until an event after it. */
  uploadPinned(dst: DevicePtr, src: PinnedBuffer, offset: number, bytes: number): void {
    if (bytes === 0) return;
    if (offset + bytes > src.bytes) throw new RangeError(`${bytes} bytes at ${offset} overrun a ${src.bytes}-byte pinned buffer`);
    this.ctx.call('cuMemcpyHtoDAsync_v2', dst, src.address + BigInt(offset), bytes, this.handle);
  }

  /** Device to pinned host memory, queued: read `dst` only after an event recorded after it. */
  downloadPinned(dst: PinnedBuffer, offset: number, src: DevicePtr, bytes: number): void {
    if (bytes === 0) return;
    if (offset + bytes > dst.bytes) throw new RangeError(`${bytes} bytes at ${offset} overrun a ${dst.bytes}-byte pinned buffer`);
    this.ctx.call('cuMemcpyDtoHAsync_v2', dst.address + BigInt(offset), src, bytes, this.handle);
  }

  memset32(dst: DevicePtr, value: number, count: number): void {
    if (count === 0) return;
    this.ctx.call('cuMemsetD32Async', dst, value >>> 0, count, this.handle);
  }

  /** Records an event after the work queued so far; `done` tells whether it has passed. */
  record(): CudaEventMark {
    let event = this.spare.pop();
    if (event === undefined) {
      const out: unknown[] = [null];
      this.ctx.call('cuEventCreate', out, CU_EVENT_DISABLE_TIMING);
      event = asHandle(out[0]);
      this.made.push(event);
    }
    this.ctx.call('cuEventRecord', event, this.handle);
    return new CudaEventMark(this.ctx, event, (e) => this.spare.push(e));
  }

  /** Resolves when everything queued so far has run, polling between event-loop turns. */
  idle(): Promise<void> {
    return this.record().wait();
  }

  /** Destroys the stream's events and the stream (the context is being released). */
  destroyHandles(): void {
    const api = this.ctx.driver.api;
    for (const e of this.made) api.cuEventDestroy_v2(e);
    this.made.length = 0;
    this.spare.length = 0;
    api.cuStreamDestroy_v2(this.handle);
  }
}

/** A recorded event: poll it, or wait for it without blocking the thread. */
export class CudaEventMark {
  private returned = false;

  constructor(
    private readonly ctx: CudaContext,
    private readonly event: Handle,
    private readonly giveBack: (event: Handle) => void,
  ) {}

  /** True once the work before the event has run; throws the work's error if it failed. */
  done(): boolean {
    this.ctx.assertUsable();
    const r = this.ctx.driver.api.cuEventQuery(this.event);
    if (r === CUDA_ERROR_NOT_READY) return false;
    if (r !== CUDA_SUCCESS) this.ctx.raise('cuEventQuery', r);
    this.release();
    return true;
  }

  /** Resolves when done(), polling on setImmediate first (short work), then on 1 ms timers. */
  async wait(): Promise<void> {
    const start = performance.now();
    while (!this.done()) {
      await new Promise<void>((resolve) => (performance.now() - start < SPIN_MS ? setImmediate(resolve) : setTimeout(resolve, 1)));
    }
  }

  private release(): void {
    if (this.returned) return;
    this.returned = true;
    this.giveBack(this.event);
  }
}

/** Is there a usable GPU? Never throws; cheap when there is no driver (one failed dlopen). */
export function probeCuda(libraryPath = defaultLibraryPath()): CudaProbe {
  let probe: CudaProbe;
  let driverVersion: number | undefined;
  try {
    const driver = CudaDriver.load(libraryPath);
    driver.init();
    driverVersion = driver.driverVersion();
    const count = driver.deviceCount();
    if (count === 0) {
      probe = { available: false, reason: 'the CUDA driver reports no device', driverVersion };
    } else {
      const devices: DeviceInfo[] = [];
      for (let i = 0; i < count; i++) devices.push(driver.device(i));
      probe = { available: true, driverVersion, devices };
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    probe = driverVersion === undefined ? { available: false, reason } : { available: false, reason, driverVersion };
  }
  noteProbe(libraryPath, probe);
  return probe;
}
