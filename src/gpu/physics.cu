// The physics step as CUDA kernels: the same force model as the CPU engine (src/physics/cpu), on a
// linear BVH instead of an octree (Karras 2012), all in float32.
//
// One step, as src/gpu/physics-engine.ts launches it:
//   vf_merge_carry, vf_merge_host            (only after the host moved nodes) its edits in
//   vf_bounds_partial, vf_reduce_bounds...   bounding box of all positions
//   vf_morton                                30-bit Morton code + slot per node
//   4 x (vf_sort_tile, scan, vf_scatter_tile)  stable LSD radix sort of (code, slot), 8 bits a
//                                            pass: each block sorts a tile of 1024 keys in shared
//                                            memory and counts its digits, a scan turns the counts
//                                            into places, each block writes its tile to them
//   vf_gather                                positions and charges in sorted order (float4)
//   vf_build_tree                            the binary radix tree over the sorted codes (Karras)
//   vf_aggregate                             bottom-up charge, centre of charge, bounding box
//   vf_forces                                Barnes-Hut traversal per node + springs, gravity,
//                                            anchors, bounds -> total force per slot
//   vf_integrate, vf_reduce_stats...         semi-implicit Euler with caps; max and sum of v^2
//
// The sort and the scans are block-cooperative (shared memory, __syncthreads); everything else is
// "one thread, one item" with atomics only for the bottom-up pass, and no warp intrinsics. The
// tests run these very kernels on the CPU through a stand-in driver (test/gpu/emulator) whose
// threads interleave in a seeded random order and whose memory is bounds-checked, so that the
// logic is checked where no GPU is at hand.
//
// Conventions: node i of the layout is slot i; a tree child c >= 0 is internal node c, c < 0 is
// the leaf at sorted position ~c. Internal node 0 is the root.

#ifndef VF_EMULATOR
#define VF_GLOBAL extern "C" __global__
#define VF_DEVICE __device__ __forceinline__
#define VF_SHARED(type, name, count) __shared__ type name[count]
#endif

#define VF_STACK 64

VF_DEVICE unsigned int vf_spread10(unsigned int v) {
  v &= 0x3ffu;
  v = (v | (v << 16)) & 0x030000ffu;
  v = (v | (v << 8)) & 0x0300f00fu;
  v = (v | (v << 4)) & 0x030c30c3u;
  v = (v | (v << 2)) & 0x09249249u;
  return v;
}

VF_DEVICE unsigned int vf_fmix32(unsigned int h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

// src/physics/pair.ts coincidentDir: the direction node i moves away from coincident node j.
VF_DEVICE void vf_coincident_dir(int i, int j, float* dx, float* dy, float* dz) {
  unsigned int a = (unsigned int)(i < j ? i : j);
  unsigned int b = (unsigned int)(i < j ? j : i);
  unsigned int h = vf_fmix32((a * 73856093u) ^ (b * 19349663u));
  float sign = i < j ? 1.0f : -1.0f;
  float x = (float)(h & 0x3ffu) / 511.5f - 1.0f;
  float y = (float)((h >> 10) & 0x3ffu) / 511.5f - 1.0f;
  float z = (float)((h >> 20) & 0x3ffu) / 511.5f - 1.0f;
  if (x * x + y * y + z * z < 0.01f) x = 1.0f;
  *dx = sign * x;
  *dy = sign * y;
  *dz = sign * z;
}

VF_DEVICE int vf_tid() { return (int)(blockIdx.x * blockDim.x + threadIdx.x); }

// ---- host edits -------------------------------------------------------------------------------------

// Positions and velocities stay on the device between steps and only positions come back, so the
// host's velocities are stale. After the host moved, added, removed or re-slotted nodes, its
// positions and velocities come up whole (posIn, velIn) with from[i] per slot: i where the node at
// slot i is the one the device last sent back, unmoved; the slot it was at before a removal
// re-slotted it; or -1 where the host's values are the ones to take (a move, a new node). First
// the re-slotted nodes carry their device velocity over, then every slot not unchanged takes its.
VF_GLOBAL void vf_merge_carry(const int* from, const float* vel, float* velIn, int n) {
  const int i = vf_tid();
  if (i >= n) return;
  const int f = from[i];
  if (f < 0 || f == i) return;
  velIn[3 * i] = vel[3 * f];
  velIn[3 * i + 1] = vel[3 * f + 1];
  velIn[3 * i + 2] = vel[3 * f + 2];
}

VF_GLOBAL void vf_merge_host(const int* from, const float* posIn, const float* velIn, float* pos, float* vel, int n) {
  const int i = vf_tid();
  if (i >= n || from[i] == i) return;
  const int k = 3 * i;
  pos[k] = posIn[k];
  pos[k + 1] = posIn[k + 1];
  pos[k + 2] = posIn[k + 2];
  vel[k] = velIn[k];
  vel[k + 1] = velIn[k + 1];
  vel[k + 2] = velIn[k + 2];
}

// ---- bounding box ------------------------------------------------------------------------------

// Thread t of T reduces slots t, t + T, ... into out[6t..6t+5] = min xyz, max xyz.
VF_GLOBAL void vf_bounds_partial(const float* pos, int n, int T, float* out) {
  int t = vf_tid();
  if (t >= T) return;
  float mnx = 3.0e38f, mny = 3.0e38f, mnz = 3.0e38f;
  float mxx = -3.0e38f, mxy = -3.0e38f, mxz = -3.0e38f;
  for (int i = t; i < n; i += T) {
    float x = pos[3 * i], y = pos[3 * i + 1], z = pos[3 * i + 2];
    mnx = fminf(mnx, x); mny = fminf(mny, y); mnz = fminf(mnz, z);
    mxx = fmaxf(mxx, x); mxy = fmaxf(mxy, y); mxz = fmaxf(mxz, z);
  }
  out[6 * t] = mnx; out[6 * t + 1] = mny; out[6 * t + 2] = mnz;
  out[6 * t + 3] = mxx; out[6 * t + 4] = mxy; out[6 * t + 5] = mxz;
}

// Rows of 6 (min xyz, max xyz); thread g reduces rows [g * per, (g + 1) * per).
VF_GLOBAL void vf_reduce_bounds(const float* in, int rows, int per, float* out) {
  int g = vf_tid();
  int start = g * per;
  if (start >= rows) return;
  int end = start + per < rows ? start + per : rows;
  float r[6];
  for (int c = 0; c < 6; c++) r[c] = in[6 * start + c];
  for (int k = start + 1; k < end; k++) {
    for (int c = 0; c < 3; c++) r[c] = fminf(r[c], in[6 * k + c]);
    for (int c = 3; c < 6; c++) r[c] = fmaxf(r[c], in[6 * k + c]);
  }
  for (int c = 0; c < 6; c++) out[6 * g + c] = r[c];
}

// ---- Morton codes and the radix sort ---------------------------------------------------------------

VF_GLOBAL void vf_morton(const float* pos, int n, const float* bounds, unsigned int* keys, int* vals) {
  int i = vf_tid();
  if (i >= n) return;
  float extent = fmaxf(fmaxf(bounds[3] - bounds[0], bounds[4] - bounds[1]), fmaxf(bounds[5] - bounds[2], 1e-9f)) * 1.0001f;
  float scale = 1024.0f / extent;
  int qx = (int)((pos[3 * i] - bounds[0]) * scale);
  int qy = (int)((pos[3 * i + 1] - bounds[1]) * scale);
  int qz = (int)((pos[3 * i + 2] - bounds[2]) * scale);
  qx = qx < 0 ? 0 : (qx > 1023 ? 1023 : qx);
  qy = qy < 0 ? 0 : (qy > 1023 ? 1023 : qy);
  qz = qz < 0 ? 0 : (qz > 1023 ? 1023 : qz);
  keys[i] = vf_spread10((unsigned int)qx) | (vf_spread10((unsigned int)qy) << 1) | (vf_spread10((unsigned int)qz) << 2);
  vals[i] = i;
}

// The sort's launch shape; src/gpu/physics-engine.ts sizes its buffers from the same numbers.
#define SORT_THREADS 256
#define SORT_ITEMS 4
#define SORT_TILE (SORT_THREADS * SORT_ITEMS)

// Exclusive scan of one value per thread over the block (SORT_THREADS threads); `total` gets the
// sum. Every thread of the block must call it.
VF_DEVICE unsigned int vf_block_scan(unsigned int v, unsigned int* s, unsigned int* total) {
  const int t = threadIdx.x;
  s[t] = v;
  __syncthreads();
  for (int off = 1; off < SORT_THREADS; off <<= 1) {
    const unsigned int add = t >= off ? s[t - off] : 0u;
    __syncthreads();
    s[t] += add;
    __syncthreads();
  }
  const unsigned int inclusive = s[t];
  *total = s[SORT_THREADS - 1];
  __syncthreads();
  return inclusive - v;
}

// Block b (SORT_THREADS threads, each owning SORT_ITEMS consecutive keys) sorts its tile of keys
// [b * SORT_TILE, ...) stably by bits [shift, shift + bits) with one split per bit, writes the tile
// back in that order and its digit counts to hist[d * tiles + b] (digit-major, so that an exclusive
// scan of hist gives every (digit, tile) its first place). Keys past n sort last as all-ones keys
// and are neither counted nor written.
VF_GLOBAL void vf_sort_tile(unsigned int* keys, int* vals, int n, int shift, int bits, int tiles, unsigned int* hist) {
  VF_SHARED(unsigned int, tileKeys, SORT_TILE);
  VF_SHARED(int, tileVals, SORT_TILE);
  VF_SHARED(unsigned int, scratch, SORT_THREADS);
  VF_SHARED(unsigned int, counts, 256);
  const int t = threadIdx.x;
  const int base = blockIdx.x * SORT_TILE;
  const int valid = n - base < SORT_TILE ? n - base : SORT_TILE;
  unsigned int k[SORT_ITEMS];
  int v[SORT_ITEMS];
  for (int j = 0; j < SORT_ITEMS; j++) {
    const int i = t * SORT_ITEMS + j;
    k[j] = i < valid ? keys[base + i] : 0xffffffffu;
    v[j] = i < valid ? vals[base + i] : -1;
  }
  for (int b = shift; b < shift + bits; b++) {
    unsigned int ones = 0u;
    for (int j = 0; j < SORT_ITEMS; j++) ones += (k[j] >> b) & 1u;
    unsigned int totalOnes;
    unsigned int before = vf_block_scan(ones, scratch, &totalOnes);
    const unsigned int zeros = SORT_TILE - totalOnes;
    for (int j = 0; j < SORT_ITEMS; j++) {
      const unsigned int i = (unsigned int)(t * SORT_ITEMS + j);
      const unsigned int bit = (k[j] >> b) & 1u;
      const unsigned int dst = bit ? zeros + before : i - before;
      before += bit;
      tileKeys[dst] = k[j];
      tileVals[dst] = v[j];
    }
    __syncthreads();
    for (int j = 0; j < SORT_ITEMS; j++) {
      k[j] = tileKeys[t * SORT_ITEMS + j];
      v[j] = tileVals[t * SORT_ITEMS + j];
    }
    __syncthreads();
  }
  counts[t] = 0u;
  __syncthreads();
  for (int j = 0; j < SORT_ITEMS; j++) {
    if (t * SORT_ITEMS + j < valid) atomicAdd(&counts[(k[j] >> shift) & 0xffu], 1u);
  }
  __syncthreads();
  hist[t * tiles + blockIdx.x] = counts[t];
  for (int j = 0; j < SORT_ITEMS; j++) {
    const int i = t * SORT_ITEMS + j;
    if (i < valid) {
      keys[base + i] = k[j];
      vals[base + i] = v[j];
    }
  }
}

// Block b writes its sorted tile to the places the scan gave: a key's place is its digit's first
// place for this tile plus its rank among the tile's keys of that digit.
VF_GLOBAL void vf_scatter_tile(const unsigned int* keys, const int* vals, int n, int shift, int tiles, const unsigned int* hist,
                               const unsigned int* offsets, unsigned int* keysOut, int* valsOut) {
  VF_SHARED(unsigned int, scratch, SORT_THREADS);
  VF_SHARED(unsigned int, firstOf, 256);
  const int t = threadIdx.x;
  const int base = blockIdx.x * SORT_TILE;
  const int valid = n - base < SORT_TILE ? n - base : SORT_TILE;
  unsigned int total;
  firstOf[t] = vf_block_scan(hist[t * tiles + blockIdx.x], scratch, &total);
  __syncthreads();
  for (int j = 0; j < SORT_ITEMS; j++) {
    const int i = t * SORT_ITEMS + j;
    if (i >= valid) continue;
    const unsigned int k = keys[base + i];
    const unsigned int d = (k >> shift) & 0xffu;
    const unsigned int dst = offsets[d * tiles + blockIdx.x] + ((unsigned int)i - firstOf[d]);
    keysOut[dst] = k;
    valsOut[dst] = vals[base + i];
  }
}

// Exclusive scan, first level: block b scans in[b * SORT_TILE, ...) into out (in place allowed)
// and writes its total to sums[b].
VF_GLOBAL void vf_scan_block(const unsigned int* in, unsigned int* out, int len, unsigned int* sums) {
  VF_SHARED(unsigned int, scratch, SORT_THREADS);
  const int base = blockIdx.x * SORT_TILE + threadIdx.x * SORT_ITEMS;
  unsigned int x[SORT_ITEMS];
  unsigned int own = 0u;
  for (int j = 0; j < SORT_ITEMS; j++) {
    x[j] = base + j < len ? in[base + j] : 0u;
    own += x[j];
  }
  unsigned int total;
  unsigned int run = vf_block_scan(own, scratch, &total);
  for (int j = 0; j < SORT_ITEMS; j++) {
    if (base + j < len) out[base + j] = run;
    run += x[j];
  }
  if (threadIdx.x == 0) sums[blockIdx.x] = total;
}

// Exclusive scan, back-propagation: every element adds the scanned total of the tiles before it.
VF_GLOBAL void vf_scan_add(unsigned int* data, int len, const unsigned int* offsets) {
  const int i = vf_tid();
  if (i >= len) return;
  data[i] += offsets[i / SORT_TILE];
}

VF_GLOBAL void vf_gather(const float* pos, const float* charge, const int* vals, int n, float4* sorted) {
  int t = vf_tid();
  if (t >= n) return;
  int s = vals[t];
  sorted[t] = make_float4(pos[3 * s], pos[3 * s + 1], pos[3 * s + 2], charge[s]);
}

// ---- the tree ---------------------------------------------------------------------------------------

// Length of the common prefix of the codes at i and j (ties broken by index), -1 outside [0, n).
VF_DEVICE int vf_delta(const unsigned int* keys, int n, int i, int j) {
  if (j < 0 || j >= n) return -1;
  unsigned int a = keys[i], b = keys[j];
  if (a == b) return 32 + __clz((unsigned int)(i ^ j));
  return __clz(a ^ b);
}

// Karras 2012, one thread per internal node i in [0, n - 1).
VF_GLOBAL void vf_build_tree(const unsigned int* keys, int n, int* left, int* right, int* parentInternal, int* parentLeaf) {
  int i = vf_tid();
  if (i >= n - 1) return;
  int d = vf_delta(keys, n, i, i + 1) - vf_delta(keys, n, i, i - 1) >= 0 ? 1 : -1;
  int dmin = vf_delta(keys, n, i, i - d);
  int lmax = 2;
  while (vf_delta(keys, n, i, i + lmax * d) > dmin) lmax *= 2;
  int l = 0;
  for (int t = lmax / 2; t >= 1; t /= 2)
    if (vf_delta(keys, n, i, i + (l + t) * d) > dmin) l += t;
  int j = i + l * d;
  int dnode = vf_delta(keys, n, i, j);
  int s = 0;
  int div = 2;
  int t;
  do {
    t = (l + div - 1) / div;
    if (vf_delta(keys, n, i, i + (s + t) * d) > dnode) s += t;
    div *= 2;
  } while (t > 1);
  int gamma = i + s * d + (d < 0 ? -1 : 0);
  int lo = i < j ? i : j;
  int hi = i < j ? j : i;
  int l_child = lo == gamma ? ~gamma : gamma;
  int r_child = hi == gamma + 1 ? ~(gamma + 1) : gamma + 1;
  left[i] = l_child;
  right[i] = r_child;
  if (l_child < 0) parentLeaf[~l_child] = i; else parentInternal[l_child] = i;
  if (r_child < 0) parentLeaf[~r_child] = i; else parentInternal[r_child] = i;
  if (i == 0) parentInternal[0] = -1;
}

VF_DEVICE void vf_child(int c, const float4* sorted, const float4* com, const float4* bmin, const float4* bmax,
                        float4* c_com, float4* c_min, float4* c_max) {
  if (c < 0) {
    float4 p = sorted[~c];
    *c_com = p;
    *c_min = make_float4(p.x, p.y, p.z, 0.0f);
    *c_max = make_float4(p.x, p.y, p.z, 0.0f);
  } else {
    // Written by another thread of this launch: read around the (possibly stale) L1 cache.
    *c_com = __ldcg(&com[c]);
    *c_min = __ldcg(&bmin[c]);
    *c_max = __ldcg(&bmax[c]);
  }
}

// Bottom-up: each leaf's thread climbs; at each node the first arrival stops, the second (both
// children done) computes the node and climbs on. com = (centre of charge, total charge);
// bmin.w = size (largest extent of the node's bounding box).
VF_GLOBAL void vf_aggregate(const float4* sorted, int n, const int* left, const int* right, const int* parentInternal,
                            const int* parentLeaf, int* flags, float4* com, float4* bmin, float4* bmax) {
  int t = vf_tid();
  if (t >= n || n < 2) return;
  int node = parentLeaf[t];
  while (node >= 0) {
    __threadfence();
    if (atomicAdd(&flags[node], 1) == 0) return;
    float4 ac, an, ax, bc, bn, bx;
    vf_child(left[node], sorted, com, bmin, bmax, &ac, &an, &ax);
    vf_child(right[node], sorted, com, bmin, bmax, &bc, &bn, &bx);
    float q = ac.w + bc.w;
    float3 mn = make_float3(fminf(an.x, bn.x), fminf(an.y, bn.y), fminf(an.z, bn.z));
    float3 mx = make_float3(fmaxf(ax.x, bx.x), fmaxf(ax.y, bx.y), fmaxf(ax.z, bx.z));
    float4 c;
    if (q > 0.0f) {
      c = make_float4((ac.x * ac.w + bc.x * bc.w) / q, (ac.y * ac.w + bc.y * bc.w) / q, (ac.z * ac.w + bc.z * bc.w) / q, q);
    } else {
      c = make_float4(0.5f * (mn.x + mx.x), 0.5f * (mn.y + mx.y), 0.5f * (mn.z + mx.z), 0.0f);
    }
    float size = fmaxf(fmaxf(mx.x - mn.x, mx.y - mn.y), mx.z - mn.z);
    com[node] = c;
    bmin[node] = make_float4(mn.x, mn.y, mn.z, size);
    bmax[node] = make_float4(mx.x, mx.y, mx.z, 0.0f);
    node = parentInternal[node];
  }
}

// ---- forces -------------------------------------------------------------------------------------

struct VfForceParams {
  float repulsion;
  float theta;
  float softening;
  float boundRadius;
  float boundStiffness;
};

VF_DEVICE void vf_pair(float xi, float yi, float zi, float xj, float yj, float zj, float qj, int si, int sj, float eps,
                       float* fx, float* fy, float* fz) {
  float dx = xi - xj, dy = yi - yj, dz = zi - zj;
  float d2 = dx * dx + dy * dy + dz * dz;
  if (d2 == 0.0f) {
    vf_coincident_dir(si, sj, &dx, &dy, &dz);
    dx *= eps; dy *= eps; dz *= eps;
    d2 = dx * dx + dy * dy + dz * dz;
  }
  float inv = rsqrtf(d2 + eps * eps);
  float w = qj * inv * inv * inv;
  *fx += dx * w; *fy += dy * w; *fz += dz * w;
}

// One thread per sorted position t (neighbours in a warp are neighbours in space): the repulsion on
// slot vals[t] by Barnes-Hut (a node is one body when size < theta * distance from the point to
// the node's box), then springs, gravity, anchor and bound; the total goes to force[slot].
VF_GLOBAL void vf_forces(const float4* sorted, const int* vals, int n, const int* left, const int* right,
                         const float4* com, const float4* bmin, const float4* bmax,
                         const float* pos, const float* gravity, const float* mass, const float* anchor,
                         const int* springStart, const int* springTo, const float* springK, const float* springLo,
                         const float* springHi, VfForceParams p, float* force) {
  int t = vf_tid();
  if (t >= n) return;
  float4 me = sorted[t];
  int slot = vals[t];
  float eps = p.softening;
  float theta2 = p.theta * p.theta;
  float fx = 0.0f, fy = 0.0f, fz = 0.0f;
  if (n > 1) {
    int stack[VF_STACK];
    int sp = 0;
    stack[sp++] = 0;
    while (sp > 0) {
      int c = stack[--sp];
      if (c < 0) {
        int u = ~c;
        if (u != t) {
          float4 o = sorted[u];
          vf_pair(me.x, me.y, me.z, o.x, o.y, o.z, o.w, slot, vals[u], eps, &fx, &fy, &fz);
        }
        continue;
      }
      float4 cc = com[c];
      if (cc.w == 0.0f) continue;
      float4 mn = bmin[c];
      float4 mx = bmax[c];
      float dx = me.x - cc.x, dy = me.y - cc.y, dz = me.z - cc.z;
      float d2 = dx * dx + dy * dy + dz * dz;
      // Distance from the point to the node's box (0 inside it): the node is one body when its size
      // is below theta times that distance, so every member is at least that far (as the CPU's
      // group criterion guarantees for every member of a group).
      float bx = fmaxf(0.0f, fmaxf(mn.x - me.x, me.x - mx.x));
      float by = fmaxf(0.0f, fmaxf(mn.y - me.y, me.y - mx.y));
      float bz = fmaxf(0.0f, fmaxf(mn.z - me.z, me.z - mx.z));
      float box2 = bx * bx + by * by + bz * bz;
      if (mn.w * mn.w < theta2 * box2 || sp + 2 > VF_STACK) {
        float inv = rsqrtf(d2 + eps * eps);
        float w = cc.w * inv * inv * inv;
        fx += dx * w; fy += dy * w; fz += dz * w;
      } else {
        stack[sp++] = left[c];
        stack[sp++] = right[c];
      }
    }
    float kq = p.repulsion * me.w;
    fx *= kq; fy *= kq; fz *= kq;
  }
  float xi = pos[3 * slot], yi = pos[3 * slot + 1], zi = pos[3 * slot + 2];
  for (int e = springStart[slot]; e < springStart[slot + 1]; e++) {
    int j = springTo[e];
    float dx = pos[3 * j] - xi, dy = pos[3 * j + 1] - yi, dz = pos[3 * j + 2] - zi;
    float r = sqrtf(dx * dx + dy * dy + dz * dz);
    if (r == 0.0f) continue;
    float hi = springHi[e], lo = springLo[e];
    float stretch = r > hi ? r - hi : (r < lo ? r - lo : 0.0f);
    if (stretch == 0.0f) continue;
    float w = springK[e] * stretch / r;
    fx += dx * w; fy += dy * w; fz += dz * w;
  }
  float g = gravity[slot];
  fx -= g * xi; fy -= g * yi; fz -= g * zi;
  float ak = anchor[4 * slot + 3];
  if (ak > 0.0f) {
    fx -= ak * (xi - anchor[4 * slot]);
    fy -= ak * (yi - anchor[4 * slot + 1]);
    fz -= ak * (zi - anchor[4 * slot + 2]);
  }
  if (p.boundRadius > 0.0f) {
    float r = sqrtf(xi * xi + yi * yi + zi * zi);
    if (r > p.boundRadius) {
      float w = p.boundStiffness * mass[slot] * (r - p.boundRadius) / r;
      fx -= xi * w; fy -= yi * w; fz -= zi * w;
    }
  }
  force[3 * slot] = fx;
  force[3 * slot + 1] = fy;
  force[3 * slot + 2] = fz;
}

struct VfIntegrateParams {
  float timeStep;
  float keep;  // 1 - damping
  float maxForce;
  float maxVelocity;
  float alpha;
};

// Thread t of T integrates slots t, t + T, ... and leaves (max v^2, sum v^2) in stats[2t..2t+1].
VF_GLOBAL void vf_integrate(float* pos, float* vel, const float* force, const float* mass, const unsigned char* pinned,
                            int n, int T, VfIntegrateParams p, float* stats) {
  int t = vf_tid();
  if (t >= T) return;
  float maxV2 = 0.0f, sumV2 = 0.0f;
  for (int i = t; i < n; i += T) {
    int k = 3 * i;
    if (pinned[i]) {
      vel[k] = 0.0f; vel[k + 1] = 0.0f; vel[k + 2] = 0.0f;
      continue;
    }
    float fx = force[k], fy = force[k + 1], fz = force[k + 2];
    float f2 = fx * fx + fy * fy + fz * fz;
    if (!(f2 <= p.maxForce * p.maxForce)) {
      float s = isfinite(f2) ? p.maxForce * rsqrtf(f2) : 0.0f;
      fx = s == 0.0f ? 0.0f : fx * s;
      fy = s == 0.0f ? 0.0f : fy * s;
      fz = s == 0.0f ? 0.0f : fz * s;
    }
    float a = p.alpha * p.timeStep / mass[i];
    float vx = (vel[k] + fx * a) * p.keep;
    float vy = (vel[k + 1] + fy * a) * p.keep;
    float vz = (vel[k + 2] + fz * a) * p.keep;
    float v2 = vx * vx + vy * vy + vz * vz;
    if (!(v2 <= p.maxVelocity * p.maxVelocity)) {
      float s = isfinite(v2) ? p.maxVelocity * rsqrtf(v2) : 0.0f;
      vx = s == 0.0f ? 0.0f : vx * s;
      vy = s == 0.0f ? 0.0f : vy * s;
      vz = s == 0.0f ? 0.0f : vz * s;
      v2 = vx * vx + vy * vy + vz * vz;
    }
    float x = pos[k] + vx * p.timeStep;
    float y = pos[k + 1] + vy * p.timeStep;
    float z = pos[k + 2] + vz * p.timeStep;
    if (isfinite(x) && isfinite(y) && isfinite(z) && fabsf(x) < 1e30f && fabsf(y) < 1e30f && fabsf(z) < 1e30f) {
      pos[k] = x; pos[k + 1] = y; pos[k + 2] = z;
      vel[k] = vx; vel[k + 1] = vy; vel[k + 2] = vz;
    } else {
      vel[k] = 0.0f; vel[k + 1] = 0.0f; vel[k + 2] = 0.0f;
      v2 = 0.0f;
    }
    maxV2 = fmaxf(maxV2, v2);
    sumV2 += v2;
  }
  stats[2 * t] = maxV2;
  stats[2 * t + 1] = sumV2;
}

// Rows of 2 (max, sum); thread g reduces rows [g * per, (g + 1) * per).
VF_GLOBAL void vf_reduce_stats(const float* in, int rows, int per, float* out) {
  int g = vf_tid();
  int start = g * per;
  if (start >= rows) return;
  int end = start + per < rows ? start + per : rows;
  float mx = 0.0f, sum = 0.0f;
  for (int k = start; k < end; k++) {
    mx = fmaxf(mx, in[2 * k]);
    sum += in[2 * k + 1];
  }
  out[2 * g] = mx;
  out[2 * g + 1] = sum;
}
