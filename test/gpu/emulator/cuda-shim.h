// Just enough of CUDA C++ for src/gpu/*.cu to compile as plain C++ and run on the emulator's
// threads (fake-cuda.cpp): each CUDA thread is a fiber, the threads of a block (and of the blocks
// running beside it) interleave in a seeded random order, switching at barriers and, with a set
// probability, just before an atomic or a fence, so that a kernel that is only right in one order
// fails. Shared memory is one arena per block; device memory is the emulator's guarded mappings.
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
struct alignas(16) float4 {
  float x, y, z, w;
};

namespace vf_emu {
struct ThreadId {
  uint3 block;
  uint3 thread;
};
/** The running CUDA thread's indices. */
const ThreadId& current();
/** A point where another thread may run first (atomics, fences): switches with the set probability. */
void interleave();
/** __syncthreads: waits until every thread of the block has arrived. */
void barrier();
/** The next `bytes` of the running block's shared memory (same offsets in every thread of a block). */
void* shared(std::size_t bytes, std::size_t align);
extern uint3 gridDim;
extern uint3 blockDim;
/** The value argument of an atomic takes the pointer's type, as CUDA's overloads do. */
template <typename T>
struct Same {
  using type = T;
};
}  // namespace vf_emu

#define threadIdx (vf_emu::current().thread)
#define blockIdx (vf_emu::current().block)
using vf_emu::blockDim;
using vf_emu::gridDim;

#define __restrict__ __restrict
#define __syncthreads() vf_emu::barrier()

inline float3 make_float3(float x, float y, float z) { return float3{x, y, z}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

template <typename T>
inline T atomicAdd(T* p, typename vf_emu::Same<T>::type v) {
  vf_emu::interleave();
  T old = *p;
  *p = old + v;
  return old;
}
template <typename T>
inline T atomicMin(T* p, typename vf_emu::Same<T>::type v) {
  vf_emu::interleave();
  T old = *p;
  if (v < old) *p = v;
  return old;
}
template <typename T>
inline T atomicMax(T* p, typename vf_emu::Same<T>::type v) {
  vf_emu::interleave();
  T old = *p;
  if (v > old) *p = v;
  return old;
}
template <typename T>
inline T atomicCAS(T* p, typename vf_emu::Same<T>::type compare, typename vf_emu::Same<T>::type v) {
  vf_emu::interleave();
  T old = *p;
  if (old == compare) *p = v;
  return old;
}
template <typename T>
inline T atomicExch(T* p, typename vf_emu::Same<T>::type v) {
  vf_emu::interleave();
  T old = *p;
  *p = v;
  return old;
}
inline void __threadfence() { vf_emu::interleave(); }
template <typename T>
inline T __ldcg(const T* p) {
  return *p;
}
inline int __clz(unsigned int x) { return x == 0 ? 32 : __builtin_clz(x); }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double __longlong_as_double(long long v) {
  double d;
  std::memcpy(&d, &v, sizeof d);
  return d;
}
inline long long __double_as_longlong(double d) {
  long long v;
  std::memcpy(&v, &d, sizeof v);
  return v;
}
using std::fmax;
using std::fmin;
using std::isfinite;
using std::nextafter;

#define VF_EMULATOR 1
#define VF_GLOBAL static
#define VF_DEVICE static inline
#define VF_SHARED(type, name, count) type* name = static_cast<type*>(vf_emu::shared(sizeof(type) * (count), alignof(type)))
