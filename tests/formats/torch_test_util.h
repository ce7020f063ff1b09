#pragma once
// Helpers for the zip, pickle and torch checkpoint tests: fixture paths, a
// reader that counts reads, a temp folder, and a builder for hand-made zip
// archives (zip64, deflate-flagged and padded entries).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "util/range_reader.h"

#include "support/temp_dir.h"

namespace hubcap::testing {

inline std::string torch_fixture(const std::string& rel) {
  return std::string(HUBCAP_SOURCE_DIR) + "/tests/data/torch/" + rel;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Counts the reads that reach the wrapped reader (one HTTP request each, remotely).
class CountingReader final : public RangeReader {
 public:
  explicit CountingReader(std::unique_ptr<RangeReader> inner) : inner_(std::move(inner)) {}
  Result<std::string> read(uint64_t offset, uint64_t length) override {
    ++reads;
    return inner_->read(offset, length);
  }
  Result<uint64_t> size() override { return inner_->size(); }
  std::string describe() const override { return inner_->describe(); }
  std::atomic<int> reads{0};

 private:
  std::unique_ptr<RangeReader> inner_;
};

struct ZipItem {
  std::string name;
  std::string data;
  uint16_t method = 0;
  uint16_t local_padding = 0;  // extra bytes in the local header only, as torch writes
};

// A zip archive with these entries. zip64 writes every entry and the end
// record with zip64 fields, as writers do for archives over 4 GiB.
inline std::string build_zip(const std::vector<ZipItem>& items, bool zip64 = false) {
  std::string out;
  auto put = [&out](uint64_t v, int width) {
    for (int i = 0; i < width; ++i) out.push_back(char((v >> (8 * i)) & 0xFF));
  };
  const uint32_t kFull = 0xFFFFFFFF;
  std::vector<uint64_t> offsets;
  for (const auto& it : items) {
    offsets.push_back(out.size());
    uint16_t extra = uint16_t(it.local_padding + (zip64 ? 20 : 0));
    put(0x04034b50, 4), put(45, 2), put(0, 2), put(it.method, 2), put(0, 4), put(0, 4);
    put(zip64 ? kFull : it.data.size(), 4), put(zip64 ? kFull : it.data.size(), 4);
    put(it.name.size(), 2), put(extra, 2);
    out += it.name;
    if (zip64) put(1, 2), put(16, 2), put(it.data.size(), 8), put(it.data.size(), 8);
    if (it.local_padding >= 4) {
      put(0x4246, 2), put(it.local_padding - 4, 2);  // an opaque "FB" padding field
      out.append(it.local_padding - 4, 'Z');
    } else {
      out.append(it.local_padding, '\0');
    }
    out += it.data;
  }
  uint64_t cd_offset = out.size();
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& it = items[i];
    put(0x02014b50, 4), put(45, 2), put(45, 2), put(0, 2), put(it.method, 2), put(0, 4), put(0, 4);
    put(zip64 ? kFull : it.data.size(), 4), put(zip64 ? kFull : it.data.size(), 4);
    put(it.name.size(), 2), put(zip64 ? 28 : 0, 2), put(0, 2), put(0, 2), put(0, 2), put(0, 4);
    put(zip64 ? kFull : offsets[i], 4);
    out += it.name;
    if (zip64) put(1, 2), put(24, 2), put(it.data.size(), 8), put(it.data.size(), 8), put(offsets[i], 8);
  }
  uint64_t cd_size = out.size() - cd_offset;
  if (zip64) {
    uint64_t record = out.size();
    put(0x06064b50, 4), put(44, 8), put(45, 2), put(45, 2), put(0, 4), put(0, 4);
    put(items.size(), 8), put(items.size(), 8), put(cd_size, 8), put(cd_offset, 8);
    put(0x07064b50, 4), put(0, 4), put(record, 8), put(1, 4);
  }
  put(0x06054b50, 4), put(0, 2), put(0, 2);
  put(zip64 ? 0xFFFF : items.size(), 2), put(zip64 ? 0xFFFF : items.size(), 2);
  put(zip64 ? kFull : cd_size, 4), put(zip64 ? kFull : cd_offset, 4), put(0, 2);
  return out;
}

}  // namespace hubcap::testing
