// A stand-in libcuda for machines without a GPU: the driver API calls the loader uses, backed by
// host memory, with kernels from src/gpu/*.cu compiled as C++ and run one thread after another.
// It lets the tests drive the real CUDA engine (TypeScript loader, marshalling, launch sequence,
// kernels) on the CPU. It also checks what a real driver would reject: copies outside an
// allocation, unknown kernels, launches with wrong arguments count.
//   build: g++ -O2 -std=c++17 -shared -fPIC -o libfakecuda.so fake-cuda.cpp
//   test hooks: fake_cuda_fail_launches(k) makes the next k launches fail (CUDA_ERROR_LAUNCH_FAILED);
//               fake_cuda_launches() counts launches.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>

#include "cuda-shim.h"
#include "../../../src/gpu/physics.cu"

typedef unsigned long long CUdeviceptr;

enum {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_INVALID_HANDLE = 400,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_LAUNCH_FAILED = 719,
};

namespace {

using Runner = void (*)(unsigned int grid, unsigned int block, void** params);

template <typename... A, std::size_t... I>
void invoke(void (*k)(A...), void** params, std::index_sequence<I...>) {
  k(*static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(params[I])...);
}

template <typename... A>
void runAll(void (*k)(A...), unsigned int grid, unsigned int block, void** params) {
  gridDim = uint3{grid, 1, 1};
  blockDim = uint3{block, 1, 1};
  for (unsigned int b = 0; b < grid; b++) {
    blockIdx = uint3{b, 0, 0};
    for (unsigned int t = 0; t < block; t++) {
      threadIdx = uint3{t, 0, 0};
      invoke(k, params, std::index_sequence_for<A...>{});
    }
  }
}

#define KERNEL(name) {#name, [](unsigned int g, unsigned int b, void** p) { runAll(name, g, b, p); }}

const std::map<std::string, Runner>& kernels() {
  static const std::map<std::string, Runner> table = {
      KERNEL(vf_bounds_partial), KERNEL(vf_reduce_bounds), KERNEL(vf_morton),      KERNEL(vf_radix_hist),
      KERNEL(vf_radix_scatter),  KERNEL(vf_scan_chunks),   KERNEL(vf_scan_add),    KERNEL(vf_gather),
      KERNEL(vf_build_tree),     KERNEL(vf_aggregate),     KERNEL(vf_forces),      KERNEL(vf_integrate),
      KERNEL(vf_reduce_stats),
  };
  return table;
}

std::map<CUdeviceptr, size_t> allocations;
bool initialised = false;
int failLaunches = 0;
long long launches = 0;
int contextToken = 1;
int moduleToken = 2;
int eventToken = 3;

bool inside(CUdeviceptr p, size_t bytes) {
  auto it = allocations.upper_bound(p);
  if (it == allocations.begin()) return false;
  --it;
  return p >= it->first && p + bytes <= it->first + it->second;
}

}  // namespace

extern "C" {

int fake_cuda_fail_launches(int count) {
  failLaunches = count;
  return 0;
}
long long fake_cuda_launches() { return launches; }
int fake_cuda_live_allocations() { return static_cast<int>(allocations.size()); }

int cuInit(unsigned int) {
  initialised = true;
  return CUDA_SUCCESS;
}
int cuDriverGetVersion(int* v) {
  *v = 13000;
  return CUDA_SUCCESS;
}
int cuDeviceGetCount(int* c) {
  if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
  const char* env = std::getenv("FAKE_CUDA_DEVICES");
  *c = env != nullptr ? std::atoi(env) : 1;
  return CUDA_SUCCESS;
}
int cuDeviceGet(int* d, int ordinal) {
  *d = ordinal;
  return ordinal == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}
int cuDeviceGetName(unsigned char* name, int len, int) {
  std::snprintf(reinterpret_cast<char*>(name), len, "VisionFlow CPU emulator");
  return CUDA_SUCCESS;
}
int cuDeviceGetAttribute(int* v, int attr, int) {
  *v = attr == 75 ? 9 : attr == 76 ? 0 : attr == 16 ? 1 : 0;
  return CUDA_SUCCESS;
}
int cuDeviceTotalMem_v2(size_t* bytes, int) {
  *bytes = size_t(1) << 32;
  return CUDA_SUCCESS;
}
int cuDevicePrimaryCtxRetain(void** ctx, int) {
  *ctx = &contextToken;
  return CUDA_SUCCESS;
}
int cuDevicePrimaryCtxRelease_v2(int) { return CUDA_SUCCESS; }
int cuCtxSetCurrent(void* ctx) { return ctx == &contextToken ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }
int cuCtxSynchronize() { return CUDA_SUCCESS; }
int cuModuleLoadData(void** module, const unsigned char* image) {
  if (image == nullptr || image[0] == 0) return CUDA_ERROR_INVALID_IMAGE;
  *module = &moduleToken;
  return CUDA_SUCCESS;
}
int cuModuleGetFunction(void** fn, void* module, const char* name) {
  if (module != &moduleToken) return CUDA_ERROR_INVALID_HANDLE;
  auto it = kernels().find(name);
  if (it == kernels().end()) return CUDA_ERROR_NOT_FOUND;
  *fn = reinterpret_cast<void*>(it->second);
  return CUDA_SUCCESS;
}
int cuModuleUnload(void*) { return CUDA_SUCCESS; }
int cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
  void* mem = std::malloc(bytes);
  if (mem == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
  std::memset(mem, 0xff, bytes);  // NaN-like garbage: reading what was never written shows
  *p = reinterpret_cast<CUdeviceptr>(mem);
  allocations[*p] = bytes;
  return CUDA_SUCCESS;
}
int cuMemFree_v2(CUdeviceptr p) {
  if (allocations.erase(p) == 0) return CUDA_ERROR_INVALID_VALUE;
  std::free(reinterpret_cast<void*>(p));
  return CUDA_SUCCESS;
}
int cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t bytes) {
  if (!inside(dst, bytes)) return CUDA_ERROR_INVALID_VALUE;
  std::memcpy(reinterpret_cast<void*>(dst), src, bytes);
  return CUDA_SUCCESS;
}
int cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t bytes) {
  if (!inside(src, bytes)) return CUDA_ERROR_INVALID_VALUE;
  std::memcpy(dst, reinterpret_cast<void*>(src), bytes);
  return CUDA_SUCCESS;
}
int cuMemsetD32_v2(CUdeviceptr dst, unsigned int value, size_t count) {
  if (!inside(dst, 4 * count)) return CUDA_ERROR_INVALID_VALUE;
  unsigned int* p = reinterpret_cast<unsigned int*>(dst);
  for (size_t i = 0; i < count; i++) p[i] = value;
  return CUDA_SUCCESS;
}
int cuLaunchKernel(void* fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by,
                   unsigned int bz, unsigned int, void*, void** params, void** extra) {
  if (fn == nullptr || params == nullptr || extra != nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (gy != 1 || gz != 1 || by != 1 || bz != 1 || gx == 0 || bx == 0 || bx > 1024) return CUDA_ERROR_INVALID_VALUE;
  launches++;
  if (failLaunches > 0) {
    failLaunches--;
    return CUDA_ERROR_LAUNCH_FAILED;
  }
  reinterpret_cast<Runner>(fn)(gx, bx, params);
  return CUDA_SUCCESS;
}
int cuEventCreate(void** ev, unsigned int) {
  *ev = &eventToken;
  return CUDA_SUCCESS;
}
int cuEventRecord(void*, void*) { return CUDA_SUCCESS; }
int cuEventQuery(void*) { return CUDA_SUCCESS; }
int cuEventDestroy_v2(void*) { return CUDA_SUCCESS; }
int cuGetErrorName(int error, const char** text) {
  switch (error) {
    case CUDA_SUCCESS: *text = "CUDA_SUCCESS"; break;
    case CUDA_ERROR_INVALID_VALUE: *text = "CUDA_ERROR_INVALID_VALUE"; break;
    case CUDA_ERROR_OUT_OF_MEMORY: *text = "CUDA_ERROR_OUT_OF_MEMORY"; break;
    case CUDA_ERROR_NOT_INITIALIZED: *text = "CUDA_ERROR_NOT_INITIALIZED"; break;
    case CUDA_ERROR_INVALID_IMAGE: *text = "CUDA_ERROR_INVALID_IMAGE"; break;
    case CUDA_ERROR_INVALID_HANDLE: *text = "CUDA_ERROR_INVALID_HANDLE"; break;
    case CUDA_ERROR_NOT_FOUND: *text = "CUDA_ERROR_NOT_FOUND"; break;
    case CUDA_ERROR_LAUNCH_FAILED: *text = "CUDA_ERROR_LAUNCH_FAILED"; break;
    default: return CUDA_ERROR_INVALID_VALUE;
  }
  return CUDA_SUCCESS;
}
int cuGetErrorString(int error, const char** text) {
  if (error == CUDA_ERROR_LAUNCH_FAILED) *text = "unspecified launch failure (injected by the emulator)";
  else if (cuGetErrorName(error, text) != CUDA_SUCCESS) return CUDA_ERROR_INVALID_VALUE;
  return CUDA_SUCCESS;
}

}  // extern "C"
