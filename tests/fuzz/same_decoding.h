// Shared by the trace decoder fuzz targets: two decodings of one body must be equal field by
// field. A NaN span metric is valid input (tracers send them) and NaN != NaN, so NaNs compare
// equal here; the default MessageDifferencer would call every such payload nondeterministic.
#ifndef SIDECAR_TESTS_FUZZ_SAME_DECODING_H_
#define SIDECAR_TESTS_FUZZ_SAME_DECODING_H_

#include "google/protobuf/message.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/message_differencer.h"

namespace sidecar::fuzz {

inline bool SameDecoding(const google::protobuf::Message& first,
                         const google::protobuf::Message& second) {
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  return differencer.Compare(first, second);
}

}  // namespace sidecar::fuzz

#endif  // SIDECAR_TESTS_FUZZ_SAME_DECODING_H_
