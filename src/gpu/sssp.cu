// Single-source shortest paths on the GPU over the SSSP engine's gapped CSR (src/sssp/csr.ts):
// row i holds arcs [row_start[i], row_start[i] + row_len[i]) of col (target index) and w (f64).
//
// Distances: delta-stepping in the near-far form (Davidson et al. 2014). dist[] holds the IEEE-754
// bit patterns of non-negative doubles; for those, unsigned integer order is numeric order, so
// atomicMin on the bits is an exact min on the distances. Nodes below `threshold` form the near
// pile, relaxed round after round (a round relaxes the out-arcs of the nodes improved in the round
// before) until no improvement falls below the threshold; improvements at or above it go to the
// far pile. Then the threshold moves on by at least `delta` (straight to the bucket of the
// smallest far distance when buckets are empty) and a split round moves the far nodes below it
// into the near pile. The fixed point is min over paths of the left-to-right float64 sum along
// the path, which is exactly what Dijkstra computes on the CPU (float addition is monotone), so
// CPU and GPU agree bit for bit.
//
// The host launches sssp_round many times in a row without looking: the state (which pile, how
// long, the threshold, done) lives in SsspCtrl on the device, the last block of each launch moves
// it on, and a launch after the end returns at once. The host reads SsspCtrl back after each
// batch, asynchronously, to know when to stop.
//
// Parents: where no weight is zero, one pass over every arc: v's parent is any u with
// dist[u] + w == dist[v] and dist[u] < dist[v] (a plain store; any such u will do, and distances
// strictly fall along parents, so there is no cycle). A second kernel counts reached nodes left
// without one (a weight so small against a distance that the sum rounds back). Then, or where a
// weight is zero, a BFS over the tight arcs from the source claims parents (atomicCAS on
// parent[v]), one level per round, driven like the distances.
//
// A node's arcs are handled by a group of GROUP lanes striding over them, so that the hubs of a
// scale-free graph do not serialise one thread.

#ifndef VF_EMULATOR
#define VF_GLOBAL extern "C" __global__
#define VF_DEVICE __device__ __forceinline__
#define VF_SHARED(type, name, count) __shared__ type name[count]
#endif

#define GROUP 8
#define INF_BITS 0x7FF0000000000000ULL

#define PHASE_RELAX 0u
#define PHASE_SPLIT 1u
#define PHASE_DONE 2u

// The state machine; src/sssp/gpu-engine.ts reads it back by these offsets (CTRL_* there).
struct SsspCtrl {
  unsigned int nearLen;     // 0: nodes in the current near list
  unsigned int nextLen;     // 4: nodes appended to the next near list
  unsigned int farLen;      // 8: nodes in the far pile
  unsigned int far2Len;     // 12: far nodes kept by the running split
  unsigned int parity;      // 16: which near list is current (0: A, 1: B)
  unsigned int farParity;   // 20: which far list is current
  unsigned int phase;       // 24: PHASE_*
  unsigned int round;       // 28: rounds done
  unsigned int blocksDone;  // 32: blocks of this launch that have finished
  unsigned int missing;     // 36: reached nodes without a parent after the one-pass parents
  unsigned int pad0;        // 40
  unsigned int pad1;        // 44
  unsigned long long farMin;  // 48: bits of the smallest distance sent to the far pile
  double threshold;         // 56: the near pile is every node below it
  double lowWater;          // 64: every node below it is settled (earlier buckets)
  double delta;             // 72: bucket width
};

VF_DEVICE double vf_as_double(unsigned long long bits) { return __longlong_as_double((long long)bits); }
VF_DEVICE unsigned long long vf_bits(double d) { return (unsigned long long)__double_as_longlong(d); }

VF_GLOBAL void sssp_init(int n, unsigned long long* dist, int* parent, unsigned int* stamp, int* inFar, int source) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    dist[i] = i == source ? 0ULL : INF_BITS;
    parent[i] = -1;
    stamp[i] = 0u;
    inFar[i] = 0;
  }
}

// One thread: the first near pile is the source alone.
VF_GLOBAL void sssp_start(SsspCtrl* ctrl, int source, double delta, int* nearA) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  nearA[0] = source;
  ctrl->nearLen = 1u;
  ctrl->nextLen = 0u;
  ctrl->farLen = 0u;
  ctrl->far2Len = 0u;
  ctrl->parity = 0u;
  ctrl->farParity = 0u;
  ctrl->phase = PHASE_RELAX;
  ctrl->round = 0u;
  ctrl->blocksDone = 0u;
  ctrl->missing = 0u;
  ctrl->farMin = INF_BITS;
  ctrl->threshold = delta;
  ctrl->lowWater = 0.0;
  ctrl->delta = delta;
}

// The last block of a round: swap the lists, or open the next bucket, or stop.
VF_DEVICE void sssp_advance(SsspCtrl* ctrl) {
  volatile SsspCtrl* c = ctrl;
  c->blocksDone = 0u;
  if (c->phase == PHASE_SPLIT) {
    c->farParity ^= 1u;
    c->farLen = c->far2Len;
    c->far2Len = 0u;
  }
  c->round += 1u;
  if (c->nextLen > 0u) {
    c->parity ^= 1u;
    c->nearLen = c->nextLen;
    c->nextLen = 0u;
    c->phase = PHASE_RELAX;
    return;
  }
  c->nearLen = 0u;
  if (c->farLen == 0u) {
    c->phase = PHASE_DONE;
    return;
  }
  // Every far distance is at least farMin: skip the empty buckets below it. A threshold that no
  // longer grows by delta (huge distances) still passes farMin, so the far pile always shrinks.
  const double fm = vf_as_double(c->farMin);
  const double d = c->delta;
  double t = fmax(c->threshold + d, (floor(fm / d) + 1.0) * d);
  if (!(t > fm)) t = vf_as_double(vf_bits(fm) + 1ULL);
  c->lowWater = c->threshold;
  c->threshold = t;
  c->farMin = INF_BITS;
  c->phase = PHASE_SPLIT;
}

// Every block counts itself out; the last one runs `advance` for the whole launch.
VF_DEVICE bool vf_last_block(SsspCtrl* ctrl, int* last) {
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();
    *last = atomicAdd(&ctrl->blocksDone, 1u) == gridDim.x - 1u ? 1 : 0;
  }
  __syncthreads();
  if (*last == 0 || threadIdx.x != 0) return false;
  __threadfence();
  return true;
}

// A relax round (the near list's arcs) or a split round (the far pile against the new threshold).
VF_GLOBAL void sssp_round(SsspCtrl* ctrl, const int* __restrict__ rowStart, const int* __restrict__ rowLen, const int* __restrict__ col,
                          const double* __restrict__ w, double bound, unsigned long long* dist, unsigned int* stamp, int* inFar,
                          int* nearA, int* nearB, int* farA, int* farB) {
  VF_SHARED(int, last, 1);
  volatile SsspCtrl* c = ctrl;
  // Set by the previous launch: the same for every thread of this one.
  const unsigned int phase = c->phase;
  if (phase == PHASE_DONE) return;
  const unsigned int mark = c->round + 1u;
  const double threshold = c->threshold;
  int* cur = c->parity ? nearB : nearA;
  int* next = c->parity ? nearA : nearB;
  int* far = c->farParity ? farB : farA;
  int* far2 = c->farParity ? farA : farB;
  const int tid = blockIdx.x * blockDim.x + threadIdx.x;
  const int threads = gridDim.x * blockDim.x;
  if (phase == PHASE_RELAX) {
    const int len = (int)c->nearLen;
    const int lane = threadIdx.x % GROUP;
    const int groups = threads / GROUP;
    for (int g = tid / GROUP; g < len; g += groups) {
      const int u = cur[g];
      // Read around L1: another thread may have lowered it since.
      const double du = vf_as_double(*(volatile unsigned long long*)&dist[u]);
      const int start = rowStart[u];
      const int end = start + rowLen[u];
      for (int a = start + lane; a < end; a += GROUP) {
        const double nd = du + w[a];
        if (!(nd <= bound)) continue;
        const int v = col[a];
        const unsigned long long nb = vf_bits(nd);
        if (nb < atomicMin(&dist[v], nb)) {
          if (nd < threshold) {
            if (atomicMax(&stamp[v], mark) < mark) next[atomicAdd(&ctrl->nextLen, 1u)] = v;
          } else {
            atomicMin(&ctrl->farMin, nb);
            if (atomicExch(&inFar[v], 1) == 0) far[atomicAdd(&ctrl->farLen, 1u)] = v;
          }
        }
      }
    }
  } else {
    const int len = (int)c->farLen;
    const double low = c->lowWater;
    for (int i = tid; i < len; i += threads) {
      const int v = far[i];
      const double d = vf_as_double(*(volatile unsigned long long*)&dist[v]);
      if (d < threshold) {
        inFar[v] = 0;
        // Below lowWater: settled in an earlier bucket after it was sent here.
        if (d >= low && atomicMax(&stamp[v], mark) < mark) next[atomicAdd(&ctrl->nextLen, 1u)] = v;
      } else {
        far2[atomicAdd(&ctrl->far2Len, 1u)] = v;
        atomicMin(&ctrl->farMin, vf_bits(d));
      }
    }
  }
  if (vf_last_block(ctrl, last)) sssp_advance(ctrl);
}

// Parents in one pass over every arc, where no weight is zero.
VF_GLOBAL void sssp_parents_tight(int n, const int* __restrict__ rowStart, const int* __restrict__ rowLen, const int* __restrict__ col,
                                  const double* __restrict__ w, const unsigned long long* __restrict__ dist, int* parent, int source) {
  const int lane = threadIdx.x % GROUP;
  const int groups = (gridDim.x * blockDim.x) / GROUP;
  for (int u = (blockIdx.x * blockDim.x + threadIdx.x) / GROUP; u < n; u += groups) {
    const unsigned long long bu = dist[u];
    if (bu == INF_BITS) continue;
    const double du = vf_as_double(bu);
    const int start = rowStart[u];
    const int end = start + rowLen[u];
    for (int a = start + lane; a < end; a += GROUP) {
      const int v = col[a];
      if (v == source) continue;
      const double dv = vf_as_double(dist[v]);
      if (du < dv && du + w[a] == dv) parent[v] = u;
    }
  }
}

// Counts reached nodes (other than the source) that the one pass left without a parent.
VF_GLOBAL void sssp_parents_missing(int n, const unsigned long long* __restrict__ dist, const int* __restrict__ parent, int source, SsspCtrl* ctrl) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    if (i != source && dist[i] != INF_BITS && parent[i] < 0) atomicAdd(&ctrl->missing, 1u);
  }
}

// One thread: the BFS over tight arcs starts at the source, which claims itself.
VF_GLOBAL void sssp_bfs_start(SsspCtrl* ctrl, int source, int* parent, int* nearA) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  parent[source] = source;
  nearA[0] = source;
  ctrl->nearLen = 1u;
  ctrl->nextLen = 0u;
  ctrl->parity = 0u;
  ctrl->phase = PHASE_RELAX;
  ctrl->round = 0u;
  ctrl->blocksDone = 0u;
}

// One BFS level: the first u to claim v along a tight arc wins, so the tree is acyclic even with
// zero-weight arcs (which a "last writer wins" parent would not be).
VF_GLOBAL void sssp_bfs_round(SsspCtrl* ctrl, const int* __restrict__ rowStart, const int* __restrict__ rowLen, const int* __restrict__ col,
                              const double* __restrict__ w, const unsigned long long* __restrict__ dist, int* parent, int* nearA, int* nearB) {
  VF_SHARED(int, last, 1);
  volatile SsspCtrl* c = ctrl;
  if (c->phase == PHASE_DONE) return;
  const int* cur = c->parity ? nearB : nearA;
  int* next = c->parity ? nearA : nearB;
  const int len = (int)c->nearLen;
  const int lane = threadIdx.x % GROUP;
  const int groups = (gridDim.x * blockDim.x) / GROUP;
  for (int g = (blockIdx.x * blockDim.x + threadIdx.x) / GROUP; g < len; g += groups) {
    const int u = cur[g];
    const double du = vf_as_double(dist[u]);
    const int start = rowStart[u];
    const int end = start + rowLen[u];
    for (int a = start + lane; a < end; a += GROUP) {
      const int v = col[a];
      const unsigned long long dv = dist[v];
      if (dv == INF_BITS) continue;
      if (du + w[a] == vf_as_double(dv) && atomicCAS(&parent[v], -1, u) == -1) next[atomicAdd(&ctrl->nextLen, 1u)] = v;
    }
  }
  if (!vf_last_block(ctrl, last)) return;
  c->blocksDone = 0u;
  c->round += 1u;
  if (c->nextLen > 0u) {
    c->parity ^= 1u;
    c->nearLen = c->nextLen;
    c->nextLen = 0u;
  } else {
    c->nearLen = 0u;
    c->phase = PHASE_DONE;
  }
}
