// The native kernels' own thread pool (the packed product's threads, gemmC.ts): a job is `units`
// independent pieces of work, claimed one at a time by whichever thread is free, the caller included.
//
// Why not OpenMP's parallel region: its end is a barrier at which the caller waits for every thread of
// the team to arrive, also for a worker that has not woken up yet. With libgomp's passive wait that
// is the futex wake-up on every product; on a shared machine, where the worker may not get a core for
// milliseconds, it is the whole product many times over (spinning instead made two threads 50× slower
// at load 11). Here the caller waits only for the units a worker has actually claimed: a worker that
// comes late finds nothing left, and the caller has done its share.
//
//   ticket   one 64-bit word: generation (24 bits) | units (20) | next unit (20). A thread claims a unit
//            with a compare-and-swap that also checks the generation, so a late worker of an earlier job
//            can never claim a unit of the next one; the job's function and context, written before the
//            ticket is published, stay until every claimed unit is done.
//   workers  sleep on a condition variable between jobs, with every signal blocked (Node's signals stay on
//            its own threads); the caller wakes them when it publishes a job and starts on the units itself.
//            A worker whose last job came within POOL_WARM of the one before waits that long for the next
//            before it sleeps, spinning for the first POOL_HOT and then yielding its core between looks
//            (sched_yield: at once back on an idle core, behind others on a busy one): products in a row
//            (a training step's, a benchmark's, calls through Model.forward with ~50 µs of JavaScript
//            between them) then find it awake, while sparse jobs cost no waiting (on a loaded machine a
//            spinning worker loses its core).
//
// Which thread runs a unit does not change what it computes: results are the same bits for any count.

export const POOL_C = String.raw`
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <stdint.h>
#if defined(__x86_64__) || defined(__i386__)
/* the compiler's builtins, not <x86intrin.h>: with -march=native that header alone takes gcc 0.4 s to read,
   on the first (cold) compile's critical path */
#define POOL_PAUSE() __builtin_ia32_pause()
#define POOL_NOW() __builtin_ia32_rdtsc()
#else
#define POOL_PAUSE() ((void)0)
static inline uint64_t pool_now(void) { static uint64_t n; return n += 64; }
#define POOL_NOW() pool_now()
#endif
/* the caller's spin, in timestamp ticks (about 8 µs at 2–3 GHz), waiting for a worker's last unit before it
   yields its core; workers sleep as soon as a job is done (spinning, a worker loses its core for longer on a
   loaded machine: a job of 8 units of 3 µs took a median 88 µs with 50 µs of spin, 26 µs without, at load 11) */
#define POOL_SPIN 20000ULL
/* a worker's spin for the next job after jobs in a row, in ticks (about 50 µs) */
#define POOL_HOT 120000ULL
/* how long, in ticks (about 0.5 ms), a worker keeps looking for the next job after jobs in a row, yielding past POOL_HOT */
#define POOL_WARM 1000000ULL
#define POOL_MAX 63

typedef void (*pool_fn)(void *ctx, long unit);
static uint64_t pool_ticket;
static pool_fn pool_job_fn;
static void *pool_job_ctx;
static long pool_done;
static int pool_workers, pool_sleepers, pool_job_threads;
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;

#define TICKET_GEN(t) ((t) >> 40)
#define TICKET_UNITS(t) (((t) >> 20) & 0xfffff)
#define TICKET_NEXT(t) ((t) & 0xfffff)

/* claims and runs units of generation gen until none is left */
static void pool_claim(uint64_t gen) {
  uint64_t t = __atomic_load_n(&pool_ticket, __ATOMIC_ACQUIRE);
  while (TICKET_GEN(t) == gen && TICKET_NEXT(t) < TICKET_UNITS(t)) {
    if (!__atomic_compare_exchange_n(&pool_ticket, &t, t + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
    pool_job_fn(pool_job_ctx, (long)TICKET_NEXT(t));
    __atomic_fetch_add(&pool_done, 1, __ATOMIC_RELEASE);
    t = __atomic_load_n(&pool_ticket, __ATOMIC_ACQUIRE);
  }
}

/* worker id (1, 2, …) takes part in jobs of more than id threads */
static void *pool_worker(void *arg) {
  int id = (int)(intptr_t)arg;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, 0);
  uint64_t seen = TICKET_GEN(__atomic_load_n(&pool_ticket, __ATOMIC_ACQUIRE));
  int hot = 0;
  for (;;) {
    uint64_t t0 = POOL_NOW(), gen;
    while ((gen = TICKET_GEN(__atomic_load_n(&pool_ticket, __ATOMIC_ACQUIRE))) == seen && hot) {
      uint64_t waited = POOL_NOW() - t0;
      if (waited < POOL_HOT) POOL_PAUSE();
      else if (waited < POOL_WARM) sched_yield();
      else break;
    }
    if (gen == seen) {
      pthread_mutex_lock(&pool_mu);
      pool_sleepers++;
      while ((gen = TICKET_GEN(__atomic_load_n(&pool_ticket, __ATOMIC_ACQUIRE))) == seen) pthread_cond_wait(&pool_cv, &pool_mu);
      pool_sleepers--;
      pthread_mutex_unlock(&pool_mu);
    }
    /* this job came within POOL_WARM of the end of the last one: wait for the next */
    hot = POOL_NOW() - t0 < POOL_WARM;
    seen = gen;
    if (id < __atomic_load_n(&pool_job_threads, __ATOMIC_RELAXED)) pool_claim(gen);
  }
  return 0;
}

/* fn(ctx, u) for u in [0, units) on up to threads threads (the caller one of them); returns when all are done */
__attribute__((visibility("hidden"))) void dlm_parallel(int threads, pool_fn fn, void *ctx, long units) {
  if (threads > POOL_MAX + 1) threads = POOL_MAX + 1;
  if (threads > units) threads = (int)units;
  while (pool_workers < threads - 1) {
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int failed = pthread_create(&th, &at, pool_worker, (void *)(intptr_t)(pool_workers + 1));
    pthread_attr_destroy(&at);
    if (failed) break;
    pool_workers++;
  }
  if (threads <= 1 || pool_workers == 0 || units >= (1L << 20)) {
    for (long u = 0; u < units; u++) fn(ctx, u);
    return;
  }
  if (threads > pool_workers + 1) threads = pool_workers + 1;
  pool_job_fn = fn;
  pool_job_ctx = ctx;
  __atomic_store_n(&pool_job_threads, threads, __ATOMIC_RELAXED);
  __atomic_store_n(&pool_done, 0, __ATOMIC_RELAXED);
  uint64_t gen = (TICKET_GEN(__atomic_load_n(&pool_ticket, __ATOMIC_RELAXED)) + 1) & 0xffffff;
  __atomic_store_n(&pool_ticket, (gen << 40) | ((uint64_t)units << 20), __ATOMIC_RELEASE);
  pthread_mutex_lock(&pool_mu);
  if (pool_sleepers) pthread_cond_broadcast(&pool_cv);
  pthread_mutex_unlock(&pool_mu);
  pool_claim(gen);
  /* only units a worker has claimed are left: wait for them, yielding the core if that takes long */
  uint64_t t0 = POOL_NOW();
  while (__atomic_load_n(&pool_done, __ATOMIC_ACQUIRE) < units) {
    if (POOL_NOW() - t0 < POOL_SPIN) POOL_PAUSE();
    else sched_yield();
  }
}
`;
