#include "wire.hpp"

#include <cstring>
#include <type_traits>

namespace amorsize::detail::wire {

namespace {

template <class T>
void put(std::vector<char>& out, const T& value) {
  static_assert(std::is_trivially_copyable_v<T>);
  const auto at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));
}

void put(std::vector<char>& out, ByteView bytes) {
  out.insert(out.end(), bytes.data, bytes.data + bytes.size);
}

// Reads a message front to back; every read is checked against what is left.
class Reader {
 public:
  Reader(ByteView message, const char* what)
      : p_(message.data), end_(p_ + message.size), what_(what) {}
  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    std::memcpy(&value, take(sizeof(T)), sizeof(T));
    return value;
  }
  const char* take(std::size_t n) {
    if (left() < n) fail("truncated");
    const char* at = p_;
    p_ += n;
    return at;
  }
  // A count read from the message: non-negative, and at most what the rest could hold at
  // `min_bytes` each (so a damaged count never allocates more than the message's size).
  std::size_t count(std::int64_t n, std::size_t min_bytes, const char* of) const {
    if (n < 0 || std::uint64_t(n) > left() / min_bytes)
      fail(std::string("impossible count of ") + of + " (" + std::to_string(n) + ")");
    return std::size_t(n);
  }
  ByteView rest() {
    ByteView v(p_, left());
    p_ = end_;
    return v;
  }
  std::size_t left() const { return std::size_t(end_ - p_); }
  void done() const {
    if (left() != 0) fail(std::to_string(left()) + " bytes too many");
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw protocol_error(std::string("amorsize: malformed ") + what_ + " message: " + why);
  }

 private:
  const char* p_;
  const char* end_;
  const char* what_;
};

// A failure on the wire: the index, the message's length (uint32), the message.
constexpr std::size_t kFailureMinBytes = sizeof(std::int64_t) + sizeof(std::uint32_t);

void put_failures(std::vector<char>& out, const std::vector<Failure>& failures) {
  for (const auto& f : failures) {
    put(out, f.index);
    put(out, std::uint32_t(f.message.size()));
    out.insert(out.end(), f.message.begin(), f.message.end());
  }
}

std::vector<Failure> get_failures(Reader& in, std::int64_t n) {
  std::vector<Failure> failures(in.count(n, kFailureMinBytes, "failures"));
  for (auto& f : failures) {
    f.index = in.get<std::int64_t>();
    const auto length = in.get<std::uint32_t>();
    f.message.assign(in.take(length), length);
  }
  return failures;
}

// A fixed header, then bytes (a chunk's or a hand-back's items).
template <class Header>
std::vector<char> header_then(const Header& header, ByteView bytes) {
  std::vector<char> out;
  out.reserve(sizeof header + bytes.size);
  put(out, header);
  put(out, bytes);
  return out;
}

void check_items(Reader& in, std::int64_t count) {
  if (count < 0) in.fail("negative item count (" + std::to_string(count) + ")");
}

}  // namespace

const char* name(Tag tag) {
  switch (tag) {
    case Tag::kPing:
      return "kPing";
    case Tag::kChunk:
      return "kChunk";
    case Tag::kResult:
      return "kResult";
    case Tag::kStatus:
      return "kStatus";
    case Tag::kStop:
      return "kStop";
    case Tag::kLead:
      return "kLead";
    case Tag::kBatch:
      return "kBatch";
    case Tag::kReturn:
      return "kReturn";
    case Tag::kAbort:
      return "kAbort";
    case Tag::kDone:
      return "kDone";
    case Tag::kVerdict:
      return "kVerdict";
    case Tag::kShare:
      return "kShare";
    case Tag::kEnd:
      return "kEnd";
    case Tag::kLoopRange:
      return "kLoopRange";
    case Tag::kLoopRequest:
      return "kLoopRequest";
    case Tag::kLoopEnd:
      return "kLoopEnd";
  }
  return "unknown";
}

Tag tag_from_int(int tag) {
  switch (Tag(tag)) {
    case Tag::kPing:
    case Tag::kChunk:
    case Tag::kResult:
    case Tag::kStatus:
    case Tag::kStop:
    case Tag::kLead:
    case Tag::kBatch:
    case Tag::kReturn:
    case Tag::kAbort:
    case Tag::kDone:
    case Tag::kVerdict:
    case Tag::kShare:
    case Tag::kEnd:
    case Tag::kLoopRange:
    case Tag::kLoopRequest:
    case Tag::kLoopEnd:
      return Tag(tag);
  }
  throw protocol_error("amorsize: a message with tag " + std::to_string(tag) +
                       ", which the protocol does not use");
}

std::vector<char> encode(const ChunkHeader& header, ByteView items) {
  return header_then(header, items);
}

Chunk decode_chunk(ByteView message) {
  Reader in(message, "kChunk");
  Chunk c;
  c.header = in.get<ChunkHeader>();
  check_items(in, c.header.count);
  c.items = in.rest();
  return c;
}

std::vector<char> encode(const ReturnHeader& header, ByteView items) {
  return header_then(header, items);
}

Return decode_return(ByteView message) {
  Reader in(message, "kReturn");
  Return r;
  r.header = in.get<ReturnHeader>();
  check_items(in, r.header.count);
  if (r.header.whole != 0 && r.header.whole != 1)
    in.fail("'whole' is " + std::to_string(r.header.whole));
  r.items = in.rest();
  return r;
}

std::vector<char> encode(const Result& r) {
  ResultHeader h = r.header;
  h.results_bytes = std::int64_t(r.results.size());
  h.failures = std::int64_t(r.failures.size());
  h.measured = r.measured ? 1 : r.timed ? 2 : 0;
  h.parts = std::int64_t(r.parts.size());
  std::vector<char> out;
  out.reserve(sizeof h + r.results.size() + 32 * r.failures.size() +
              sizeof(double) * (r.item_seconds.size() + 1) + sizeof(PartRecord) * r.parts.size());
  put(out, h);
  out.insert(out.end(), r.results.begin(), r.results.end());
  put_failures(out, r.failures);
  if (r.measured || r.timed)
    for (double t : r.item_seconds) put(out, t);
  if (r.measured) put(out, r.memory_growth_bytes);
  for (const auto& p : r.parts) put(out, p);
  return out;
}

Result decode_result(ByteView message) {
  Reader in(message, "kResult");
  Result r;
  r.header = in.get<ResultHeader>();
  const auto& h = r.header;
  check_items(in, h.count);
  const std::size_t bytes = in.count(h.results_bytes, 1, "result bytes");
  const char* results = in.take(bytes);
  r.results.assign(results, results + bytes);
  r.failures = get_failures(in, h.failures);
  if (h.measured < 0 || h.measured > 2) in.fail("'measured' is " + std::to_string(h.measured));
  r.measured = h.measured == 1;
  r.timed = h.measured == 2;
  if (r.measured || r.timed) {
    r.item_seconds.resize(in.count(h.count, sizeof(double), "item times"));
    for (auto& t : r.item_seconds) t = in.get<double>();
  }
  if (r.measured) r.memory_growth_bytes = in.get<double>();
  r.parts.resize(in.count(h.parts, sizeof(PartRecord), "parts"));
  for (auto& p : r.parts) p = in.get<PartRecord>();
  in.done();
  return r;
}

std::vector<char> encode(const Lead& lead) {
  struct {
    std::int32_t workers;
    std::int32_t inflight;
    double chunk_seconds;
    std::int64_t chunk_flags;
  } header{std::int32_t(lead.workers.size()), lead.inflight, lead.chunk_seconds, lead.chunk_flags};
  std::vector<char> out;
  put(out, header);
  for (auto r : lead.workers) put(out, r);
  return out;
}

Lead decode_lead(ByteView message) {
  Reader in(message, "kLead");
  Lead lead;
  const auto workers = in.get<std::int32_t>();
  lead.inflight = in.get<std::int32_t>();
  lead.chunk_seconds = in.get<double>();
  lead.chunk_flags = in.get<std::int64_t>();
  if (lead.chunk_flags & ~std::int64_t(wire::kTimeItems))
    in.fail("chunk flags " + std::to_string(lead.chunk_flags));
  lead.workers.resize(in.count(workers, sizeof(std::int32_t), "workers"));
  for (auto& r : lead.workers) r = in.get<std::int32_t>();
  in.done();
  return lead;
}

std::vector<char> encode(const BatchHeader& header, const std::vector<PartHeader>& parts,
                         ByteView items) {
  BatchHeader h = header;
  h.parts = std::int64_t(parts.size());
  std::vector<char> out;
  out.reserve(sizeof h + parts.size() * sizeof(PartHeader) + items.size);
  put(out, h);
  for (const auto& p : parts) put(out, p);
  put(out, items);
  return out;
}

Batch decode_batch(ByteView message) {
  Reader in(message, "kBatch");
  Batch b;
  b.header = in.get<BatchHeader>();
  check_items(in, b.header.count);
  b.parts.resize(in.count(b.header.parts, sizeof(PartHeader), "parts"));
  std::int64_t items = 0;
  for (auto& p : b.parts) {
    p = in.get<PartHeader>();
    check_items(in, p.count);
    if (p.count > b.header.count - items) in.fail("parts of more items than the batch");
    if (p.bytes < 0 || std::uint64_t(p.bytes) > message.size)
      in.fail("a part of " + std::to_string(p.bytes) + " bytes");
    items += p.count;
  }
  if (items != b.header.count)
    in.fail("parts of " + std::to_string(items) + " items in a batch of " +
            std::to_string(b.header.count));
  b.items = in.rest();
  std::uint64_t bytes = 0;
  for (const auto& p : b.parts) bytes += std::uint64_t(p.bytes);
  if (bytes != b.items.size)
    in.fail("parts of " + std::to_string(bytes) + " bytes with " + std::to_string(b.items.size) +
            " bytes of items");
  return b;
}

namespace {
// A message that is one fixed-size struct.
template <class T>
std::vector<char> just(const T& value) {
  std::vector<char> out;
  put(out, value);
  return out;
}
template <class T>
T just(ByteView message, const char* what) {
  Reader in(message, what);
  const auto value = in.get<T>();
  in.done();
  return value;
}
}  // namespace

std::vector<char> encode(const Status& status) {
  return just(status);
}

Status decode_status(ByteView message) {
  return just<Status>(message, "kStatus");
}

std::vector<char> encode(const LoopRange& range) {
  return just(range);
}

LoopRange decode_loop_range(ByteView message) {
  const auto r = just<LoopRange>(message, "kLoopRange");
  if (r.hi < r.lo)
    throw protocol_error("amorsize: malformed kLoopRange message: [" + std::to_string(r.lo) + ", " +
                         std::to_string(r.hi) + ")");
  return r;
}

std::vector<char> encode(const LoopRequest& request) {
  return just(request);
}

LoopRequest decode_loop_request(ByteView message) {
  return just<LoopRequest>(message, "kLoopRequest");
}

std::vector<char> encode(const LoopEnd& end) {
  std::vector<char> out;
  put(out, end.call);
  put(out, end.wait_seconds);
  put(out, std::int64_t(end.pieces.size()));
  for (const auto& p : end.pieces) put(out, p);
  return out;
}

LoopEnd decode_loop_end(ByteView message) {
  Reader in(message, "kLoopEnd");
  LoopEnd e;
  e.call = in.get<std::int64_t>();
  e.wait_seconds = in.get<double>();
  e.pieces.resize(in.count(in.get<std::int64_t>(), sizeof(LoopPiece), "pieces"));
  for (auto& p : e.pieces) {
    p = in.get<LoopPiece>();
    if (p.hi < p.lo)
      throw protocol_error("amorsize: malformed kLoopEnd message: a piece ends before it begins");
  }
  in.done();
  return e;
}

std::vector<char> encode(const Share& share) {
  std::vector<char> out;
  put(out, share.threads);
  put(out, std::int32_t(share.cpus.size()));
  for (const auto& cpus : share.cpus) {
    put(out, std::int32_t(cpus.size()));
    for (auto c : cpus) put(out, c);
  }
  return out;
}

Share decode_share(ByteView message) {
  Reader in(message, "kShare");
  Share s;
  s.threads = in.get<std::int32_t>();
  if (s.threads < 1)
    throw protocol_error("amorsize: malformed kShare message: a share of " +
                         std::to_string(s.threads) + " threads");
  const auto workers = in.get<std::int32_t>();
  s.cpus.resize(in.count(workers, sizeof(std::int32_t), "workers"));
  for (auto& cpus : s.cpus) {
    cpus.resize(in.count(in.get<std::int32_t>(), sizeof(std::int32_t), "cpus"));
    for (auto& c : cpus) {
      c = in.get<std::int32_t>();
      if (c < 0)
        throw protocol_error("amorsize: malformed kShare message: CPU " + std::to_string(c));
    }
  }
  in.done();
  return s;
}

std::vector<char> encode_empty() {
  return {};
}

void decode_empty(ByteView message, Tag tag) {
  Reader(message, name(tag)).done();
}

std::vector<char> encode_done(std::int64_t sent_to_root) {
  std::vector<char> out;
  put(out, sent_to_root);
  return out;
}

std::int64_t decode_done(ByteView message) {
  Reader in(message, "kDone");
  const auto sent = in.get<std::int64_t>();
  in.done();
  if (sent < 0) in.fail("negative message count (" + std::to_string(sent) + ")");
  return sent;
}

namespace {
// An int32, then the rest of the message as text.
std::vector<char> number_then_text(std::int32_t number, const std::string& text) {
  std::vector<char> out;
  put(out, number);
  out.insert(out.end(), text.begin(), text.end());
  return out;
}
std::pair<std::int32_t, std::string> number_and_text(ByteView message, const char* what) {
  Reader in(message, what);
  const auto number = in.get<std::int32_t>();
  const ByteView text = in.rest();
  return {number, std::string(text.data, text.size)};
}
}  // namespace

std::vector<char> encode(const Abort& abort) {
  return number_then_text(abort.leader, abort.message);
}

Abort decode_abort(ByteView message) {
  auto [leader, text] = number_and_text(message, "kAbort");
  return {leader, std::move(text)};
}

std::vector<char> encode(const Verdict& verdict) {
  return number_then_text(verdict.failed_rank, verdict.message);
}

Verdict decode_verdict(ByteView message) {
  auto [rank, text] = number_and_text(message, "kVerdict");
  return {rank, std::move(text)};
}

}  // namespace amorsize::detail::wire
