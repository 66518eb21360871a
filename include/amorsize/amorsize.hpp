#pragma once
/// \file amorsize.hpp
/// The planner in one include (library amorsize::plan, no MPI, no HDF5): errors, topology,
/// workload profiles and synthetic workloads, the plan and the chunk schedule.
///
/// The rest has headers of its own, each with the library it needs:
/// - `amorsize/run.hpp`: amorsize::run over MPI (amorsize::amorsize; Boost.Serialization).
/// - `amorsize/tasks.hpp`: task files, commands and the journal (amorsize::amorsize).
/// - `amorsize/history.hpp`, `amorsize/report.hpp`: the HDF5 log, the model trained from it
///   and reports of it (amorsize::history).
#include "amorsize/error.hpp"
#include "amorsize/plan.hpp"
#include "amorsize/profile.hpp"
#include "amorsize/schedule.hpp"
#include "amorsize/topology.hpp"
#include "amorsize/workload.hpp"
