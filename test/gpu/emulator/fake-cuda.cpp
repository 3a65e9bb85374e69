// A stand-in libcuda for machines without a GPU: the driver API calls the loader uses, backed by
// host memory, with the kernels of src/gpu/*.cu compiled as C++ (cuda-shim.h). It lets the tests
// drive the real CUDA engines (TypeScript loader, marshalling, streams, launch sequences, kernels)
// on the CPU, and it is built to fail where a GPU would:
//   - threads are fibers run in a seeded random order; a block's threads (and those of the blocks
//     beside it) switch at barriers and, with a set probability, before atomics and fences, so
//     that a kernel that is only right in one order gives wrong answers; a __syncthreads that not
//     every thread of a block reaches fails the launch;
//   - device memory sits at the end of a mapping followed by 4 MiB of inaccessible pages, with
//     canary bytes around it: a kernel reading or writing outside its allocation is stopped
//     (SIGSEGV caught around the launch) or caught when the launch ends, and the context then
//     fails every call with CUDA_ERROR_ILLEGAL_ADDRESS until the primary context is reset, as a
//     real one does after such a fault;
//   - streams queue their work: launches, copies into pinned memory and memsets run when the
//     host synchronises or an event recorded after them is queried, and cuEventQuery reports
//     CUDA_ERROR_NOT_READY a random number of times first; copies to or from pageable memory
//     happen at the call, as they do on a real driver; the legacy synchronous copies do not wait
//     for non-blocking streams;
//   - modules are checked: a fatbin's cubin is used when its architecture fits the emulated
//     compute capability and the emulated driver is as new as the toolkit that built it,
//     otherwise its PTX when the driver knows that PTX ISA (CUDA_ERROR_UNSUPPORTED_PTX_VERSION,
//     with a JIT log, when it does not); a kernel must be named in the image it is taken from.
//   build: test/gpu/fake-driver.ts (g++ -O2 -std=c++17 -shared -fPIC, without _FORTIFY_SOURCE)
//   test hooks: fake_cuda_configure, fake_cuda_set_device, fake_cuda_fail_launches, and counters
//   (fake_cuda_launches, fake_cuda_live_allocations, fake_cuda_live_pinned, fake_cuda_resets,
//   fake_cuda_last_error, fake_cuda_last_module).
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "cuda-shim.h"

#include "../../../src/gpu/physics.cu"
#include "../../../src/gpu/sssp.cu"
#include "test-kernels.cu"

typedef unsigned long long CUdeviceptr;

enum {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_INVALID_CONTEXT = 201,
  CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
  CUDA_ERROR_INVALID_PTX = 218,
  CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
  CUDA_ERROR_INVALID_HANDLE = 400,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_NOT_READY = 600,
  CUDA_ERROR_ILLEGAL_ADDRESS = 700,
  CUDA_ERROR_LAUNCH_FAILED = 719,
};

// ---- configuration and randomness ------------------------------------------------------------

namespace {

struct Config {
  unsigned long long seed = 1;
  double yieldProbability = 0.05;
  unsigned int concurrentBlocks = 2;
  unsigned int maxNotReady = 3;
  int ccMajor = 9;
  int ccMinor = 0;
  int driverVersion = 13000;
  int multiprocessors = 1;
  /** The CUDA version of the toolkit that built the cubins this emulator is given. */
  int cubinToolkit = 13000;
} config;

unsigned long long rngState = 1;

unsigned long long next() {
  // xorshift64*
  rngState ^= rngState >> 12;
  rngState ^= rngState << 25;
  rngState ^= rngState >> 27;
  return rngState * 2685821657736338717ULL;
}
double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
unsigned int below(unsigned int n) { return n == 0 ? 0 : static_cast<unsigned int>(next() % n); }

const std::size_t PAGE = 4096;
const std::size_t GUARD_AFTER = std::size_t(4) << 20;
const std::size_t CANARY_BEFORE = 64;
const unsigned char CANARY = 0xA5;

std::size_t roundUp(std::size_t v, std::size_t to) { return (v + to - 1) / to * to; }

// ---- guarded memory ----------------------------------------------------------------------------

/** A mapping whose usable bytes end `slack` bytes before a page boundary and its inaccessible guard. */
struct Region {
  unsigned char* base;
  std::size_t total;
  unsigned char* data;
  std::size_t bytes;
  std::size_t slack;
};

Region mapRegion(std::size_t bytes, std::size_t align) {
  const std::size_t dataBytes = roundUp(std::max<std::size_t>(bytes, 1), align);
  const std::size_t span = roundUp(dataBytes + CANARY_BEFORE, PAGE);
  const std::size_t total = PAGE + span + GUARD_AFTER;
  void* base = mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return Region{nullptr, 0, nullptr, 0, 0};
  unsigned char* b = static_cast<unsigned char*>(base);
  if (mprotect(b + PAGE, span, PROT_READ | PROT_WRITE) != 0) {
    munmap(base, total);
    return Region{nullptr, 0, nullptr, 0, 0};
  }
  unsigned char* data = b + PAGE + span - dataBytes;
  std::memset(data - CANARY_BEFORE, CANARY, CANARY_BEFORE);
  std::memset(data + bytes, CANARY, dataBytes - bytes);
  return Region{b, total, data, bytes, dataBytes - bytes};
}

void unmapRegion(const Region& r) {
  if (r.base != nullptr) munmap(r.base, r.total);
}

/** Which canary of the region a kernel overwrote, if any. */
std::string damagedCanary(const Region& r) {
  for (std::size_t i = 0; i < CANARY_BEFORE; i++) {
    if (r.data[-static_cast<std::ptrdiff_t>(CANARY_BEFORE) + static_cast<std::ptrdiff_t>(i)] != CANARY) {
      return "wrote " + std::to_string(CANARY_BEFORE - i) + " bytes before the start of a " + std::to_string(r.bytes) + "-byte allocation";
    }
  }
  for (std::size_t i = r.slack; i-- > 0;) {
    if (r.data[r.bytes + i] != CANARY) return "wrote " + std::to_string(i + 1) + " bytes past the end of a " + std::to_string(r.bytes) + "-byte allocation";
  }
  return "";
}

std::map<CUdeviceptr, Region> allocations;
std::map<unsigned char*, Region> pinned;

bool insideDevice(CUdeviceptr p, std::size_t bytes) {
  auto it = allocations.upper_bound(p);
  if (it == allocations.begin()) return false;
  --it;
  return p >= it->first && p + bytes <= it->first + it->second.bytes;
}

bool insidePinned(const void* p, std::size_t bytes) {
  const unsigned char* q = static_cast<const unsigned char*>(p);
  auto it = pinned.upper_bound(const_cast<unsigned char*>(q));
  if (it == pinned.begin()) return false;
  --it;
  return q >= it->second.data && q + bytes <= it->second.data + it->second.bytes;
}

/** Where an address lies relative to the device allocations, for a fault report. */
std::string describeAddress(const void* addr) {
  const unsigned char* a = static_cast<const unsigned char*>(addr);
  for (const auto& [ptr, r] : allocations) {
    const unsigned char* end = r.data + r.bytes;
    if (a >= end && a < r.base + r.total) return std::to_string(a - end) + " bytes past the end of a " + std::to_string(r.bytes) + "-byte allocation";
    if (a >= r.base && a < r.data) return std::to_string(r.data - a) + " bytes before the start of a " + std::to_string(r.bytes) + "-byte allocation";
  }
  return "an address outside every allocation";
}

// ---- the context's state -----------------------------------------------------------------------

int sticky = CUDA_SUCCESS;
std::string lastError;
std::string lastModule;
bool initialised = false;
int retains = 0;
int resets = 0;
long long launches = 0;
int failLaunches = 0;
/** Bumped by every reset: handles from before it are invalid. */
unsigned int generation = 1;
int contextToken = 1;

void fail(int code, const std::string& detail) {
  if (sticky == CUDA_SUCCESS) sticky = code;
  lastError = detail;
}

// ---- kernels -----------------------------------------------------------------------------------

struct Body {
  virtual ~Body() = default;
  virtual void runThread() = 0;
};

template <typename... A>
struct BodyOf : Body {
  void (*kernel)(A...);
  std::tuple<std::decay_t<A>...> args;
  void runThread() override { std::apply(kernel, args); }
};

template <typename... A, std::size_t... I>
std::unique_ptr<Body> captureImpl(void (*k)(A...), void** params, std::index_sequence<I...>) {
  auto body = std::make_unique<BodyOf<A...>>();
  body->kernel = k;
  body->args = std::tuple<std::decay_t<A>...>(*static_cast<std::decay_t<A>*>(params[I])...);
  return body;
}

template <typename... A>
std::unique_ptr<Body> capture(void (*k)(A...), void** params) {
  return captureImpl(k, params, std::index_sequence_for<A...>{});
}

struct KernelInfo {
  const char* name;
  std::unique_ptr<Body> (*capture)(void** params);
};

#define KERNEL(name) KernelInfo{#name, [](void** p) { return capture(name, p); }}

const std::vector<KernelInfo>& kernels() {
  static const std::vector<KernelInfo> table = {
      KERNEL(vf_merge_carry),    KERNEL(vf_merge_host),      KERNEL(vf_bounds_partial),  KERNEL(vf_reduce_bounds), KERNEL(vf_morton),
      KERNEL(vf_sort_tile),      KERNEL(vf_scatter_tile),    KERNEL(vf_scan_block),    KERNEL(vf_scan_add),
      KERNEL(vf_gather),         KERNEL(vf_build_tree),      KERNEL(vf_aggregate),     KERNEL(vf_forces),
      KERNEL(vf_integrate),      KERNEL(vf_reduce_stats),    KERNEL(sssp_init),        KERNEL(sssp_start),
      KERNEL(sssp_round),        KERNEL(sssp_parents_tight), KERNEL(sssp_parents_missing), KERNEL(sssp_bfs_start),
      KERNEL(sssp_bfs_round),    KERNEL(vf_test_write),      KERNEL(vf_test_race),     KERNEL(vf_test_atomic),
      KERNEL(vf_test_divergent_barrier), KERNEL(vf_test_barrier),
  };
  return table;
}

// ---- fibers ------------------------------------------------------------------------------------

const std::size_t STACK_BYTES = 64 * 1024;
const std::size_t SHARED_BYTES = 48 * 1024;

enum class State { Runnable, Barrier, Done };

struct Fiber {
  vf_emu::ThreadId id;
  unsigned int slot;  // which resident block
  State state;
  std::size_t sharedCursor;
  bool started;
  unsigned char* stackTop;
#if defined(__x86_64__)
  void* sp;
#else
  ucontext_t context;
#endif
};

struct Resident {
  unsigned int live;
  unsigned int waiting;
  unsigned int exited;
  std::vector<unsigned int> members;
  Region shared;
  std::size_t sharedUsed;
};

#if defined(__x86_64__)
extern "C" void vf_fiber_switch(void** from, void* to);
asm(R"(
  .text
  .globl vf_fiber_switch
  .hidden vf_fiber_switch
  .type vf_fiber_switch,@function
vf_fiber_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size vf_fiber_switch,.-vf_fiber_switch
)");
void* schedulerSp = nullptr;
#else
ucontext_t schedulerContext;
#endif

std::vector<Fiber> fibers;
std::vector<Region> stacks;
std::vector<Resident> residents;
Fiber* running = nullptr;
Body* body = nullptr;
const KernelInfo* runningKernel = nullptr;

void toScheduler() {
  Fiber* f = running;
#if defined(__x86_64__)
  vf_fiber_switch(&f->sp, schedulerSp);
#else
  swapcontext(&f->context, &schedulerContext);
#endif
}

[[noreturn]] void fiberMain() {
  running->started = true;
  body->runThread();
  running->state = State::Done;
  toScheduler();
  std::abort();  // a finished fiber is never resumed
}

void enter(Fiber* f) {
  running = f;
#if defined(__x86_64__)
  if (!f->started && f->sp == nullptr) {
    // A new stack: six callee-saved registers, then fiberMain as the return address, placed so
    // that fiberMain starts with the stack aligned as after a call.
    auto** slot = reinterpret_cast<void**>(f->stackTop - 16);
    *slot = reinterpret_cast<void*>(&fiberMain);
    f->sp = reinterpret_cast<unsigned char*>(slot) - 48;
    std::memset(f->sp, 0, 48);
  }
  vf_fiber_switch(&schedulerSp, f->sp);
#else
  if (!f->started && f->context.uc_stack.ss_sp == nullptr) {
    getcontext(&f->context);
    f->context.uc_stack.ss_sp = f->stackTop - STACK_BYTES;
    f->context.uc_stack.ss_size = STACK_BYTES;
    f->context.uc_link = nullptr;
    makecontext(&f->context, reinterpret_cast<void (*)()>(&fiberMain), 0);
  }
  swapcontext(&schedulerContext, &f->context);
#endif
  running = nullptr;
}

// ---- faults inside a launch --------------------------------------------------------------------

thread_local bool inKernel = false;
sigjmp_buf launchJump;
struct sigaction previousSegv;
struct sigaction previousBus;
const void* faultAddress = nullptr;
bool faultWrite = false;
std::vector<unsigned char> altStack(64 * 1024);

void onFault(int sig, siginfo_t* info, void* uctx) {
  if (!inKernel) {
    // Not ours (another thread, e.g. WebAssembly's bounds traps): hand it on.
    const struct sigaction& prev = sig == SIGBUS ? previousBus : previousSegv;
    if (prev.sa_flags & SA_SIGINFO) {
      prev.sa_sigaction(sig, info, uctx);
    } else if (prev.sa_handler == SIG_DFL || prev.sa_handler == SIG_IGN) {
      sigaction(sig, &prev, nullptr);
    } else {
      prev.sa_handler(sig);
    }
    return;
  }
  faultAddress = info->si_addr;
#if defined(__x86_64__)
  faultWrite = (static_cast<ucontext_t*>(uctx)->uc_mcontext.gregs[REG_ERR] & 2) != 0;
#endif
  inKernel = false;
  siglongjmp(launchJump, 1);
}

// ---- running a launch ---------------------------------------------------------------------------

// A fault leaves the launch by siglongjmp, past the frames below: they keep nothing that needs
// destroying (the vectors they use live here).
std::vector<unsigned int> runnable;
std::vector<unsigned int> waveBlocks;

bool scheduleWave(const std::vector<unsigned int>& blocks, unsigned int blockDim) {
  const std::size_t count = blocks.size() * blockDim;
  while (stacks.size() < count) {
    Region r = mapRegion(STACK_BYTES, 16);
    if (r.base == nullptr) {
      fail(CUDA_ERROR_LAUNCH_FAILED, "the emulator could not map a thread stack");
      return false;
    }
    stacks.push_back(r);
  }
  while (residents.size() < blocks.size()) {
    Resident res{};
    res.shared = mapRegion(SHARED_BYTES, PAGE);
    residents.push_back(res);
  }
  fibers.assign(count, Fiber{});
  runnable.clear();
  for (unsigned int s = 0; s < blocks.size(); s++) {
    Resident& res = residents[s];
    res.live = blockDim;
    res.waiting = 0;
    res.exited = 0;
    res.members.clear();
    // Shared memory starts as garbage, as it does on a GPU.
    std::memset(res.shared.data, 0xff, std::max<std::size_t>(res.sharedUsed, 64));
    res.sharedUsed = 0;
    for (unsigned int t = 0; t < blockDim; t++) {
      const unsigned int i = s * blockDim + t;
      Fiber& f = fibers[i];
      f.id.block = uint3{blocks[s], 0, 0};
      f.id.thread = uint3{t, 0, 0};
      f.slot = s;
      f.state = State::Runnable;
      f.stackTop = stacks[i].data + STACK_BYTES;
      res.members.push_back(i);
      runnable.push_back(i);
    }
  }
  while (!runnable.empty()) {
    const unsigned int pick = below(static_cast<unsigned int>(runnable.size()));
    const unsigned int i = runnable[pick];
    runnable[pick] = runnable.back();
    runnable.pop_back();
    Fiber& f = fibers[i];
    enter(&f);
    Resident& res = residents[f.slot];
    if (f.state == State::Runnable) {
      runnable.push_back(i);
      continue;
    }
    if (f.state == State::Done) {
      res.live--;
      res.exited++;
      if (res.waiting > 0) {
        fail(CUDA_ERROR_LAUNCH_FAILED, std::string("kernel ") + runningKernel->name + ": a thread of block " + std::to_string(f.id.block.x) +
                                           " returned while others waited at __syncthreads()");
        return false;
      }
      continue;
    }
    res.waiting++;
    if (res.waiting < res.live) continue;
    if (res.exited > 0) {
      fail(CUDA_ERROR_LAUNCH_FAILED, std::string("kernel ") + runningKernel->name + ": __syncthreads() in block " + std::to_string(f.id.block.x) +
                                         " after " + std::to_string(res.exited) + " of its threads returned");
      return false;
    }
    res.waiting = 0;
    for (unsigned int m : res.members) {
      if (fibers[m].state == State::Barrier) {
        fibers[m].state = State::Runnable;
        runnable.push_back(m);
      }
    }
  }
  return true;
}

void runLaunch(const KernelInfo* kernel, Body* launchBody, unsigned int grid, unsigned int block) {
  vf_emu::gridDim = uint3{grid, 1, 1};
  vf_emu::blockDim = uint3{block, 1, 1};
  std::vector<unsigned int> order(grid);
  for (unsigned int b = 0; b < grid; b++) order[b] = b;
  for (unsigned int b = grid; b > 1; b--) std::swap(order[b - 1], order[below(b)]);
  body = launchBody;
  runningKernel = kernel;
  stack_t alt{};
  alt.ss_sp = altStack.data();
  alt.ss_size = altStack.size();
  stack_t previousAlt{};
  sigaltstack(&alt, &previousAlt);
  struct sigaction action {};
  action.sa_sigaction = onFault;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  sigaction(SIGSEGV, &action, &previousSegv);
  sigaction(SIGBUS, &action, &previousBus);
  switch (sigsetjmp(launchJump, 1)) {
    case 0: {
      inKernel = true;
      const unsigned int wave = std::max(1u, config.concurrentBlocks);
      for (unsigned int at = 0; at < grid && sticky == CUDA_SUCCESS; at += wave) {
        waveBlocks.assign(order.begin() + at, order.begin() + std::min(grid, at + wave));
        if (!scheduleWave(waveBlocks, block)) break;
      }
      inKernel = false;
      break;
    }
    case 1: {
      // A SIGSEGV or SIGBUS in a kernel: the address tells which allocation it missed.
      const Fiber* f = running;
      std::string where = f == nullptr ? std::string("") : " (block " + std::to_string(f->id.block.x) + ", thread " + std::to_string(f->id.thread.x) + ")";
      fail(CUDA_ERROR_ILLEGAL_ADDRESS, std::string("kernel ") + kernel->name + where + (faultWrite ? " wrote " : " read ") + describeAddress(faultAddress));
      running = nullptr;
      break;
    }
    default:
      // Shared memory overflow: already reported.
      running = nullptr;
      break;
  }
  sigaction(SIGSEGV, &previousSegv, nullptr);
  sigaction(SIGBUS, &previousBus, nullptr);
  sigaltstack(&previousAlt, nullptr);
  body = nullptr;
  if (sticky != CUDA_SUCCESS) return;
  for (const auto& [ptr, r] : allocations) {
    std::string damage = damagedCanary(r);
    if (!damage.empty()) {
      fail(CUDA_ERROR_ILLEGAL_ADDRESS, std::string("kernel ") + kernel->name + " " + damage);
      return;
    }
  }
}

// ---- streams, operations, events ---------------------------------------------------------------

struct Event;

struct Op {
  enum Kind { Launch, CopyHtoD, CopyDtoH, Memset, Mark } kind;
  explicit Op(Kind k) : kind(k) {}
  const KernelInfo* kernel = nullptr;
  std::unique_ptr<Body> launchBody;
  unsigned int grid = 0, block = 0;
  CUdeviceptr device = 0;
  unsigned char* host = nullptr;
  std::size_t bytes = 0;
  unsigned int value = 0;
  Event* event = nullptr;
  /** Which record of `event` this mark is: an event recorded again waits for its latest record. */
  unsigned long long record = 0;
};

struct Stream {
  unsigned int generation;
  std::deque<Op> queue;
};

struct Event {
  unsigned int generation;
  Stream* stream = nullptr;
  unsigned long long recorded = 0;
  unsigned long long reached = 0;
  unsigned int notReady = 0;
  bool pending() const { return reached < recorded; }
};

std::set<Stream*> streams;
std::set<Event*> events;

void execute(Op& op) {
  if (sticky != CUDA_SUCCESS) return;
  switch (op.kind) {
    case Op::Launch:
      runLaunch(op.kernel, op.launchBody.get(), op.grid, op.block);
      break;
    case Op::CopyHtoD:
      std::memcpy(reinterpret_cast<void*>(op.device), op.host, op.bytes);
      break;
    case Op::CopyDtoH:
      std::memcpy(op.host, reinterpret_cast<void*>(op.device), op.bytes);
      break;
    case Op::Memset: {
      unsigned int* p = reinterpret_cast<unsigned int*>(op.device);
      for (std::size_t i = 0; i < op.bytes / 4; i++) p[i] = op.value;
      break;
    }
    case Op::Mark:
      op.event->reached = std::max(op.event->reached, op.record);
      break;
  }
}

/** Runs `s`'s queue, up to and including the latest record of `until` when given. */
void flush(Stream* s, Event* until = nullptr) {
  while (!s->queue.empty()) {
    Op op = std::move(s->queue.front());
    s->queue.pop_front();
    const bool stop = op.kind == Op::Mark && op.event == until && op.record == until->recorded;
    execute(op);
    // A mark is passed even after a fault (the work before it has ended, badly).
    if (op.kind == Op::Mark) op.event->reached = std::max(op.event->reached, op.record);
    if (stop) return;
  }
}

void flushAll() {
  for (Stream* s : streams) flush(s);
}

/** Queues `op` on `stream`, or runs it now on the null stream. */
int submit(void* stream, Op op) {
  if (stream == nullptr) {
    execute(op);
    return sticky;
  }
  Stream* s = static_cast<Stream*>(stream);
  if (streams.count(s) == 0 || s->generation != generation) return CUDA_ERROR_INVALID_HANDLE;
  s->queue.push_back(std::move(op));
  return CUDA_SUCCESS;
}

// ---- modules -----------------------------------------------------------------------------------

struct Module {
  unsigned int generation;
  std::string payload;  // the image the driver chose: kernel names are looked up in it
};
struct Function {
  unsigned int generation;
  const KernelInfo* kernel;
};
std::set<Module*> modules;
std::set<Function*> functions;

/** The newest PTX ISA (major * 10 + minor) the emulated driver can compile. */
int ptxIsaOf(int driver) {
  const int major = driver / 1000;
  const int minor = (driver % 1000) / 10;
  if (major >= 13) return 90 + minor;
  if (major == 12) return minor <= 4 ? 80 + minor : minor <= 6 ? 85 : 87 + (minor - 8);
  if (major == 11) return 70 + minor;
  if (major == 10) return 63 + minor;
  return 60;
}

struct Ptx {
  int isa = 0;
  int target = 0;
};

bool parsePtx(const std::string& text, Ptx* out) {
  const std::size_t v = text.find(".version ");
  const std::size_t t = text.find(".target sm_");
  if (v == std::string::npos || t == std::string::npos) return false;
  int major = 0, minor = 0;
  if (std::sscanf(text.c_str() + v, ".version %d.%d", &major, &minor) != 2) return false;
  out->isa = major * 10 + minor;
  out->target = std::atoi(text.c_str() + t + 11);
  return out->target > 0;
}

struct Choice {
  int result;
  std::string payload;
  std::string log;
  std::string what;
};

Choice jitPtx(const std::string& text, const char* where) {
  Ptx ptx;
  if (!parsePtx(text, &ptx)) return {CUDA_ERROR_INVALID_PTX, "", "ptxas fatal   : no .version or .target directive", ""};
  const int device = config.ccMajor * 10 + config.ccMinor;
  const int isa = ptxIsaOf(config.driverVersion);
  if (ptx.isa > isa) {
    char log[200];
    std::snprintf(log, sizeof log, "ptxas application ptx input, line 1; fatal   : Unsupported .version %d.%d; current version is '%d.%d'", ptx.isa / 10,
                  ptx.isa % 10, isa / 10, isa % 10);
    return {CUDA_ERROR_UNSUPPORTED_PTX_VERSION, "", log, ""};
  }
  if (ptx.target > device) return {CUDA_ERROR_NO_BINARY_FOR_GPU, "", "PTX for sm_" + std::to_string(ptx.target) + " cannot run on sm_" + std::to_string(device), ""};
  return {CUDA_SUCCESS, text, "", std::string("PTX ") + std::to_string(ptx.isa / 10) + "." + std::to_string(ptx.isa % 10) + " for sm_" +
                                         std::to_string(ptx.target) + " JIT-compiled for sm_" + std::to_string(device) + where};
}

Choice chooseFatbin(const unsigned char* image) {
  unsigned short headerSize;
  unsigned long long fatSize;
  std::memcpy(&headerSize, image + 6, 2);
  std::memcpy(&fatSize, image + 8, 8);
  const int device = config.ccMajor * 10 + config.ccMinor;
  const unsigned char* at = image + headerSize;
  const unsigned char* end = at + fatSize;
  std::string ptx;
  int bestCubin = -1;
  std::string cubin;
  while (at + 32 <= end) {
    unsigned short kind;
    unsigned int entryHeader, arch;
    unsigned long long payloadSize, flags;
    std::memcpy(&kind, at, 2);
    std::memcpy(&entryHeader, at + 4, 4);
    std::memcpy(&payloadSize, at + 8, 8);
    std::memcpy(&arch, at + 28, 4);
    std::memcpy(&flags, at + 32, 8);
    if (flags & 0x2000) return {CUDA_ERROR_INVALID_IMAGE, "", "the emulator reads uncompressed fatbins only", ""};
    const std::string payload(reinterpret_cast<const char*>(at + entryHeader), payloadSize);
    if (kind == 2 && static_cast<int>(arch) / 10 == config.ccMajor && static_cast<int>(arch) <= device &&
        static_cast<int>(arch) > bestCubin && config.driverVersion >= config.cubinToolkit) {
      bestCubin = static_cast<int>(arch);
      cubin = payload;
    }
    if (kind == 1 && static_cast<int>(arch) <= device) ptx = payload.c_str();
    at += entryHeader + payloadSize;
  }
  if (bestCubin >= 0) return {CUDA_SUCCESS, cubin, "", "sm_" + std::to_string(bestCubin) + " cubin from a fatbin"};
  if (!ptx.empty()) return jitPtx(ptx, " from a fatbin");
  return {CUDA_ERROR_NO_BINARY_FOR_GPU, "", "no cubin or PTX in the fatbin fits sm_" + std::to_string(device), ""};
}

Choice choose(const unsigned char* image) {
  const unsigned int magic = image[0] | image[1] << 8 | image[2] << 16 | static_cast<unsigned int>(image[3]) << 24;
  if (magic == 0xBA55ED50u) return chooseFatbin(image);
  if (image[0] == 0x7f && image[1] == 'E' && image[2] == 'L' && image[3] == 'F') {
    return {CUDA_ERROR_INVALID_IMAGE, "", "the emulator loads fatbins and PTX, not bare cubins", ""};
  }
  // PTX text, NUL-terminated: the driver has no other way to know where it ends. A text that does
  // not end in its last closing brace (and white space) ran on into whatever followed it.
  const std::size_t len = strnlen(reinterpret_cast<const char*>(image), std::size_t(64) << 20);
  std::string text(reinterpret_cast<const char*>(image), len);
  const std::size_t last = text.find_last_not_of(" \t\r\n");
  if (last == std::string::npos || text[last] != '}') return {CUDA_ERROR_INVALID_PTX, "", "PTX text does not end after its last entry (not NUL-terminated?)", ""};
  return jitPtx(text, "");
}

// ---- the primary context -----------------------------------------------------------------------

void destroyContext() {
  for (Stream* s : streams) delete s;
  streams.clear();
  for (Event* e : events) delete e;
  events.clear();
  for (Module* m : modules) delete m;
  modules.clear();
  for (Function* f : functions) delete f;
  functions.clear();
  for (auto& [ptr, r] : allocations) unmapRegion(r);
  allocations.clear();
  for (auto& [ptr, r] : pinned) unmapRegion(r);
  pinned.clear();
  generation++;
  sticky = CUDA_SUCCESS;
}

}  // namespace

// ---- the device-side API of cuda-shim.h -------------------------------------------------------

namespace vf_emu {
uint3 gridDim{1, 1, 1};
uint3 blockDim{1, 1, 1};

const ThreadId& current() { return running->id; }

void interleave() {
  if (running != nullptr && config.yieldProbability > 0 && uniform() < config.yieldProbability) toScheduler();
}

void barrier() {
  running->state = State::Barrier;
  toScheduler();
}

void* shared(std::size_t bytes, std::size_t align) {
  Fiber* f = running;
  Resident& res = residents[f->slot];
  const std::size_t at = roundUp(f->sharedCursor, align);
  f->sharedCursor = at + bytes;
  if (f->sharedCursor > SHARED_BYTES) {
    fail(CUDA_ERROR_LAUNCH_FAILED, "kernel asks for more than 48 KB of shared memory");
    inKernel = false;
    siglongjmp(launchJump, 2);
  }
  res.sharedUsed = std::max(res.sharedUsed, f->sharedCursor);
  return res.shared.data + at;
}
}  // namespace vf_emu

// ---- the driver API ----------------------------------------------------------------------------

#define CHECK_STICKY() \
  if (sticky != CUDA_SUCCESS) return sticky

extern "C" {

int fake_cuda_configure(unsigned long long seed, int yieldPercent, int concurrentBlocks, int maxNotReady) {
  config.seed = seed == 0 ? 1 : seed;
  rngState = config.seed;
  config.yieldProbability = yieldPercent / 100.0;
  config.concurrentBlocks = concurrentBlocks < 1 ? 1 : static_cast<unsigned int>(concurrentBlocks);
  config.maxNotReady = maxNotReady < 0 ? 0 : static_cast<unsigned int>(maxNotReady);
  return 0;
}
int fake_cuda_set_device(int ccMajor, int ccMinor, int driverVersion, int multiprocessors) {
  config.ccMajor = ccMajor;
  config.ccMinor = ccMinor;
  config.driverVersion = driverVersion;
  config.multiprocessors = multiprocessors < 1 ? 1 : multiprocessors;
  return 0;
}
int fake_cuda_fail_launches(int count) {
  failLaunches = count;
  return 0;
}
long long fake_cuda_launches() { return launches; }
int fake_cuda_live_allocations() { return static_cast<int>(allocations.size()); }
int fake_cuda_live_pinned() { return static_cast<int>(pinned.size()); }
int fake_cuda_resets() { return resets; }
int fake_cuda_retains() { return retains; }
int fake_cuda_last_error(char* out, int len) {
  std::snprintf(out, static_cast<std::size_t>(len), "%s", lastError.c_str());
  return sticky;
}
int fake_cuda_last_module(char* out, int len) {
  std::snprintf(out, static_cast<std::size_t>(len), "%s", lastModule.c_str());
  return 0;
}

int cuInit(unsigned int) {
  initialised = true;
  return CUDA_SUCCESS;
}
int cuDriverGetVersion(int* v) {
  *v = config.driverVersion;
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
  std::snprintf(reinterpret_cast<char*>(name), static_cast<std::size_t>(len), "VisionFlow CPU emulator");
  return CUDA_SUCCESS;
}
int cuDeviceGetAttribute(int* v, int attr, int) {
  *v = attr == 75 ? config.ccMajor : attr == 76 ? config.ccMinor : attr == 16 ? config.multiprocessors : 0;
  return CUDA_SUCCESS;
}
int cuDeviceTotalMem_v2(size_t* bytes, int) {
  *bytes = size_t(1) << 32;
  return CUDA_SUCCESS;
}
int cuDevicePrimaryCtxRetain(void** ctx, int) {
  retains++;
  *ctx = &contextToken;
  return CUDA_SUCCESS;
}
int cuDevicePrimaryCtxRelease_v2(int) {
  if (retains == 0) return CUDA_ERROR_INVALID_CONTEXT;
  if (--retains == 0) destroyContext();
  return CUDA_SUCCESS;
}
int cuDevicePrimaryCtxReset_v2(int) {
  resets++;
  destroyContext();
  return CUDA_SUCCESS;
}
int cuCtxSetCurrent(void* ctx) { return ctx == &contextToken ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }
int cuCtxSynchronize() {
  CHECK_STICKY();
  flushAll();
  return sticky;
}

int cuModuleLoadDataEx(void** module, const unsigned char* image, unsigned int count, int* options, void** values) {
  CHECK_STICKY();
  if (image == nullptr) return CUDA_ERROR_INVALID_VALUE;
  const Choice c = choose(image);
  char* errorLog = nullptr;
  std::size_t errorLogSize = 0;
  for (unsigned int i = 0; i < count; i++) {
    if (options[i] == 5) errorLog = static_cast<char*>(values[i]);
    if (options[i] == 6) errorLogSize = reinterpret_cast<std::size_t>(values[i]);
  }
  if (errorLog != nullptr && errorLogSize > 0) {
    std::snprintf(errorLog, errorLogSize, "%s", c.log.c_str());
    for (unsigned int i = 0; i < count; i++) {
      if (options[i] == 6) values[i] = reinterpret_cast<void*>(std::min(errorLogSize, c.log.size() + 1));
    }
  }
  if (c.result != CUDA_SUCCESS) return c.result;
  Module* m = new Module{generation, c.payload};
  modules.insert(m);
  lastModule = c.what;
  *module = m;
  return CUDA_SUCCESS;
}
int cuModuleLoadData(void** module, const unsigned char* image) { return cuModuleLoadDataEx(module, image, 0, nullptr, nullptr); }
int cuModuleGetFunction(void** fn, void* module, const char* name) {
  CHECK_STICKY();
  Module* m = static_cast<Module*>(module);
  if (modules.count(m) == 0 || m->generation != generation) return CUDA_ERROR_INVALID_HANDLE;
  // In the image as "name" followed by a NUL (cubin string table) or "(" (a PTX .entry).
  const std::string n(name);
  if (m->payload.find(n + '\0') == std::string::npos && m->payload.find(".entry " + n + "(") == std::string::npos) return CUDA_ERROR_NOT_FOUND;
  for (const KernelInfo& k : kernels()) {
    if (n == k.name) {
      Function* f = new Function{generation, &k};
      functions.insert(f);
      *fn = f;
      return CUDA_SUCCESS;
    }
  }
  return CUDA_ERROR_NOT_FOUND;
}
int cuModuleUnload(void* module) {
  Module* m = static_cast<Module*>(module);
  if (modules.erase(m) == 0) return CUDA_ERROR_INVALID_HANDLE;
  delete m;
  return CUDA_SUCCESS;
}

int cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
  CHECK_STICKY();
  Region r = mapRegion(bytes, 16);
  if (r.base == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
  // Garbage, as on a device: reading what was never written shows.
  std::memset(r.data, 0xff, bytes);
  *p = reinterpret_cast<CUdeviceptr>(r.data);
  allocations[*p] = r;
  return CUDA_SUCCESS;
}
int cuMemFree_v2(CUdeviceptr p) {
  CHECK_STICKY();
  auto it = allocations.find(p);
  if (it == allocations.end()) return CUDA_ERROR_INVALID_VALUE;
  flushAll();
  unmapRegion(it->second);
  allocations.erase(it);
  return sticky;
}
int cuMemHostAlloc(void** p, size_t bytes, unsigned int) {
  CHECK_STICKY();
  Region r = mapRegion(bytes, 16);
  if (r.base == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
  *p = r.data;
  pinned[r.data] = r;
  return CUDA_SUCCESS;
}
int cuMemFreeHost(void* p) {
  auto it = pinned.find(static_cast<unsigned char*>(p));
  if (it == pinned.end()) return CUDA_ERROR_INVALID_VALUE;
  flushAll();
  unmapRegion(it->second);
  pinned.erase(it);
  return sticky;
}

int cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t bytes) {
  CHECK_STICKY();
  if (!insideDevice(dst, bytes)) return CUDA_ERROR_INVALID_VALUE;
  std::memcpy(reinterpret_cast<void*>(dst), src, bytes);
  return CUDA_SUCCESS;
}
int cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t bytes) {
  CHECK_STICKY();
  if (!insideDevice(src, bytes)) return CUDA_ERROR_INVALID_VALUE;
  std::memcpy(dst, reinterpret_cast<void*>(src), bytes);
  return CUDA_SUCCESS;
}
int cuMemsetD32_v2(CUdeviceptr dst, unsigned int value, size_t count) {
  CHECK_STICKY();
  if (!insideDevice(dst, 4 * count)) return CUDA_ERROR_INVALID_VALUE;
  unsigned int* p = reinterpret_cast<unsigned int*>(dst);
  for (size_t i = 0; i < count; i++) p[i] = value;
  return CUDA_SUCCESS;
}
int cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, void* stream) {
  CHECK_STICKY();
  if (!insideDevice(dst, bytes)) return CUDA_ERROR_INVALID_VALUE;
  Op op(Op::CopyHtoD);
  op.device = dst;
  op.host = static_cast<unsigned char*>(const_cast<void*>(src));
  op.bytes = bytes;
  if (!insidePinned(src, bytes)) {
    // Pageable memory: the driver stages it before the call returns.
    if (stream != nullptr) flush(static_cast<Stream*>(stream));
    execute(op);
    return sticky;
  }
  return submit(stream, std::move(op));
}
int cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, void* stream) {
  CHECK_STICKY();
  if (!insideDevice(src, bytes)) return CUDA_ERROR_INVALID_VALUE;
  Op op(Op::CopyDtoH);
  op.device = src;
  op.host = static_cast<unsigned char*>(dst);
  op.bytes = bytes;
  if (!insidePinned(dst, bytes)) {
    if (stream != nullptr) flush(static_cast<Stream*>(stream));
    execute(op);
    return sticky;
  }
  return submit(stream, std::move(op));
}
int cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t count, void* stream) {
  CHECK_STICKY();
  if (!insideDevice(dst, 4 * count)) return CUDA_ERROR_INVALID_VALUE;
  Op op(Op::Memset);
  op.device = dst;
  op.bytes = 4 * count;
  op.value = value;
  return submit(stream, std::move(op));
}

int cuLaunchKernel(void* fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz, unsigned int shared,
                   void* stream, void** params, void** extra) {
  CHECK_STICKY();
  Function* f = static_cast<Function*>(fn);
  if (functions.count(f) == 0 || f->generation != generation) return CUDA_ERROR_INVALID_HANDLE;
  if (params == nullptr || extra != nullptr || shared != 0) return CUDA_ERROR_INVALID_VALUE;
  if (gy != 1 || gz != 1 || by != 1 || bz != 1 || gx == 0 || bx == 0 || bx > 1024) return CUDA_ERROR_INVALID_VALUE;
  launches++;
  if (failLaunches > 0) {
    failLaunches--;
    fail(CUDA_ERROR_LAUNCH_FAILED, "unspecified launch failure (injected by the emulator)");
    return sticky;
  }
  Op op(Op::Launch);
  op.kernel = f->kernel;
  op.launchBody = f->kernel->capture(params);
  op.grid = gx;
  op.block = bx;
  return submit(stream, std::move(op));
}

int cuStreamCreate(void** stream, unsigned int) {
  CHECK_STICKY();
  Stream* s = new Stream{generation, {}};
  streams.insert(s);
  *stream = s;
  return CUDA_SUCCESS;
}
int cuStreamDestroy_v2(void* stream) {
  Stream* s = static_cast<Stream*>(stream);
  if (streams.count(s) == 0) return CUDA_ERROR_INVALID_HANDLE;
  flush(s);
  streams.erase(s);
  for (Event* e : events) {
    if (e->stream == s) e->stream = nullptr;
  }
  delete s;
  return sticky;
}
int cuStreamSynchronize(void* stream) {
  CHECK_STICKY();
  Stream* s = static_cast<Stream*>(stream);
  if (streams.count(s) == 0 || s->generation != generation) return CUDA_ERROR_INVALID_HANDLE;
  flush(s);
  return sticky;
}

int cuEventCreate(void** ev, unsigned int) {
  CHECK_STICKY();
  Event* e = new Event{generation};
  events.insert(e);
  *ev = e;
  return CUDA_SUCCESS;
}
int cuEventRecord(void* ev, void* stream) {
  CHECK_STICKY();
  Event* e = static_cast<Event*>(ev);
  if (events.count(e) == 0 || e->generation != generation) return CUDA_ERROR_INVALID_HANDLE;
  e->recorded++;
  if (stream == nullptr) {
    e->reached = e->recorded;
    return CUDA_SUCCESS;
  }
  e->stream = static_cast<Stream*>(stream);
  e->notReady = below(config.maxNotReady + 1);
  Op op(Op::Mark);
  op.event = e;
  op.record = e->recorded;
  return submit(stream, std::move(op));
}
int cuEventQuery(void* ev) {
  CHECK_STICKY();
  Event* e = static_cast<Event*>(ev);
  if (events.count(e) == 0 || e->generation != generation) return CUDA_ERROR_INVALID_HANDLE;
  if (!e->pending()) return CUDA_SUCCESS;
  if (e->notReady > 0) {
    e->notReady--;
    return CUDA_ERROR_NOT_READY;
  }
  if (e->stream != nullptr) flush(e->stream, e);
  e->reached = e->recorded;
  return sticky;
}
int cuEventDestroy_v2(void* ev) {
  Event* e = static_cast<Event*>(ev);
  if (events.erase(e) == 0) return CUDA_ERROR_INVALID_HANDLE;
  for (Stream* s : streams) {
    for (Op& op : s->queue) {
      if (op.kind == Op::Mark && op.event == e) op.kind = Op::Memset, op.bytes = 0, op.device = 0;
    }
  }
  delete e;
  return CUDA_SUCCESS;
}

int cuGetErrorName(int error, const char** text) {
  switch (error) {
    case CUDA_SUCCESS: *text = "CUDA_SUCCESS"; break;
    case CUDA_ERROR_INVALID_VALUE: *text = "CUDA_ERROR_INVALID_VALUE"; break;
    case CUDA_ERROR_OUT_OF_MEMORY: *text = "CUDA_ERROR_OUT_OF_MEMORY"; break;
    case CUDA_ERROR_NOT_INITIALIZED: *text = "CUDA_ERROR_NOT_INITIALIZED"; break;
    case CUDA_ERROR_INVALID_IMAGE: *text = "CUDA_ERROR_INVALID_IMAGE"; break;
    case CUDA_ERROR_INVALID_CONTEXT: *text = "CUDA_ERROR_INVALID_CONTEXT"; break;
    case CUDA_ERROR_NO_BINARY_FOR_GPU: *text = "CUDA_ERROR_NO_BINARY_FOR_GPU"; break;
    case CUDA_ERROR_INVALID_PTX: *text = "CUDA_ERROR_INVALID_PTX"; break;
    case CUDA_ERROR_UNSUPPORTED_PTX_VERSION: *text = "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"; break;
    case CUDA_ERROR_INVALID_HANDLE: *text = "CUDA_ERROR_INVALID_HANDLE"; break;
    case CUDA_ERROR_NOT_FOUND: *text = "CUDA_ERROR_NOT_FOUND"; break;
    case CUDA_ERROR_NOT_READY: *text = "CUDA_ERROR_NOT_READY"; break;
    case CUDA_ERROR_ILLEGAL_ADDRESS: *text = "CUDA_ERROR_ILLEGAL_ADDRESS"; break;
    case CUDA_ERROR_LAUNCH_FAILED: *text = "CUDA_ERROR_LAUNCH_FAILED"; break;
    default: return CUDA_ERROR_INVALID_VALUE;
  }
  return CUDA_SUCCESS;
}
int cuGetErrorString(int error, const char** text) {
  switch (error) {
    case CUDA_ERROR_LAUNCH_FAILED: *text = "unspecified launch failure"; break;
    case CUDA_ERROR_ILLEGAL_ADDRESS: *text = "an illegal memory access was encountered"; break;
    case CUDA_ERROR_UNSUPPORTED_PTX_VERSION: *text = "the provided PTX was compiled with an unsupported toolchain."; break;
    case CUDA_ERROR_NO_BINARY_FOR_GPU: *text = "no kernel image is available for execution on the device"; break;
    default:
      if (cuGetErrorName(error, text) != CUDA_SUCCESS) return CUDA_ERROR_INVALID_VALUE;
  }
  return CUDA_SUCCESS;
}

}  // extern "C"
