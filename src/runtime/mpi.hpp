#pragma once
// The runtime's only door to MPI (with discovery's start-up collectives and the platform
// files): checked calls, a non-blocking poll for the next message, a queue of non-blocking
// sends, and the few blocking calls start-up needs. Plain MPI C API, so it also builds with
// SimGrid's smpicxx.
#include <mpi.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "wire.hpp"

namespace amorsize::detail {

/// Throws amorsize::error naming `what` and MPI's message when `rc` is not MPI_SUCCESS.
void check_mpi(int rc, const char* what);

/// An incoming message.
struct Message {
  int source = 0;
  wire::Tag tag = wire::Tag::kStop;
  std::vector<char> bytes;
};

/// Where the MPI-free parts send their messages; tests replace it with a fake.
class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual void send(int rank, wire::Tag tag, std::vector<char> message) = 0;
};

/// The runtime's messages travel on a private duplicate of the caller's communicator, so they
/// never meet the application's; MPI errors on it are returned and thrown, not fatal.
class Transport final : public Outbox {
 public:
  /// kOwn: a duplicate of its own, freed with it (a Context's); kShared: the duplicate kept on
  /// `comm` for every run on it (shared_duplicate), made by the first.
  enum Duplicate { kOwn, kShared };
  explicit Transport(MPI_Comm comm, Duplicate duplicate = kOwn);
  ~Transport() override;  // waits for the sends still queued, then frees its own duplicate
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  MPI_Comm comm() const { return comm_; }

  /// The next message waiting, from any rank: true and `into` filled, or false at once.
  /// A tag the protocol does not use throws protocol_error.
  bool poll(Message& into);
  /// Sends without blocking; the buffer lives until the send completes.
  void send(int rank, wire::Tag tag, std::vector<char> message) override;
  /// Frees the buffers of sends that have completed.
  void reap();
  /// Waits (politely) until every queued send has completed.
  void flush();
  std::int64_t sent() const { return sent_; }
  std::int64_t received() const { return received_; }
  /// Messages sent to rank 0, and messages received, kDone aside: counts the ending tree
  /// compares (ending.hpp).
  std::int64_t sent_to_root() const { return sent_to_root_; }
  std::int64_t received_not_done() const { return received_ - received_done_; }

  // Start-up, blocking.
  void barrier();
  /// Rank 0's `value` on every rank.
  int broadcast(int value);
  /// Every rank's `value`, on rank 0 (empty elsewhere).
  std::vector<int> gather(int value);
  /// Every rank's bytes, on rank 0 (empty elsewhere).
  std::vector<std::string> gather(const std::string& bytes);
  /// Rank 0 gives values[r] to rank r.
  int scatter(const std::vector<int>& values);
  /// One double to `rank`, and one back from it (clock pings).
  void send_value(int rank, wire::Tag tag, double value);
  double receive_value(int rank, wire::Tag tag);

  /// Ends every process of the communicator (RunOptions::on_error = abort).
  [[noreturn]] void abort(int code);

 private:
  struct Pending {
    MPI_Request request;
    std::vector<char> data;
  };
  MPI_Comm comm_;
  bool own_ = true;
  int rank_ = 0;
  int size_ = 1;
  std::deque<Pending> pending_;
  std::int64_t sent_ = 0;
  std::int64_t received_ = 0;
  std::int64_t sent_to_root_ = 0;
  std::int64_t received_done_ = 0;
};

}  // namespace amorsize::detail
