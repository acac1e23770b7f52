// "Did you mean ...?" for mistyped commands, flags and property names.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace tandem::ctl {

//! Edit distance between a and b; swapping two neighbours is one edit.
size_t EditDistance(absl::string_view a, absl::string_view b);

//! The candidate closest to `typed` if it is close enough to be a likely
//! typo (distance ≤ 2 and at most half the word), or the only one `typed`
//! is a prefix of; empty otherwise.
std::string ClosestMatch(absl::string_view typed, const std::vector<std::string>& candidates);

}  // namespace tandem::ctl
