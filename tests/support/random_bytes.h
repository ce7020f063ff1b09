#pragma once
// Deterministic pseudo-random file contents for download fixtures: the same
// (size, seed) always gives the same bytes, so hashes can be compared.
#include <cstddef>
#include <cstdint>
#include <string>

namespace hubcap::testing {

std::string random_bytes(size_t size, uint64_t seed);

}  // namespace hubcap::testing
