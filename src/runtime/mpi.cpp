#include "mpi.hpp"

#include <cstdlib>

#include "polite_wait.hpp"

namespace amorsize::detail {

void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw error(std::string("amorsize: ") + what + " failed: " + std::string(text, length));
}

namespace {

int free_shared_duplicate(MPI_Comm, int, void* value, void*) {
  auto* comm = static_cast<MPI_Comm*>(value);
  MPI_Comm_free(comm);
  delete comm;
  return MPI_SUCCESS;
}

// The duplicate of `comm` that every run on it shares: made by the first (MPI_Comm_dup is
// collective and, with a rank late to it, cost up to 16 ms here) and kept as an attribute of
// `comm`, so MPI frees it with `comm` (MPI_COMM_WORLD's at MPI_Finalize). Runs can share it
// because each ends with nothing in flight.
MPI_Comm shared_duplicate(MPI_Comm comm) {
  static int keyval = MPI_KEYVAL_INVALID;
  if (keyval == MPI_KEYVAL_INVALID)
    check_mpi(
        MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, free_shared_duplicate, &keyval, nullptr),
        "MPI_Comm_create_keyval");
  MPI_Comm* kept = nullptr;
  int found = 0;
  check_mpi(MPI_Comm_get_attr(comm, keyval, &kept, &found), "MPI_Comm_get_attr");
  if (found && kept) return *kept;
  auto* dup = new MPI_Comm(MPI_COMM_NULL);
  const int rc = MPI_Comm_dup(comm, dup);
  if (rc != MPI_SUCCESS) {
    delete dup;
    check_mpi(rc, "MPI_Comm_dup");
  }
  MPI_Comm_set_errhandler(*dup, MPI_ERRORS_RETURN);
  check_mpi(MPI_Comm_set_attr(comm, keyval, dup), "MPI_Comm_set_attr");
  return *dup;
}

}  // namespace

Transport::Transport(MPI_Comm comm, Duplicate duplicate) : own_(duplicate == kOwn) {
  if (own_) {
    check_mpi(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup");
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  } else {
    comm_ = shared_duplicate(comm);
  }
  check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
}

Transport::~Transport() {
  try {
    flush();
  } catch (...) {  // an error already on its way out; the sends are abandoned with it
  }
  if (own_) MPI_Comm_free(&comm_);
}

void Transport::abort(int code) {
  MPI_Abort(comm_, code);
  std::abort();  // MPI_Abort does not return; if it did, the process must not go on
}

bool Transport::poll(Message& into) {
  int flag = 0;
  MPI_Status status;
  check_mpi(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, &status), "MPI_Iprobe");
  if (!flag) return false;
  int bytes = 0;
  check_mpi(MPI_Get_count(&status, MPI_BYTE, &bytes), "MPI_Get_count");
  into.bytes.resize(std::size_t(bytes));
  check_mpi(MPI_Recv(into.bytes.data(), bytes, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, comm_,
                     MPI_STATUS_IGNORE),
            "MPI_Recv");
  ++received_;
  into.source = status.MPI_SOURCE;
  into.tag = wire::tag_from_int(status.MPI_TAG);
  if (into.tag == wire::Tag::kDone) ++received_done_;
  return true;
}

void Transport::send(int rank, wire::Tag tag, std::vector<char> message) {
  ++sent_;
  if (rank == 0 && tag != wire::Tag::kDone) ++sent_to_root_;
  reap();
  pending_.push_back({MPI_REQUEST_NULL, std::move(message)});
  auto& p = pending_.back();
  check_mpi(
      MPI_Isend(p.data.data(), int(p.data.size()), MPI_BYTE, rank, int(tag), comm_, &p.request),
      "MPI_Isend");
}

void Transport::reap() {
  while (!pending_.empty()) {
    int done = 0;
    check_mpi(MPI_Test(&pending_.front().request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (!done) break;
    pending_.pop_front();
  }
}

void Transport::flush() {
  PoliteWait wait(PoliteWait::kWorker);
  while (!pending_.empty()) {
    reap();
    if (!pending_.empty()) wait.idle();
  }
}

void Transport::barrier() {
  check_mpi(MPI_Barrier(comm_), "MPI_Barrier");
}

int Transport::broadcast(int value) {
  check_mpi(MPI_Bcast(&value, 1, MPI_INT, 0, comm_), "MPI_Bcast");
  return value;
}

std::vector<int> Transport::gather(int value) {
  std::vector<int> all(rank_ == 0 ? std::size_t(size_) : 0);
  check_mpi(MPI_Gather(&value, 1, MPI_INT, all.data(), 1, MPI_INT, 0, comm_), "MPI_Gather");
  return all;
}

std::vector<std::string> Transport::gather(const std::string& bytes) {
  const std::vector<int> lengths = gather(int(bytes.size()));
  std::vector<int> offsets(lengths.size());
  std::vector<char> all;
  int total = 0;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    offsets[i] = total;
    total += lengths[i];
  }
  all.resize(std::size_t(total));
  check_mpi(MPI_Gatherv(bytes.data(), int(bytes.size()), MPI_CHAR, all.data(), lengths.data(),
                        offsets.data(), MPI_CHAR, 0, comm_),
            "MPI_Gatherv");
  std::vector<std::string> out(lengths.size());
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i].assign(all.data() + offsets[i], std::size_t(lengths[i]));
  return out;
}

int Transport::scatter(const std::vector<int>& values) {
  int value = 0;
  check_mpi(MPI_Scatter(values.data(), 1, MPI_INT, &value, 1, MPI_INT, 0, comm_), "MPI_Scatter");
  return value;
}

void Transport::send_value(int rank, wire::Tag tag, double value) {
  check_mpi(MPI_Send(&value, 1, MPI_DOUBLE, rank, int(tag), comm_), "MPI_Send");
}

double Transport::receive_value(int rank, wire::Tag tag) {
  double value = 0;
  check_mpi(MPI_Recv(&value, 1, MPI_DOUBLE, rank, int(tag), comm_, MPI_STATUS_IGNORE), "MPI_Recv");
  return value;
}

}  // namespace amorsize::detail
