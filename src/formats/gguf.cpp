#include "formats/gguf.h"

#include <bit>
#include <climits>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "formats/ggml_types.h"
#include "formats/gguf_cursor.h"
#include "util/checked_math.h"

namespace hubcap {
namespace {

constexpr uint32_t kLastValueType = 12;
constexpr uint64_t kDefaultAlignment = 32;
// Smallest encodings, used to bound counts by the bytes left in the file.
constexpr uint64_t kMinKeyValueBytes = 8 + 4 + 1;        // key length, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // name length, n_dims, type, offset

// Bytes of one scalar of this type; 0 for strings and arrays.
uint64_t scalar_width(GgufValueType type) {
  switch (type) {
    case GgufValueType::kU8: case GgufValueType::kI8: case GgufValueType::kBool: return 1;
    case GgufValueType::kU16: case GgufValueType::kI16: return 2;
    case GgufValueType::kU32: case GgufValueType::kI32: case GgufValueType::kF32: return 4;
    case GgufValueType::kU64: case GgufValueType::kI64: case GgufValueType::kF64: return 8;
    case GgufValueType::kString: case GgufValueType::kArray: return 0;
  }
  return 0;
}

uint64_t min_encoded_bytes(GgufValueType type) {
  if (type == GgufValueType::kString) return 8;      // length
  if (type == GgufValueType::kArray) return 4 + 8;   // element type, length
  return scalar_width(type);
}

bool is_signed(GgufValueType t) {
  return t == GgufValueType::kI8 || t == GgufValueType::kI16 || t == GgufValueType::kI32 || t == GgufValueType::kI64;
}

// A JSON string that dump() can always print: invalid UTF-8 becomes U+FFFD.
nlohmann::json utf8_json_string(const std::string& bytes) {
  std::string quoted = nlohmann::json(bytes).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(quoted, nullptr, /*allow_exceptions=*/false);
}

Error with_context(const std::string& context, const Error& e) { return Error{context + ": " + e.message, e.exit_code}; }

struct ArrayHeader {
  GgufValueType element_type;
  uint64_t length;
};

// Parses one GGUF header from a cursor. One instance per file.
class Parser {
 public:
  explicit Parser(GgufCursor& cur) : cur_(cur) {}

  Result<GgufFile> parse() {
    GgufFile file;
    file.file_size = cur_.file_size();
    auto version = read_preamble();
    if (!version) return version.error();
    file.version = *version;
    auto tensor_count = read_count("tensor", GgufLimits::kMaxTensors, kMinTensorInfoBytes);
    if (!tensor_count) return tensor_count.error();
    auto kv_count = read_count("metadata", GgufLimits::kMaxKeyValues, kMinKeyValueBytes);
    if (!kv_count) return kv_count.error();
    HUBCAP_TRY(read_metadata(*kv_count, file.metadata));
    auto alignment = alignment_of(file.metadata);
    if (!alignment) return alignment.error();
    file.alignment = *alignment;
    HUBCAP_TRY(read_tensor_infos(*tensor_count, file.tensors));
    uint64_t end = cur_.position();
    file.data_offset = end + (file.alignment - end % file.alignment) % file.alignment;
    HUBCAP_TRY(check_tensor_data(file));
    return file;
  }

 private:
  Result<uint32_t> read_preamble() {
    auto magic = cur_.take(4);
    if (!magic) return Error{"not a GGUF file (shorter than 4 bytes)"};
    if (*magic == "FUGG") return Error{"big-endian GGUF files are not supported"};
    if (*magic != "GGUF") return Error{"not a GGUF file (no GGUF magic)"};
    auto version = cur_.u32();
    if (!version) return version.error();
    if (*version == 1) return Error{"GGUF v1 is not supported"};
    if ((*version & 0xFFFF) == 0 && (*version >> 24) >= 1 && (*version >> 24) <= 3)
      return Error{"big-endian GGUF files are not supported"};
    if (*version != 2 && *version != 3) return Error{"unsupported GGUF version " + std::to_string(*version)};
    return *version;
  }

  Result<uint64_t> read_count(const char* what, uint64_t cap, uint64_t min_bytes_each) {
    auto n = cur_.u64();
    if (!n) return n.error();
    if (*n > cap)
      return Error{std::string(what) + " count " + std::to_string(*n) + " exceeds the limit of " + std::to_string(cap)};
    if (*n * min_bytes_each > cur_.remaining())
      return Error{std::string(what) + " count " + std::to_string(*n) + " cannot fit in the " +
                   std::to_string(cur_.remaining()) + " bytes left in the file"};
    return *n;
  }

  Status check_header_size() const {
    if (cur_.position() <= GgufLimits::kMaxHeaderBytes) return ok_status();
    return Error{"GGUF header is larger than " + std::to_string(GgufLimits::kMaxHeaderBytes) + " bytes"};
  }

  Result<uint64_t> read_length(uint64_t cap, const char* what) {
    auto n = cur_.u64();
    if (!n) return n.error();
    if (*n > cap)
      return Error{std::string(what) + " of " + std::to_string(*n) + " bytes exceeds the limit of " +
                   std::to_string(cap)};
    if (*n > cur_.remaining())
      return Error{std::string(what) + " of " + std::to_string(*n) + " bytes runs past the end of the file"};
    return *n;
  }

  Result<std::string> read_string(uint64_t cap, const char* what) {
    auto n = read_length(cap, what);
    if (!n) return n.error();
    if (*n > kept_string_bytes_left_)
      return Error{"metadata strings exceed " + std::to_string(GgufLimits::kMaxKeptStringBytes) + " bytes"};
    kept_string_bytes_left_ -= *n;
    auto bytes = cur_.take(*n);
    if (!bytes) return bytes.error();
    return std::string(*bytes);
  }

  Status skip_string() {
    auto n = read_length(GgufLimits::kMaxStringBytes, "string");
    if (!n) return n.error();
    HUBCAP_TRY(cur_.skip(*n));
    return check_header_size();
  }

  Result<GgufValueType> read_value_type() {
    auto t = cur_.u32();
    if (!t) return t.error();
    if (*t > kLastValueType) return Error{"unknown metadata value type " + std::to_string(*t)};
    return static_cast<GgufValueType>(*t);
  }

  Result<ArrayHeader> read_array_header(unsigned depth) {
    if (depth > GgufLimits::kMaxArrayDepth)
      return Error{"arrays nested deeper than " + std::to_string(GgufLimits::kMaxArrayDepth) + " levels"};
    auto element_type = read_value_type();
    if (!element_type) return element_type.error();
    auto length = cur_.u64();
    if (!length) return length.error();
    auto bytes = checked_mul(*length, min_encoded_bytes(*element_type));
    if (!bytes || *bytes > cur_.remaining())
      return Error{"array of " + std::to_string(*length) + " " +
                   std::string(gguf_value_type_name(*element_type)) + " elements cannot fit in the file"};
    return ArrayHeader{*element_type, *length};
  }

  Result<GgufValue> read_scalar(GgufValueType type) {
    GgufValue v;
    v.type = type;
    unsigned width = static_cast<unsigned>(scalar_width(type));
    auto raw = cur_.uint_le(width);
    if (!raw) return raw.error();
    if (type == GgufValueType::kF32) {
      v.f = std::bit_cast<float>(static_cast<uint32_t>(*raw));
    } else if (type == GgufValueType::kF64) {
      v.f = std::bit_cast<double>(*raw);
    } else if (type == GgufValueType::kBool) {
      v.u = *raw != 0;
    } else if (is_signed(type)) {
      unsigned shift = 64 - 8 * width;
      v.i = static_cast<int64_t>(*raw << shift) >> shift;
    } else {
      v.u = *raw;
    }
    return v;
  }

  // depth: how many arrays enclose this value.
  Result<GgufValue> read_value(GgufValueType type, unsigned depth) {
    if (type == GgufValueType::kString) {
      auto s = read_string(GgufLimits::kMaxStringBytes, "string");
      if (!s) return s.error();
      GgufValue v;
      v.type = type;
      v.s = std::move(*s);
      return v;
    }
    if (type == GgufValueType::kArray) return read_array(depth + 1);
    return read_scalar(type);
  }

  Result<GgufValue> read_array(unsigned depth) {
    auto header = read_array_header(depth);
    if (!header) return header.error();
    GgufValue v;
    v.type = GgufValueType::kArray;
    v.element_type = header->element_type;
    v.length = header->length;
    if (v.length > GgufLimits::kMaxKeptArrayLength || v.length > kept_items_left_) {
      v.elided = true;
      HUBCAP_TRY(skip_items(*header, depth));
      return v;
    }
    kept_items_left_ -= v.length;
    v.items.reserve(v.length);
    for (uint64_t k = 0; k < v.length; ++k) {
      auto item = read_value(v.element_type, depth);
      if (!item) return item.error();
      v.items.push_back(std::move(*item));
    }
    return v;
  }

  Status skip_items(const ArrayHeader& header, unsigned depth) {
    if (uint64_t width = scalar_width(header.element_type)) return cur_.skip(header.length * width);
    for (uint64_t k = 0; k < header.length; ++k) {
      if (header.element_type == GgufValueType::kString) {
        HUBCAP_TRY(skip_string());
        continue;
      }
      auto inner = read_array_header(depth + 1);
      if (!inner) return inner.error();
      HUBCAP_TRY(skip_items(*inner, depth + 1));
    }
    return ok_status();
  }

  Status read_metadata(uint64_t count, GgufMetadata& metadata) {
    std::unordered_set<std::string> seen;
    for (uint64_t k = 0; k < count; ++k) {
      std::string where = "metadata entry " + std::to_string(k + 1) + " of " + std::to_string(count);
      auto key = read_string(GgufLimits::kMaxKeyBytes, "metadata key");
      if (!key) return with_context(where, key.error());
      where = "metadata '" + *key + "'";
      if (!seen.insert(*key).second) return Error{"duplicate " + where};
      auto type = read_value_type();
      if (!type) return with_context(where, type.error());
      auto value = read_value(*type, 0);
      if (!value) return with_context(where, value.error());
      HUBCAP_TRY(check_header_size());
      metadata.entries.emplace_back(std::move(*key), std::move(*value));
    }
    return ok_status();
  }

  static Result<uint64_t> alignment_of(const GgufMetadata& metadata) {
    const GgufValue* v = metadata.find("general.alignment");
    if (!v) return kDefaultAlignment;
    auto a = v->as_uint();
    if (!a || *a == 0 || !std::has_single_bit(*a) || *a > (1ull << 30))
      return Error{"general.alignment must be a power of two up to 2^30"};
    return *a;
  }

  Status read_tensor_infos(uint64_t count, std::vector<GgufTensor>& tensors) {
    std::unordered_set<std::string> seen;
    for (uint64_t k = 0; k < count; ++k) {
      auto name = read_string(GgufLimits::kMaxKeyBytes, "tensor name");
      if (!name) return with_context("tensor " + std::to_string(k + 1) + " of " + std::to_string(count), name.error());
      std::string where = "tensor '" + *name + "'";
      if (!seen.insert(*name).second) return Error{"duplicate " + where};
      auto tensor = read_tensor_info(std::move(*name));
      if (!tensor) return with_context(where, tensor.error());
      HUBCAP_TRY(check_header_size());
      tensors.push_back(std::move(*tensor));
    }
    return ok_status();
  }

  Result<GgufTensor> read_tensor_info(std::string name) {
    GgufTensor t;
    t.info.name = std::move(name);
    auto n_dims = cur_.u32();
    if (!n_dims) return n_dims.error();
    if (*n_dims > GgufLimits::kMaxDims)
      return Error{"has " + std::to_string(*n_dims) + " dimensions; GGUF allows at most " +
                   std::to_string(GgufLimits::kMaxDims)};
    for (uint32_t d = 0; d < *n_dims; ++d) {
      auto dim = cur_.u64();
      if (!dim) return dim.error();
      t.info.shape.push_back(*dim);
    }
    auto elements = element_count(t.info.shape);
    if (!elements || *elements > uint64_t(INT64_MAX)) return Error{"element count overflows"};
    t.info.elements = *elements;
    auto type_id = cur_.u32();
    if (!type_id) return type_id.error();
    auto type = find_ggml_type(*type_id);
    if (!type) return type.error();
    t.ggml_type = type->id;
    t.info.dtype = std::string(type->name);
    auto bytes = ggml_tensor_bytes(*type, t.info.shape);
    if (!bytes) return bytes.error();
    t.info.bytes = *bytes;
    auto offset = cur_.u64();
    if (!offset) return offset.error();
    t.offset = *offset;
    return t;
  }

  static Status check_tensor_data(const GgufFile& file) {
    for (const auto& t : file.tensors) {
      std::string where = "tensor '" + t.info.name + "'";
      if (t.offset % file.alignment != 0)
        return Error{where + ": data offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                     std::to_string(file.alignment)};
      auto start = checked_add(file.data_offset, t.offset);
      auto end = start ? checked_add(*start, t.info.bytes) : std::nullopt;
      if (!end || *end > file.file_size)
        return Error{where + ": data (" + std::to_string(t.info.bytes) + " bytes at offset " +
                     std::to_string(t.offset) + ") runs past the end of the file (" + std::to_string(file.file_size) +
                     " bytes)"};
    }
    return ok_status();
  }

  GgufCursor& cur_;
  uint64_t kept_items_left_ = GgufLimits::kMaxKeptArrayItems;
  uint64_t kept_string_bytes_left_ = GgufLimits::kMaxKeptStringBytes;
};

}  // namespace

std::string_view gguf_value_type_name(GgufValueType type) {
  static constexpr std::string_view kNames[] = {"u8",  "i8",   "u16",    "i16",   "u32", "i32", "f32",
                                                "bool", "string", "array", "u64", "i64", "f64"};
  auto index = static_cast<uint32_t>(type);
  return index <= kLastValueType ? kNames[index] : "unknown";
}

std::optional<uint64_t> GgufValue::as_uint() const {
  switch (type) {
    case GgufValueType::kU8: case GgufValueType::kU16: case GgufValueType::kU32: case GgufValueType::kU64:
      return u;
    case GgufValueType::kI8: case GgufValueType::kI16: case GgufValueType::kI32: case GgufValueType::kI64:
      if (i >= 0) return static_cast<uint64_t>(i);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

const std::string* GgufValue::as_string() const { return type == GgufValueType::kString ? &s : nullptr; }

nlohmann::json GgufValue::to_json() const {
  switch (type) {
    case GgufValueType::kBool: return u != 0;
    case GgufValueType::kString: return utf8_json_string(s);
    case GgufValueType::kF32: case GgufValueType::kF64: return f;
    case GgufValueType::kArray: {
      if (elided)
        return nlohmann::json{{"array", std::string(gguf_value_type_name(element_type))}, {"length", length}};
      auto out = nlohmann::json::array();
      for (const auto& item : items) out.push_back(item.to_json());
      return out;
    }
    default:
      if (is_signed(type)) return i;
      return u;
  }
}

const GgufValue* GgufMetadata::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

std::optional<uint64_t> GgufMetadata::get_uint(std::string_view key) const {
  const GgufValue* v = find(key);
  return v ? v->as_uint() : std::nullopt;
}

std::optional<std::string> GgufMetadata::get_string(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v || !v->as_string()) return std::nullopt;
  return *v->as_string();
}

Result<GgufFile> read_gguf(RangeReader& reader) {
  // Names the source once, in front: reader errors name it already, and
  // the parser may have put its own context before theirs.
  auto located = [&](Error e) {
    const std::string prefix = reader.describe() + ": ";
    if (size_t inner = e.message.find(prefix); inner != std::string::npos) e.message.erase(inner, prefix.size());
    return with_context(reader.describe(), e);
  };
  auto cursor = GgufCursor::open(reader);
  if (!cursor) return located(cursor.error());
  auto file = Parser(*cursor).parse();
  if (!file) return located(file.error());
  return file;
}

WeightsSummary gguf_weights(const GgufFile& file) {
  WeightsSummary summary;
  for (const auto& t : file.tensors) summary.add(t.info);
  return summary;
}

GgufModelFacts gguf_model_facts(const GgufMetadata& metadata) {
  GgufModelFacts facts;
  facts.architecture = metadata.get_string("general.architecture").value_or("");
  facts.name = metadata.get_string("general.name").value_or("");
  facts.file_type = metadata.get_uint("general.file_type");
  const std::string arch = facts.architecture + ".";
  facts.context_length = metadata.get_uint(arch + "context_length");
  facts.block_count = metadata.get_uint(arch + "block_count");
  facts.embedding_length = metadata.get_uint(arch + "embedding_length");
  facts.head_count = metadata.get_uint(arch + "attention.head_count");
  facts.head_count_kv = metadata.get_uint(arch + "attention.head_count_kv");
  facts.split_count = metadata.get_uint("split.count");
  facts.split_no = metadata.get_uint("split.no");
  facts.split_tensors_count = metadata.get_uint("split.tensors.count");
  return facts;
}

}  // namespace hubcap
