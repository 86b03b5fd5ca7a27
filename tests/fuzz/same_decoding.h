// Shared by the trace decoder fuzz targets: two decodings of one body must be equal field by
// field. The sidecar's payload classes are protobuf-lite (no reflection), so both are re-parsed
// into a full-runtime mirror (tests/testing, sidecar_proto_reflect) for MessageDifferencer. A NaN
// span metric is valid input (tracers send them) and NaN != NaN, so NaNs compare equal here; the
// default MessageDifferencer would call every such payload nondeterministic.
#ifndef SIDECAR_TESTS_FUZZ_SAME_DECODING_H_
#define SIDECAR_TESTS_FUZZ_SAME_DECODING_H_

#include <string>

#include "google/protobuf/message_lite.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/message_differencer.h"

namespace sidecar::fuzz {

// `Mirror` is the sidecar_reflect:: twin of the decoded messages' type. A payload that does not
// parse back (a string field that is not UTF-8) fails too: the intake's decoder would reject it.
template <typename Mirror>
bool SameDecoding(const google::protobuf::MessageLite& first,
                  const google::protobuf::MessageLite& second) {
  Mirror first_mirror;
  Mirror second_mirror;
  if (!first_mirror.ParseFromString(first.SerializeAsString()) ||
      !second_mirror.ParseFromString(second.SerializeAsString())) {
    return false;
  }
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  return differencer.Compare(first_mirror, second_mirror);
}

}  // namespace sidecar::fuzz

#endif  // SIDECAR_TESTS_FUZZ_SAME_DECODING_H_
