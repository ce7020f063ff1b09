// The other side of hubcap's cache-layout tests: @huggingface/hub (the peer
// in bench/node_modules) reading and writing the same Hugging Face cache.
//
//   node hf_js_cache.mjs scan CACHE_DIR
//       prints scanCacheDir's view as JSON: repos, revisions, files, warnings
//   node hf_js_cache.mjs download HUB_URL CACHE_DIR REPO PATH...
//       downloadFileToCacheDir for each path, then prints the pointer paths
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../bench/package.json"));
const hub = require("@huggingface/hub");

const [mode, ...args] = process.argv.slice(2);
if (mode === "scan") {
  const scan = await hub.scanCacheDir(args[0]);
  const repos = scan.repos.map((r) => ({
    id: r.id.name,
    type: r.id.type,
    size: r.size,
    revisions: r.revisions.map((v) => ({
      commit: v.commitOid,
      refs: [...v.refs].sort(),
      files: v.files.map((f) => ({ path: f.path, blob: f.blob.path, size: f.blob.size })),
    })),
  }));
  console.log(JSON.stringify({ repos, warnings: scan.warnings.map(String) }));
} else if (mode === "download") {
  const [hubUrl, cacheDir, repo, ...paths] = args;
  const pointers = [];
  for (const p of paths) pointers.push(await hub.downloadFileToCacheDir({ repo, path: p, hubUrl, cacheDir }));
  console.log(JSON.stringify(pointers));
} else {
  console.error("usage: hf_js_cache.mjs scan CACHE | download HUB_URL CACHE REPO PATH...");
  process.exit(2);
}
