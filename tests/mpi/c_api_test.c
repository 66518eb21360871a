/* The C API from C: errors come back as codes with a message (a bad argument, a loop ended too
 * early, a profile that is not JSON), nothing aborts; a loop gives every index once; a plan is
 * read through its accessors. Prints "c_api_test: PASS" on rank 0 when every check held. */
#include <amorsize.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond, ...)                                       \
  do {                                                         \
    if (!(cond)) {                                             \
      fprintf(stderr, "c_api_test: FAIL line %d: ", __LINE__); \
      fprintf(stderr, __VA_ARGS__);                            \
      fprintf(stderr, "\n");                                   \
      ++failures;                                              \
    }                                                          \
  } while (0)

/* amorsize_run: items are int64 values i; an item's result is i * i, except item 13, which
 * fails. The sink checks the order and the values. */
static int64_t source_value;
static int source_fn(int64_t index, const void** item, size_t* size, void* user) {
  (void)user;
  if (index >= 500) return 0;
  source_value = index;
  *item = &source_value;
  *size = sizeof source_value;
  return 1;
}
static int item_fn(const void* item, size_t size, void** result, size_t* result_size, void* user) {
  (void)user;
  int64_t v = 0;
  if (size != sizeof v) return 2;
  memcpy(&v, item, sizeof v);
  if (v == 13) return 1;
  int64_t* r = malloc(sizeof *r);
  *r = v * v;
  *result = r;
  *result_size = sizeof *r;
  return 0;
}
static int64_t sunk = 0, last_index = -1, sink_errors = 0;
static int sink_fn(int64_t index, const void* result, size_t size, void* user) {
  (void)user;
  int64_t r = 0;
  if (size != sizeof r || index <= last_index) ++sink_errors;
  memcpy(&r, result, sizeof r);
  if (r != index * index) ++sink_errors;
  last_index = index;
  ++sunk;
  return 0;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);

  /* A bad argument: a code and a message, nothing done. */
  amorsize_loop loop = NULL;
  amorsize_status s = amorsize_loop_begin(NULL, 0, 10, "x", &loop);
  CHECK(s == AMORSIZE_INVALID_ARGUMENT, "loop_begin(NULL) gave %d", (int)s);
  CHECK(strstr(amorsize_last_error(), "must not be NULL") != NULL, "message: %s",
        amorsize_last_error());

  /* A profile that is not JSON. */
  amorsize_plan plan = NULL;
  s = amorsize_plan_from_json("{ nope", 1, &plan);
  CHECK(s == AMORSIZE_INVALID_ARGUMENT && plan == NULL, "bad profile gave %d", (int)s);
  CHECK(strlen(amorsize_last_error()) > 0, "no message for a bad profile");

  /* A good one, through the accessors. */
  s = amorsize_plan_from_json(
      "{\"item_seconds_mean\": 0.002, \"item_seconds_cv\": 0.8, \"items\": 100000}", 2, &plan);
  CHECK(s == AMORSIZE_OK, "plan: %s", amorsize_last_error());
  if (s == AMORSIZE_OK) {
    int workers = 0;
    int64_t chunk = 0;
    char* json = NULL;
    amorsize_plan_workers(plan, &workers);
    amorsize_plan_chunk_size(plan, &chunk);
    CHECK(workers >= 2, "workers %d on 2 nodes", workers);
    CHECK(chunk >= 1, "chunk size %lld", (long long)chunk);
    CHECK(amorsize_plan_json(plan, &json) == AMORSIZE_OK && strstr(json, "\"workers\""),
          "plan JSON");
    amorsize_free_string(json);
    amorsize_plan_destroy(plan);
  }

  /* A loop: ended too early (an error, the loop stays usable), then run to its end. */
  amorsize_context ctx = NULL;
  s = amorsize_context_create(MPI_COMM_WORLD, &ctx);
  CHECK(s == AMORSIZE_OK, "context: %s", amorsize_last_error());
  const int64_t n = 5000;
  int* mine = calloc((size_t)n, sizeof(int));
  int* all = calloc((size_t)n, sizeof(int));
  for (int call = 0; call < 3; ++call) {
    memset(mine, 0, (size_t)n * sizeof(int));
    s = amorsize_loop_begin(ctx, 0, n, "c-loop", &loop);
    CHECK(s == AMORSIZE_OK, "begin: %s", amorsize_last_error());
    if (call == 0) {
      amorsize_loop_stats early;
      s = amorsize_loop_end(loop, &early);
      CHECK(s == AMORSIZE_INVALID_ARGUMENT, "end before the last range gave %d", (int)s);
      CHECK(strstr(amorsize_last_error(), "before next() returned false") != NULL, "message: %s",
            amorsize_last_error());
    }
    int64_t lo = 0, hi = 0;
    int more = 0;
    while ((s = amorsize_loop_next(loop, &lo, &hi, &more)) == AMORSIZE_OK && more)
      for (int64_t i = lo; i < hi; ++i) ++mine[i];
    CHECK(s == AMORSIZE_OK, "next: %s", amorsize_last_error());
    amorsize_loop_stats stats;
    s = amorsize_loop_end(loop, &stats);
    CHECK(s == AMORSIZE_OK, "end: %s", amorsize_last_error());
    CHECK(stats.from_history == (call > 0 ? 1 : 0) || rank != 0, "call %d from_history %d", call,
          stats.from_history);
    MPI_Allreduce(mine, all, (int)n, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    for (int64_t i = 0; i < n; ++i)
      if (all[i] != 1) {
        CHECK(0, "call %d: index %lld given %d times", call, (long long)i, all[i]);
        break;
      }
  }
  free(mine);
  free(all);

  /* A run over bytes: 500 items, one of which fails. */
  amorsize_run_stats rs;
  s = amorsize_run(ctx, "c-run", rank == 0 ? source_fn : NULL, NULL, item_fn, NULL,
                   rank == 0 ? sink_fn : NULL, NULL, &rs);
  CHECK(s == AMORSIZE_OK, "run: %s", amorsize_last_error());
  if (rank == 0) {
    CHECK(rs.items == 500 && rs.delivered == 499 && rs.failed == 1,
          "run: %lld items, %lld delivered, %lld failed", (long long)rs.items,
          (long long)rs.delivered, (long long)rs.failed);
    CHECK(sunk == 499 && sink_errors == 0, "sink: %lld results, %lld wrong", (long long)sunk,
          (long long)sink_errors);
  }
  s = amorsize_run(ctx, "c-run", NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  CHECK(s == AMORSIZE_INVALID_ARGUMENT, "run without fn gave %d", (int)s);
  /* Only rank 1 passes a bad argument: every rank gets the error, none waits in the run. */
  s = amorsize_run(ctx, "c-run", rank == 0 ? source_fn : NULL, NULL, rank == 1 ? NULL : item_fn,
                   NULL, rank == 0 ? sink_fn : NULL, NULL, &rs);
  CHECK(s == AMORSIZE_INVALID_ARGUMENT, "one rank's bad argument gave %d", (int)s);
  CHECK(rank == 1 ? strstr(amorsize_last_error(), "fn must not be NULL") != NULL
                  : strstr(amorsize_last_error(), "another rank") != NULL,
        "message: %s", amorsize_last_error());
  CHECK(amorsize_context_destroy(ctx) == AMORSIZE_OK, "destroy: %s", amorsize_last_error());

  int total = 0;
  MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0 && total == 0) printf("c_api_test: PASS\n");
  MPI_Finalize();
  return total == 0 ? 0 : 1;
}
