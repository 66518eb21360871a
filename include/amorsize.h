/* amorsize.h: the C API of amorsize, for C, Fortran (through the amorsize module) and any
 * language that calls C. Opaque handles; every function returns an amorsize_status and no
 * exception ever crosses it; amorsize_last_error() gives the message of the last call on this
 * thread that failed.
 *
 *   amorsize_context ctx;
 *   if (amorsize_context_create(MPI_COMM_WORLD, &ctx) != AMORSIZE_OK)
 *     fprintf(stderr, "%s\n", amorsize_last_error());
 *   for (int step = 0; step < steps; ++step) {
 *     amorsize_loop loop;
 *     amorsize_loop_begin(ctx, 0, n, "update", &loop);          collective
 *     int64_t lo, hi;
 *     int more;
 *     while (amorsize_loop_next(loop, &lo, &hi, &more) == AMORSIZE_OK && more)
 *       for (int64_t i = lo; i < hi; ++i) update(i);
 *     amorsize_loop_stats stats;
 *     amorsize_loop_end(loop, &stats);                          collective; frees the loop
 *   }
 *   amorsize_context_destroy(ctx);                              before MPI_Finalize
 *
 * Link with pkg-config (`pkg-config --cflags --libs amorsize`) or CMake
 * (`find_package(amorsize)`, target amorsize::amorsize).
 */
#ifndef AMORSIZE_H
#define AMORSIZE_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum amorsize_status {
  AMORSIZE_OK = 0,
  AMORSIZE_INVALID_ARGUMENT = 1, /* a bad value, handle or call order; nothing was done */
  AMORSIZE_MPI_ERROR = 2,        /* MPI failed */
  AMORSIZE_ERROR = 3             /* anything else: the message says what */
} amorsize_status;

/* The message of the last call on this thread that did not return AMORSIZE_OK ("" if none).
 * Valid until the next failing call on this thread. */
const char* amorsize_last_error(void);

/* --- planning ------------------------------------------------------------------------------ */

typedef struct amorsize_plan_s* amorsize_plan;

/* Plans a workload described by a profile in JSON (as `amorsize plan --profile` reads it) on
 * `nodes` nodes of this machine's kind. */
amorsize_status amorsize_plan_from_json(const char* profile_json, int nodes, amorsize_plan* out);
amorsize_status amorsize_plan_workers(amorsize_plan plan, int* workers);
amorsize_status amorsize_plan_chunk_size(amorsize_plan plan, int64_t* chunk_size);
amorsize_status amorsize_plan_predicted_seconds(amorsize_plan plan, double* seconds);
/* The plan as JSON: a string the caller frees with amorsize_free_string. */
amorsize_status amorsize_plan_json(amorsize_plan plan, char** json);
amorsize_status amorsize_plan_destroy(amorsize_plan plan);
void amorsize_free_string(char* text);

/* --- context and loops --------------------------------------------------------------------- */

typedef struct amorsize_context_s* amorsize_context;
typedef struct amorsize_loop_s* amorsize_loop;

/* Collective over `comm`. Destroy it before MPI_Finalize. */
amorsize_status amorsize_context_create(MPI_Comm comm, amorsize_context* out);
/* The same for a Fortran communicator (MPI_Fint: `mpi`'s integer, `mpi_f08`'s %MPI_VAL). */
amorsize_status amorsize_context_create_f(MPI_Fint comm, amorsize_context* out);
amorsize_status amorsize_context_destroy(amorsize_context ctx);

typedef struct amorsize_loop_stats {
  int64_t items;           /* this rank's */
  int64_t ranges;          /* ranges next gave this rank */
  double seconds;          /* this rank, begin to end */
  double wait_seconds;     /* this rank, waiting for ranges */
  int from_history;        /* 1: the split came from the previous call of the loop's name */
  double busy_seconds;     /* rank 0: time in ranges, all ranks */
  double max_wait_seconds; /* rank 0: the most any rank waited */
  double makespan_seconds; /* rank 0: begin to the last range done */
  double efficiency;       /* rank 0: (busy / ranks) / makespan */
} amorsize_loop_stats;

/* One call of the loop over [first, last) named `name` (calls of one name learn from each
 * other; NULL: "loop"). Collective: every rank of the context computes. */
amorsize_status amorsize_loop_begin(amorsize_context ctx, int64_t first, int64_t last,
                                    const char* name, amorsize_loop* out);
/* This rank's next range [*lo, *hi): *more is 1, or 0 when the loop has none left for it. */
amorsize_status amorsize_loop_next(amorsize_loop loop, int64_t* lo, int64_t* hi, int* more);
/* After next gave *more == 0: the statistics (NULL: not wanted), and the loop is freed.
 * Called too early it returns AMORSIZE_INVALID_ARGUMENT and the loop stays usable. */
amorsize_status amorsize_loop_end(amorsize_loop loop, amorsize_loop_stats* stats);

/* --- run: items and results as bytes ------------------------------------------------------- */

/* Rank 0: item `index` (from 0 on) as *size bytes at *item, valid until the next call; return 1,
 * or 0 when there are no more items. */
typedef int (*amorsize_source_fn)(int64_t index, const void** item, size_t* size, void* user);
/* Every rank, on worker threads (so it must be thread-safe): the result of one item, in a
 * buffer from malloc that amorsize frees. Return 0, or nonzero if the item failed (it is counted
 * in amorsize_run_stats::failed and its result is not delivered). */
typedef int (*amorsize_item_fn)(const void* item, size_t size, void** result, size_t* result_size,
                                void* user);
/* Rank 0: the result of item `index`, in index order; return 0 to go on, nonzero to stop. */
typedef int (*amorsize_sink_fn)(int64_t index, const void* result, size_t size, void* user);

typedef struct amorsize_run_stats {
  int64_t items;     /* rank 0: items run */
  int64_t delivered; /* rank 0: results given to the sink */
  int64_t failed;    /* rank 0: items whose function returned nonzero */
  double makespan_seconds;
  double efficiency; /* rank 0: the lower bound over the makespan */
} amorsize_run_stats;

/* amorsize::run on the context: rank 0 reads the items from `source`, every rank runs `fn` on
 * its share, rank 0 hands each result to `sink`. Collective; `source` and `sink` are only
 * called (and only needed) on rank 0, `name` as in amorsize_loop_begin. */
amorsize_status amorsize_run(amorsize_context ctx, const char* name, amorsize_source_fn source,
                             void* source_user, amorsize_item_fn fn, void* fn_user,
                             amorsize_sink_fn sink, void* sink_user, amorsize_run_stats* stats);

#ifdef __cplusplus
}
#endif

#endif /* AMORSIZE_H */
