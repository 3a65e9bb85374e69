// Single-source shortest paths on the GPU over the SSSP engine's gapped CSR (src/sssp/csr.ts):
// row i holds arcs [row_start[i], row_start[i] + row_len[i]) of col (target index) and w (f64).
//
// Distances: frontier Bellman-Ford. dist[] holds the IEEE-754 bit patterns of non-negative doubles;
// for those, unsigned integer order is numeric order, so atomicMin on the bits is an exact min on
// the distances. Each round relaxes the out-arcs of the frontier (the nodes improved last round);
// a node improved this round joins the next frontier once (a round stamp, no clearing pass). The
// fixed point is min over paths of the left-to-right float64 sum along the path, which is exactly
// what Dijkstra computes on the CPU (float addition is monotone), so CPU and GPU agree bit for bit.
//
// Parents: a BFS over the tight arcs (dist[u] + w == dist[v]) from the source; the first u to
// claim v (atomicCAS on parent[v]) wins. Every claimed parent satisfies the distance equation and
// the tree is acyclic even with zero-weight arcs, which a "last writer wins" parent would not be.
//
// A frontier node is handled by a group of GROUP lanes striding over its arcs, so that the hubs of
// a scale-free graph do not serialise one thread.
#include <stdint.h>

#define GROUP 8
#define INF_BITS 0x7FF0000000000000ULL

extern "C" {

__global__ void sssp_init(int n, unsigned long long* dist, int* parent, int* stamp, int source) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    dist[i] = i == source ? 0ULL : INF_BITS;
    parent[i] = i == source ? source : -1;
    stamp[i] = 0;
  }
}

// Round `round` reads `frontier` (frontier_len nodes) and appends to `next`; bound is maxDistance.
__global__ void sssp_relax(const int* __restrict__ frontier, int frontier_len, const int* __restrict__ row_start,
                           const int* __restrict__ row_len, const int* __restrict__ col, const double* __restrict__ w,
                           unsigned long long* dist, int* stamp, int* next, int* next_len, int round, double bound) {
  const int lane = threadIdx.x % GROUP;
  const int groups = (gridDim.x * blockDim.x) / GROUP;
  for (int g = (blockIdx.x * blockDim.x + threadIdx.x) / GROUP; g < frontier_len; g += groups) {
    const int u = frontier[g];
    const double du = __longlong_as_double((long long)*(volatile unsigned long long*)&dist[u]);
    const int start = row_start[u];
    const int end = start + row_len[u];
    for (int a = start + lane; a < end; a += GROUP) {
      const double nd = du + w[a];
      if (!(nd <= bound)) continue;
      const int v = col[a];
      const unsigned long long nb = (unsigned long long)__double_as_longlong(nd);
      if (nb < atomicMin(&dist[v], nb)) {
        if (atomicMax(&stamp[v], round + 1) < round + 1) next[atomicAdd(next_len, 1)] = v;
      }
    }
  }
}

// Claims parents along tight arcs, one BFS level per launch.
__global__ void sssp_parents(const int* __restrict__ frontier, int frontier_len, const int* __restrict__ row_start,
                             const int* __restrict__ row_len, const int* __restrict__ col, const double* __restrict__ w,
                             const unsigned long long* __restrict__ dist, int* parent, int* next, int* next_len) {
  const int lane = threadIdx.x % GROUP;
  const int groups = (gridDim.x * blockDim.x) / GROUP;
  for (int g = (blockIdx.x * blockDim.x + threadIdx.x) / GROUP; g < frontier_len; g += groups) {
    const int u = frontier[g];
    const double du = __longlong_as_double((long long)dist[u]);
    const int start = row_start[u];
    const int end = start + row_len[u];
    for (int a = start + lane; a < end; a += GROUP) {
      const int v = col[a];
      const unsigned long long dv = dist[v];
      if (dv == INF_BITS) continue;
      if (du + w[a] == __longlong_as_double((long long)dv) && atomicCAS(&parent[v], -1, u) == -1) {
        next[atomicAdd(next_len, 1)] = v;
      }
    }
  }
}

}  // extern "C"
