// Kernels that misbehave on purpose, compiled into the emulator only: the tests use them to show
// that the emulator catches what a GPU (or compute-sanitizer) would. A test loads them from a
// PTX text naming their entries (test/gpu/emulator-checks.test.ts).

// Thread 0 writes `value` at p[index]: an index past the allocation is an out-of-bounds write.
VF_GLOBAL void vf_test_write(int* p, int index, int value) {
  if (blockIdx.x == 0 && threadIdx.x == 0) p[index] = value;
}

// Every thread adds one with a plain read and write around a fence: lost updates show that
// threads interleave.
VF_GLOBAL void vf_test_race(int* counter) {
  const int seen = *(volatile int*)counter;
  __threadfence();
  *(volatile int*)counter = seen + 1;
}

// Every thread adds one atomically: never a lost update, whatever the order.
VF_GLOBAL void vf_test_atomic(int* counter) { atomicAdd(counter, 1); }

// Threads below `quit` leave before the barrier the others wait at.
VF_GLOBAL void vf_test_divergent_barrier(int quit) {
  if ((int)threadIdx.x < quit) return;
  __syncthreads();
}

// Every thread writes how many threads of its block passed the first barrier, read after the
// second: blockDim.x for all of them, whatever order they run in.
VF_GLOBAL void vf_test_barrier(int* out, int* arrived) {
  VF_SHARED(int, count, 1);
  if (threadIdx.x == 0) *count = 0;
  __syncthreads();
  atomicAdd(count, 1);
  __syncthreads();
  out[blockIdx.x * blockDim.x + threadIdx.x] = *count;
  if (threadIdx.x == 0) atomicAdd(arrived, 1);
}
