#include "server/hub_routes.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "hub/url.h"

namespace hubcap {
namespace {

using nlohmann::json;

constexpr const char* kLastModified = "2024-01-01T00:00:00.000Z";

struct Route {
  enum Kind { kInfo, kTree, kPathsInfo, kResolve } kind = kInfo;
  std::string repo;
  std::string revision = "main";
  std::string path;  // tree: folder ("" = root); resolve: file
};

using Segments = std::vector<std::string>;

std::string join(const Segments& s, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) out += (i > from ? "/" : "") + s[i];
  return out;
}

// The decoded '/'-separated segments of the target's path; nullopt when an
// escape is malformed.
std::optional<Segments> path_segments(const std::string& target) {
  std::string_view path(target);
  path = path.substr(0, path.find('?'));
  Segments out;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) {
      auto seg = url_decode(path.substr(start, slash - start));
      if (!seg) return std::nullopt;
      out.push_back(std::move(*seg));
    }
    start = slash + 1;
  }
  return out;
}

// /api/models/{repo}[/revision/{rev} | /tree/{rev}[/{dir}] | /paths-info/{rev}],
// with the repo taking `n` segments after "api/models".
std::optional<Route> api_route(const Segments& s, size_t n) {
  if (s.size() < 2 + n) return std::nullopt;
  Route r;
  r.repo = join(s, 2, 2 + n);
  size_t rest = 2 + n;
  if (rest == s.size()) return r;
  if (s[rest] == "revision" && s.size() == rest + 2) {
    r.revision = s[rest + 1];
    return r;
  }
  if (s[rest] == "tree" && s.size() >= rest + 2) {
    r.kind = Route::kTree;
    r.revision = s[rest + 1];
    r.path = join(s, rest + 2, s.size());
    return r;
  }
  if (s[rest] == "paths-info" && s.size() == rest + 2) {
    r.kind = Route::kPathsInfo;
    r.revision = s[rest + 1];
    return r;
  }
  return std::nullopt;
}

// /{repo}/resolve/{rev}/{path}, with the repo taking `n` segments. /raw/ is
// served the same way: clients use it to test that a file exists (the Hub
// answers LFS files there with their pointer, which no client here reads).
std::optional<Route> resolve_route(const Segments& s, size_t n) {
  if (s.size() < n + 3 || (s[n] != "resolve" && s[n] != "raw")) return std::nullopt;
  Route r;
  r.kind = Route::kResolve;
  r.repo = join(s, 0, n);
  r.revision = s[n + 1];
  r.path = join(s, n + 2, s.size());
  return r;
}

// Repo ids are one or two segments; an existing repo wins, then the shape
// that parses (two segments first, as most ids are org/name).
std::optional<Route> parse_route(const Segments& s, const RepoStore& store) {
  bool api = s.size() >= 2 && s[0] == "api" && s[1] == "models";
  auto parse = [&](size_t n) { return api ? api_route(s, n) : resolve_route(s, n); };
  for (size_t n : {2, 1})
    if (auto r = parse(n); r && store.exists(r->repo)) return r;
  for (size_t n : {2, 1})
    if (auto r = parse(n)) return r;
  return std::nullopt;
}

void send_error(httplib::Response& res, int status, const char* code, const std::string& message) {
  res.status = status;
  if (code) res.set_header("X-Error-Code", code);
  res.set_header("X-Error-Message", message);
  res.set_content(json{{"error", message}}.dump(), "application/json");
}

void send_json(httplib::Response& res, const json& j) {
  res.status = 200;
  res.set_content(j.dump(), "application/json");
}

json model_info_json(const LocalRepo& repo) {
  json siblings = json::array();
  for (const auto& f : repo.files) siblings.push_back({{"rfilename", f.path}});
  size_t slash = repo.id.find('/');
  json j = {{"_id", repo.sha.substr(0, 24)},
            {"id", repo.id},
            {"modelId", repo.id},
            {"author", slash == std::string::npos ? json(nullptr) : json(repo.id.substr(0, slash))},
            {"sha", repo.sha},
            {"lastModified", kLastModified},
            {"createdAt", kLastModified},
            {"private", repo.is_private},
            {"gated", repo.gated.empty() ? json(false) : json(repo.gated)},
            {"disabled", false},
            {"downloads", 0},
            {"likes", 0},
            {"tags", json::array()},
            {"siblings", siblings}};
  if (auto st = repo.settings.find("safetensors"); st != repo.settings.end()) j["safetensors"] = *st;
  if (auto extra = repo.settings.find("extra_info"); extra != repo.settings.end() && extra->is_object())
    j.update(*extra);
  return j;
}

// One tree entry: a file (`file` set) or a folder.
struct TreeEntry {
  std::string path;
  const LocalFile* file = nullptr;
};

std::vector<TreeEntry> tree_entries(const LocalRepo& repo, const std::string& dir, bool recursive) {
  std::string prefix = dir.empty() ? "" : dir + "/";
  std::vector<TreeEntry> entries;
  std::set<std::string> folders;
  for (const auto& f : repo.files) {
    if (!f.path.starts_with(prefix)) continue;
    size_t slash = f.path.find('/', prefix.size());
    if (slash == std::string::npos || recursive) entries.push_back({f.path, &f});
    for (; slash != std::string::npos; slash = recursive ? f.path.find('/', slash + 1) : std::string::npos)
      folders.insert(f.path.substr(0, slash));
  }
  for (const auto& folder : folders) entries.push_back({folder, nullptr});
  std::sort(entries.begin(), entries.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
  return entries;
}

Result<json> tree_entry_json(const RouteContext& ctx, const LocalRepo& repo, const TreeEntry& e) {
  if (!e.file) return json{{"type", "directory"}, {"oid", std::string(40, '0')}, {"size", 0}, {"path", e.path}};
  auto git_oid = ctx.store.git_oid(repo, *e.file);
  if (!git_oid) return git_oid.error();
  json j = {{"type", "file"}, {"oid", *git_oid}, {"size", e.file->size}, {"path", e.path}};
  if (e.file->lfs) {
    auto oid = ctx.store.oid(repo, *e.file);
    if (!oid) return oid.error();
    j["lfs"] = {{"oid", *oid}, {"size", e.file->size}, {"pointerSize", 134}};
  }
  return j;
}

std::string param(const RouteContext& ctx, const char* key) {
  auto it = ctx.params.find(key);
  return it == ctx.params.end() ? "" : it->second;
}

std::string next_page_link(const RouteContext& ctx, const Route& route, size_t cursor) {
  std::string url = "http://" + ctx.host + "/api/models/" + route.repo + "/tree/" +
                    url_encode_component(route.revision) + (route.path.empty() ? "" : "/" + url_encode_path(route.path)) +
                    "?";
  for (const auto& [key, value] : ctx.params)
    if (key != "cursor") url += url_encode_component(key) + "=" + url_encode_component(value) + "&";
  return "<" + url + "cursor=" + std::to_string(cursor) + ">; rel=\"next\"";
}

void answer_tree(const RouteContext& ctx, const Route& route, const LocalRepo& repo, httplib::Response& res) {
  std::string recursive = param(ctx, "recursive");
  auto entries = tree_entries(repo, route.path, recursive == "true" || recursive == "1" || recursive == "True");
  if (entries.empty() && !route.path.empty())
    return send_error(res, 404, "EntryNotFound", route.path + " does not exist on \"" + route.revision + "\"");
  size_t cursor = 0;
  std::string c = param(ctx, "cursor");
  if (!c.empty() && std::from_chars(c.data(), c.data() + c.size(), cursor).ec != std::errc())
    return send_error(res, 400, nullptr, "Invalid cursor");
  size_t page = std::max<size_t>(1, ctx.options.page_size);
  size_t end = std::min(entries.size(), cursor + std::min(page, entries.size()));
  json out = json::array();
  for (size_t i = cursor; i < end; ++i) {
    auto j = tree_entry_json(ctx, repo, entries[i]);
    if (!j) return send_error(res, 500, nullptr, j.error().message);
    out.push_back(std::move(*j));
  }
  if (end < entries.size()) res.set_header("Link", next_page_link(ctx, route, end));
  send_json(res, out);
}

// The paths a paths-info request asks for, and whether it wants
// `lastCommit`: a JSON body ({"paths": [...], "expand": true}, as
// @huggingface/hub sends) or a form (paths=a&paths=b&expand=True, as
// huggingface_hub sends, which httplib has parsed into the params).
struct PathsQuery {
  std::vector<std::string> paths;
  bool expand = false;
};

std::optional<PathsQuery> paths_query(const RouteContext& ctx) {
  PathsQuery q;
  if (ctx.content_type.starts_with("application/json")) {
    json body = json::parse(ctx.body, nullptr, false);
    if (!body.is_object() || !body.contains("paths") || !body["paths"].is_array()) return std::nullopt;
    for (const auto& p : body["paths"]) {
      if (!p.is_string()) return std::nullopt;
      q.paths.push_back(p.get<std::string>());
    }
    q.expand = body.value("expand", json(false)) == json(true);
    return q;
  }
  for (auto [it, end] = ctx.params.equal_range("paths"); it != end; ++it) q.paths.push_back(it->second);
  std::string expand = param(ctx, "expand");
  q.expand = expand == "true" || expand == "True" || expand == "1";
  return q;
}

// POST /api/models/{repo}/paths-info/{rev}: the tree entry of each asked
// path that exists (files and folders); paths that do not exist are left
// out, as the Hub does.
void answer_paths_info(const RouteContext& ctx, const LocalRepo& repo, httplib::Response& res) {
  if (!ctx.post) return send_error(res, 405, nullptr, "paths-info takes a POST");
  auto query = paths_query(ctx);
  if (!query) return send_error(res, 400, nullptr, "expected {\"paths\": [...]}");
  std::map<std::string, TreeEntry> by_path;
  for (auto& e : tree_entries(repo, "", true)) by_path.emplace(e.path, e);
  json out = json::array();
  for (const auto& path : query->paths) {
    auto found = by_path.find(path);
    if (found == by_path.end()) continue;
    auto j = tree_entry_json(ctx, repo, found->second);
    if (!j) return send_error(res, 500, nullptr, j.error().message);
    if (query->expand) (*j)["lastCommit"] = {{"id", repo.sha}, {"title", "mirror"}, {"date", kLastModified}};
    out.push_back(std::move(*j));
  }
  send_json(res, out);
}

struct Slice {
  uint64_t offset = 0;
  uint64_t length = 0;
};

// A single "bytes=a-b" / "bytes=a-" / "bytes=-n" range over `size` bytes:
// nullopt to serve the whole file (no or unsupported Range), a zero-length
// slice when unsatisfiable.
std::optional<Slice> parse_range(std::string_view header, uint64_t size) {
  if (!header.starts_with("bytes=") || header.find(',') != std::string_view::npos) return std::nullopt;
  header.remove_prefix(6);
  size_t dash = header.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view s) -> std::optional<uint64_t> {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
  };
  auto first = number(header.substr(0, dash)), last = number(header.substr(dash + 1));
  if (!first && !last) return std::nullopt;
  if (!first) {  // suffix: the last n bytes
    uint64_t n = std::min(*last, size);
    return Slice{size - n, n};
  }
  if (*first >= size || (last && *last < *first)) return Slice{size, 0};
  uint64_t end = last ? std::min(*last + 1, size) : size;
  return Slice{*first, end - *first};
}

struct OpenFile {
  int fd = -1;
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
};

// Streams bytes [slice.offset, slice.offset + slice.length) of the file.
void stream_file(const RouteContext& ctx, const std::string& path, Slice slice, httplib::Response& res) {
  auto file = std::make_shared<OpenFile>();
  file->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file->fd < 0) return send_error(res, 500, nullptr, "cannot open the file");
  std::atomic<uint64_t>* sent = &ctx.bytes_sent;
  res.set_content_provider(
      static_cast<size_t>(slice.length), "application/octet-stream",
      [file, slice, sent](size_t offset, size_t length, httplib::DataSink& sink) {
        std::string buf(std::min<size_t>(length, 256 << 10), '\0');
        ssize_t got = ::pread(file->fd, buf.data(), buf.size(), static_cast<off_t>(slice.offset + offset));
        if (got <= 0) return false;
        *sent += static_cast<uint64_t>(got);
        return sink.write(buf.data(), static_cast<size_t>(got));
      });
}

// HEAD (what downloaders use to learn the ETag) hashes when it must; a GET
// only tells an oid that is known without hashing a large file.
std::optional<std::string> etag_oid(const RouteContext& ctx, const LocalRepo& repo, const LocalFile& file) {
  if (!ctx.head) return ctx.store.cheap_oid(repo, file);
  auto oid = ctx.store.oid(repo, file);
  return oid ? std::optional<std::string>(*oid) : std::nullopt;
}

void answer_resolve(const RouteContext& ctx, const Route& route, const LocalRepo& repo, bool authorized,
                    httplib::Response& res) {
  if (!repo.gated.empty() && !authorized)
    return send_error(res, ctx.authorization.empty() ? 401 : 403, "GatedRepo",
                      "Access to model " + repo.id + " is restricted. You must have access to it and be authenticated to access it. Please log in.");
  const LocalFile* file = repo.find(route.path);
  if (!file) return send_error(res, 404, "EntryNotFound", "Entry not found");
  res.set_header("X-Repo-Commit", repo.sha);
  res.set_header("Accept-Ranges", "bytes");
  if (auto oid = etag_oid(ctx, repo, *file)) {
    res.set_header("ETag", "\"" + *oid + "\"");
    if (file->lfs) res.set_header("X-Linked-Etag", "\"" + *oid + "\"");
  }
  if (file->lfs) res.set_header("X-Linked-Size", std::to_string(file->size));
  Slice slice{0, file->size};
  res.status = 200;
  if (auto asked = parse_range(ctx.range, file->size)) {
    if (asked->length == 0) {
      res.set_header("Content-Range", "bytes */" + std::to_string(file->size));
      return send_error(res, 416, nullptr, "Requested range not satisfiable");
    }
    slice = *asked;
    res.status = 206;
    res.set_header("Content-Range", "bytes " + std::to_string(slice.offset) + "-" +
                                        std::to_string(slice.offset + slice.length - 1) + "/" +
                                        std::to_string(file->size));
  }
  if (slice.length == 0) return res.set_content("", "application/octet-stream");
  stream_file(ctx, (repo.dir / file->path).string(), slice, res);
}

uint64_t repo_stat(const LocalRepo& repo, const char* key) {
  for (const json* j : {&repo.settings, repo.settings.contains("extra_info") ? &repo.settings["extra_info"] : nullptr})
    if (j && j->is_object() && j->contains(key) && (*j)[key].is_number_unsigned()) return (*j)[key].get<uint64_t>();
  return 0;
}

bool has_file_ending(const LocalRepo& repo, const std::string& ext) {
  return std::any_of(repo.files.begin(), repo.files.end(), [&](const LocalFile& f) { return f.path.ends_with(ext); });
}

// GET /api/models?search=&author=&filter=gguf|safetensors&sort=downloads|likes&limit=:
// public repos whose id contains `search`, most downloaded (or liked) first.
void answer_search(const RouteContext& ctx, httplib::Response& res) {
  std::string search = param(ctx, "search"), author = param(ctx, "author"), filter = param(ctx, "filter");
  std::string sort = param(ctx, "sort");
  size_t limit = 1000;
  if (std::string l = param(ctx, "limit"); !l.empty()) std::from_chars(l.data(), l.data() + l.size(), limit);
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::vector<LocalRepo> found;
  for (const auto& id : ctx.store.repo_ids()) {
    auto loaded = ctx.store.load(id);
    if (!loaded || !*loaded || (*loaded)->is_private) continue;
    const LocalRepo& repo = **loaded;
    if (lower(repo.id).find(lower(search)) == std::string::npos) continue;
    if (!author.empty() && !repo.id.starts_with(author + "/")) continue;
    if (!filter.empty() && !has_file_ending(repo, "." + filter)) continue;
    found.push_back(repo);
  }
  const char* key = sort == "likes" ? "likes" : "downloads";
  if (sort == "downloads" || sort == "likes")
    std::stable_sort(found.begin(), found.end(), [&](const LocalRepo& a, const LocalRepo& b) {
      return repo_stat(a, key) > repo_stat(b, key);
    });
  json out = json::array();
  for (size_t i = 0; i < found.size() && i < limit; ++i) {
    json tags = json::array();
    for (const char* format : {"gguf", "safetensors"})
      if (has_file_ending(found[i], std::string(".") + format)) tags.push_back(format);
    out.push_back({{"id", found[i].id}, {"modelId", found[i].id}, {"downloads", repo_stat(found[i], "downloads")},
                   {"likes", repo_stat(found[i], "likes")}, {"lastModified", kLastModified}, {"tags", tags}});
  }
  send_json(res, out);
}

}  // namespace

void answer_route(const RouteContext& ctx, httplib::Response& res) {
  auto segments = path_segments(ctx.target);
  if (!segments) return send_error(res, 400, nullptr, "Malformed URL");
  if (*segments == Segments{"api", "models"}) return answer_search(ctx, res);
  auto route = parse_route(*segments, ctx.store);
  if (!route) return send_error(res, 404, nullptr, "Not Found");
  auto loaded = ctx.store.load(route->repo);
  if (!loaded) return send_error(res, 500, nullptr, loaded.error().message);
  bool authorized = ctx.authorization == "Bearer " + ctx.options.token;
  const std::optional<LocalRepo>& repo = *loaded;
  if (!repo || (repo->is_private && !authorized))
    return send_error(res, repo && ctx.authorization.empty() ? 401 : 404, "RepoNotFound", "Repository not found");
  if (!repo->has_revision(route->revision))
    return send_error(res, 404, "RevisionNotFound", "Invalid rev id: " + route->revision);
  switch (route->kind) {
    case Route::kInfo:
      return send_json(res, model_info_json(*repo));
    case Route::kTree:
      return answer_tree(ctx, *route, *repo, res);
    case Route::kPathsInfo:
      return answer_paths_info(ctx, *repo, res);
    case Route::kResolve:
      return answer_resolve(ctx, *route, *repo, authorized, res);
  }
}

void answer_fault(const Fault& fault, httplib::Response& res, const std::atomic<bool>& stopping) {
  switch (fault.kind) {
    case FaultKind::kServiceUnavailable:
      return send_error(res, 503, nullptr, "Service Unavailable");
    case FaultKind::kTooManyRequests:
      res.set_header("Retry-After", std::to_string(fault.retry_after_s));
      return send_error(res, 429, nullptr, "Too Many Requests");
    case FaultKind::kDropConnection:
      // Promise a body, send a little of it, then give up: the client sees
      // the connection close mid-transfer.
      res.status = 200;
      res.set_content_provider(1 << 20, "application/octet-stream", [](size_t, size_t, httplib::DataSink& sink) {
        sink.write("partial", 7);
        return false;
      });
      return;
    case FaultKind::kStall:
      res.status = 200;
      res.set_content_provider(1 << 20, "application/octet-stream",
                               [&stopping](size_t, size_t, httplib::DataSink&) {
                                 while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(10));
                                 return false;
                               });
      return;
    case FaultKind::kCutBody:
    case FaultKind::kCorruptByte:
      return;  // damage_body's job
  }
}

bool is_body_fault(FaultKind kind) { return kind == FaultKind::kCutBody || kind == FaultKind::kCorruptByte; }

void damage_body(const Fault& fault, httplib::Response& res) {
  if (!res.content_provider_ || res.content_length_ == 0) return;
  auto inner = std::move(res.content_provider_);
  size_t middle = res.content_length_ / 2;
  if (fault.kind == FaultKind::kCutBody) {
    res.content_provider_ = [inner, middle](size_t offset, size_t length, httplib::DataSink& sink) {
      if (offset >= middle) return false;  // closes the connection mid-body
      return inner(offset, std::min(length, middle - offset), sink);
    };
    return;
  }
  res.content_provider_ = [inner, middle](size_t offset, size_t length, httplib::DataSink& sink) {
    httplib::DataSink flipping;
    flipping.is_writable = sink.is_writable;
    flipping.done = sink.done;
    size_t at = offset;
    flipping.write = [&](const char* data, size_t n) {
      std::string piece(data, n);
      if (middle >= at && middle < at + n) piece[middle - at] = static_cast<char>(piece[middle - at] ^ 0x5a);
      at += n;
      return sink.write(piece.data(), piece.size());
    };
    return inner(offset, length, flipping);
  };
}

}  // namespace hubcap
