#pragma once
// --log / --history / --key for the commands that run work: on rank 0, consult the model and
// open the log before any work starts; every rank learns whether to go on.
#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "amorsize/history.hpp"
#include "amorsize/run_types.hpp"

namespace amorsize::app {

struct HistoryArgs {
  std::string log;                    ///< append this run to FILE.h5
  std::string history;                ///< plan from FILE.h5 (default: the log)
  std::string key;                    ///< workload key (default: derived by the command)
  std::vector<std::string> features;  ///< --feature NAME=VALUE
};

/// Thrown on ranks other than 0 when rank 0 rejected the input: rank 0 prints the message.
struct PeerFailed {};

/// On rank 0: predicts the profile from the history (setting options.profile and the reason)
/// and opens the log (returned; it is the options' recorder). With `item_costs` and a profile
/// from history, the items an earlier run of the key recorded (--record-items) become
/// options.heavy_items. Collective over `comm`: throws invalid_argument on rank 0 and
/// PeerFailed elsewhere when the log cannot be used.
std::unique_ptr<TimingLog> prepare_history(MPI_Comm comm, const HistoryArgs& args,
                                           const std::string& key, const std::string& command_line,
                                           RunOptions& options, bool item_costs = false);

/// Status of a finished run for the log: "complete", "failed" (items failed) or "interrupted".
std::string run_status(const RunReport& report);

}  // namespace amorsize::app
