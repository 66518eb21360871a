// The C API (amorsize.h): each function catches everything and turns it into a status and a
// message, so no exception crosses into C or Fortran.
#include "amorsize.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>

#include "amorsize/context.hpp"
#include "amorsize/error.hpp"
#include "amorsize/plan.hpp"
#include "amorsize/profile.hpp"
#include "amorsize/run.hpp"
#include "amorsize/topology.hpp"
#include "runtime/context_state.hpp"

struct amorsize_plan_s {
  amorsize::Plan plan;
};

struct amorsize_context_s {
  std::optional<amorsize::Context> context;
};

struct amorsize_loop_s {
  std::optional<amorsize::Loop> loop;
};

namespace {

thread_local std::string t_last_error;

amorsize_status fail(amorsize_status status, const std::string& message) {
  t_last_error = message;
  return status;
}

// Runs `body`; an exception becomes its status and message.
template <class Body>
amorsize_status guarded(const char* function, Body&& body) {
  try {
    body();
    return AMORSIZE_OK;
  } catch (const amorsize::invalid_argument& e) {
    return fail(AMORSIZE_INVALID_ARGUMENT, std::string(function) + ": " + e.what());
  } catch (const std::bad_alloc&) {
    return fail(AMORSIZE_ERROR, std::string(function) + ": out of memory");
  } catch (const std::exception& e) {
    const std::string what = e.what();
    const bool mpi = what.find("MPI_") != std::string::npos;
    return fail(mpi ? AMORSIZE_MPI_ERROR : AMORSIZE_ERROR, std::string(function) + ": " + what);
  } catch (...) {
    return fail(AMORSIZE_ERROR, std::string(function) + ": an unknown error");
  }
}

#define AMORSIZE_REQUIRE(cond, function, what) \
  if (!(cond)) return fail(AMORSIZE_INVALID_ARGUMENT, std::string(function) + ": " + (what))

}  // namespace

extern "C" {

const char* amorsize_last_error(void) {
  return t_last_error.c_str();
}

amorsize_status amorsize_plan_from_json(const char* profile_json, int nodes, amorsize_plan* out) {
  const char* f = "amorsize_plan_from_json";
  AMORSIZE_REQUIRE(profile_json && out, f, "profile_json and out must not be NULL");
  AMORSIZE_REQUIRE(nodes >= 1, f, "nodes must be at least 1, got " + std::to_string(nodes));
  *out = nullptr;
  return guarded(f, [&] {
    amorsize::Cluster cluster;
    cluster.nodes.assign(std::size_t(nodes), amorsize::local_topology());
    auto p = std::make_unique<amorsize_plan_s>();
    p->plan = amorsize::plan(amorsize::profile_from_json(profile_json), cluster);
    *out = p.release();
  });
}

amorsize_status amorsize_plan_workers(amorsize_plan plan, int* workers) {
  AMORSIZE_REQUIRE(plan && workers, "amorsize_plan_workers", "plan and workers must not be NULL");
  *workers = plan->plan.workers;
  return AMORSIZE_OK;
}

amorsize_status amorsize_plan_chunk_size(amorsize_plan plan, int64_t* chunk_size) {
  AMORSIZE_REQUIRE(plan && chunk_size, "amorsize_plan_chunk_size",
                   "plan and chunk_size must not be NULL");
  *chunk_size = plan->plan.chunk_size;
  return AMORSIZE_OK;
}

amorsize_status amorsize_plan_predicted_seconds(amorsize_plan plan, double* seconds) {
  AMORSIZE_REQUIRE(plan && seconds, "amorsize_plan_predicted_seconds",
                   "plan and seconds must not be NULL");
  *seconds = plan->plan.predicted_makespan_seconds.value_or(0);
  return AMORSIZE_OK;
}

amorsize_status amorsize_plan_json(amorsize_plan plan, char** json) {
  const char* f = "amorsize_plan_json";
  AMORSIZE_REQUIRE(plan && json, f, "plan and json must not be NULL");
  return guarded(f, [&] {
    const std::string text = amorsize::to_json(plan->plan);
    char* copy = static_cast<char*>(std::malloc(text.size() + 1));
    if (!copy) throw std::bad_alloc();
    std::memcpy(copy, text.c_str(), text.size() + 1);
    *json = copy;
  });
}

amorsize_status amorsize_plan_destroy(amorsize_plan plan) {
  delete plan;
  return AMORSIZE_OK;
}

void amorsize_free_string(char* text) {
  std::free(text);
}

amorsize_status amorsize_context_create(MPI_Comm comm, amorsize_context* out) {
  const char* f = "amorsize_context_create";
  AMORSIZE_REQUIRE(out, f, "out must not be NULL");
  *out = nullptr;
  int initialized = 0;
  MPI_Initialized(&initialized);
  AMORSIZE_REQUIRE(initialized, f, "MPI is not initialized: call MPI_Init first");
  return guarded(f, [&] {
    auto c = std::make_unique<amorsize_context_s>();
    c->context.emplace(comm);
    *out = c.release();
  });
}

amorsize_status amorsize_context_create_f(MPI_Fint comm, amorsize_context* out) {
  return amorsize_context_create(MPI_Comm_f2c(comm), out);
}

amorsize_status amorsize_context_destroy(amorsize_context ctx) {
  int finalized = 0;
  MPI_Finalized(&finalized);
  AMORSIZE_REQUIRE(!finalized, "amorsize_context_destroy",
                   "MPI_Finalize was called: destroy the context before it");
  return guarded("amorsize_context_destroy", [&] { delete ctx; });
}

amorsize_status amorsize_loop_begin(amorsize_context ctx, int64_t first, int64_t last,
                                    const char* name, amorsize_loop* out) {
  const char* f = "amorsize_loop_begin";
  AMORSIZE_REQUIRE(ctx && out, f, "ctx and out must not be NULL");
  *out = nullptr;
  return guarded(f, [&] {
    auto l = std::make_unique<amorsize_loop_s>();
    amorsize::LoopOptions o;
    if (name) o.name = name;
    l->loop.emplace(*ctx->context, first, last, o);
    *out = l.release();
  });
}

amorsize_status amorsize_loop_next(amorsize_loop loop, int64_t* lo, int64_t* hi, int* more) {
  const char* f = "amorsize_loop_next";
  AMORSIZE_REQUIRE(loop && lo && hi && more, f, "loop, lo, hi and more must not be NULL");
  return guarded(f, [&] {
    std::int64_t a = 0, b = 0;
    *more = loop->loop->next(a, b) ? 1 : 0;
    *lo = a;
    *hi = b;
  });
}

amorsize_status amorsize_loop_end(amorsize_loop loop, amorsize_loop_stats* stats) {
  const char* f = "amorsize_loop_end";
  AMORSIZE_REQUIRE(loop, f, "loop must not be NULL");
  const amorsize_status status = guarded(f, [&] {
    const amorsize::LoopStats s = loop->loop->end();
    if (stats) {
      stats->items = s.items;
      stats->ranges = s.ranges;
      stats->seconds = s.seconds;
      stats->wait_seconds = s.wait_seconds;
      stats->from_history = s.from_history ? 1 : 0;
      stats->busy_seconds = s.busy_seconds;
      stats->max_wait_seconds = s.max_wait_seconds;
      stats->makespan_seconds = s.report.makespan_seconds;
      stats->efficiency = s.report.efficiency;
    }
  });
  if (status == AMORSIZE_OK) delete loop;  // ended: the Loop may go
  return status;
}

amorsize_status amorsize_run(amorsize_context ctx, const char* name, amorsize_source_fn source,
                             void* source_user, amorsize_item_fn fn, void* fn_user,
                             amorsize_sink_fn sink, void* sink_user, amorsize_run_stats* stats) {
  const char* f = "amorsize_run";
  AMORSIZE_REQUIRE(ctx, f, "ctx must not be NULL");
  // Every rank checks its arguments and all agree before the run (collective) begins, so a
  // rank with a bad argument does not leave the others waiting in it.
  std::string problem;
  if (!fn) problem = "fn must not be NULL";
  if (ctx->context->rank() == 0 && !(source && sink))
    problem = "source and sink must not be NULL on rank 0";
  int ok = problem.empty() ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, ctx->context->state().transport.comm());
  if (!problem.empty()) return fail(AMORSIZE_INVALID_ARGUMENT, std::string(f) + ": " + problem);
  if (!ok)
    return fail(AMORSIZE_INVALID_ARGUMENT,
                std::string(f) + ": another rank passed a bad argument (its message says which)");
  return guarded(f, [&] {
    std::int64_t next = 0;
    auto items = amorsize::source::generator([&]() -> std::optional<std::string> {
      const void* item = nullptr;
      std::size_t size = 0;
      if (!source(next, &item, &size, source_user)) return std::nullopt;
      ++next;
      return std::string(static_cast<const char*>(item), size);
    });
    auto work = [fn, fn_user](const std::string& item) {
      void* result = nullptr;
      std::size_t size = 0;
      const int rc = fn(item.data(), item.size(), &result, &size, fn_user);
      std::string out(static_cast<const char*>(result), result ? size : 0);
      std::free(result);
      if (rc != 0) throw std::runtime_error("the item function returned " + std::to_string(rc));
      return out;
    };
    auto deliver = [&](std::int64_t index, const std::string& result) {
      return sink(index, result.data(), result.size(), sink_user) == 0;
    };
    amorsize::RunOptions o;
    if (name) o.name = name;
    const amorsize::RunReport r = amorsize::run(*ctx->context, items, work, deliver, o);
    if (stats) {
      stats->items = r.items;
      stats->delivered = r.delivered;
      stats->failed = std::int64_t(r.failures.size());
      stats->makespan_seconds = r.makespan_seconds;
      stats->efficiency = r.efficiency;
    }
  });
}

}  // extern "C"
