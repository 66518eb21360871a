// A damaged protocol message: every decoder must decode it or refuse it with protocol_error,
// never read past its end or allocate beyond its size. The first byte picks the decoder.
#include "fuzz.hpp"
#include "runtime/wire.hpp"

using namespace amorsize::detail::wire;

AMORSIZE_FUZZ_TARGET {
  if (input.empty()) return;
  const ByteView message(input.data() + 1, input.size() - 1);
  switch (static_cast<unsigned char>(input[0]) % 9) {
    case 0: {
      const Chunk c = decode_chunk(message);
      (void)encode(c.header, c.items);
      break;
    }
    case 1: {
      const Result r = decode_result(message);
      const auto again = encode(r);
      if (again.size() != message.size) __builtin_trap();  // a decoded result re-encodes as it came
      break;
    }
    case 2:
      (void)decode_return(message);
      break;
    case 3:
      (void)encode(decode_lead(message));
      break;
    case 4: {
      const Batch b = decode_batch(message);
      (void)encode(b.header, b.parts, b.items);
      break;
    }
    case 5:
      (void)decode_status(message);
      break;
    case 6:
      decode_empty(message, Tag::kStop);
      break;
    case 7: {
      const Abort a = decode_abort(message);
      const Verdict v = decode_verdict(message);
      if (encode(a) != encode(v)) __builtin_trap();  // the same layout
      break;
    }
    case 8: {
      const Share s = decode_share(message);
      if (encode(s).size() != message.size) __builtin_trap();  // re-encodes as it came
      break;
    }
  }
}
