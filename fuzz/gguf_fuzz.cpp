// Fuzzes the GGUF header reader (and the config rebuilt from its metadata): any bytes must give a GgufFile or an Error,
// never a crash, a hang or a huge allocation.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "formats/gguf.h"
#include "formats/gguf_config.h"
#include "util/range_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto reader = hubcap::make_memory_reader(std::string(reinterpret_cast<const char*>(data), size), "fuzz.gguf");
  auto file = hubcap::read_gguf(*reader);
  if (file.ok()) {
    auto summary = hubcap::gguf_weights(*file);
    for (const auto& [key, value] : file->metadata.entries) (void)value.to_json().dump();
    (void)hubcap::gguf_model_facts(file->metadata);
    (void)hubcap::config_from_gguf(file->metadata, true).dump();
    (void)summary.total();
  }
  return 0;
}
