// Just enough of CUDA C++ for src/gpu/*.cu to compile as plain C++ and run one thread after another
// (see fake-cuda.cpp). Kernels there use only per-thread code and atomics, which this models
// exactly for sequential execution.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

struct uint3 {
  unsigned int x, y, z;
};
struct float3 {
  float x, y, z;
};
struct float4 {
  float x, y, z, w;
};

inline uint3 blockIdx, threadIdx, blockDim, gridDim;

inline float3 make_float3(float x, float y, float z) { return float3{x, y, z}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline int atomicAdd(int* p, int v) {
  int old = *p;
  *p += v;
  return old;
}
inline void __threadfence() {}
template <typename T>
inline T __ldcg(const T* p) {
  return *p;
}
inline int __clz(unsigned int x) { return x == 0 ? 32 : __builtin_clz(x); }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
using std::isfinite;

#define VF_EMULATOR 1
#define VF_GLOBAL static
#define VF_DEVICE static inline
