#!/usr/bin/env bash
# Prepares the blobs of the dupip BOSH release (bosh-release/) from this machine, without network,
# and writes config/blobs.yml with their sizes and sha256 digests, as `bosh add-blob` would
# (`bosh upload-blobs` later adds the object ids):
#
#   nodejs/node-v<VERSION>-linux-<ARCH>.tar.gz   Node.js in the official tarball layout (bin/node,
#                                                include/node/, lib/node_modules/npm), built from
#                                                this machine's Node.js: only the npm registry and
#                                                Debian's archive are reachable here, not nodejs.org.
#                                                Rebuilt only when that Node.js changes.
#   dupip/dupip-<VERSION>.tgz                    `npm pack` of the project (dist/ must be built)
#   dupip/dupip-<VERSION>-npm-cache.tar.gz       an npm cache with exactly the production
#                                                dependencies (copied from this machine's npm
#                                                cache) and their package-lock.json
#
# It also brings jobs/dupip_alerts and jobs/dupip_dashboards up to date with alerts/ and dashboards/.
#
#   scripts/bosh-blobs.sh [--release-dir DIR] [--no-build]
#     --release-dir DIR  the release directory to fill (default: bosh-release)
#     --no-build         package the current dist/ instead of running `npm run build` first
#   NODE_TARBALL=FILE    use this official node-v<VERSION>-linux-<ARCH>.tar.gz (from nodejs.org) as
#                        the Node.js blob instead of assembling one
#
# Needs: node and npm (the npm cache must hold the production dependencies: run `npm ci` once),
# tar, gzip, sha256sum, flock. Then: cd bosh-release && bosh create-release --force
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
RELEASE=$ROOT/bosh-release
BUILD=1

while [ $# -gt 0 ]; do
  case "$1" in
    --release-dir) RELEASE=$(cd "$2" && pwd); shift 2 ;;
    --release-dir=*) RELEASE=$(cd "${1#*=}" && pwd); shift ;;
    --no-build) BUILD=0; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bosh-blobs: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'bosh-blobs: %s\n' "$*"; }
die() { printf 'bosh-blobs: error: %s\n' "$*" >&2; exit 1; }

[ -f "$RELEASE/config/final.yml" ] || die "$RELEASE is not a BOSH release directory (no config/final.yml)"
mkdir -p "$RELEASE/blobs/nodejs" "$RELEASE/blobs/dupip"

# One run at a time per release directory (tests and people may run it concurrently).
exec 9>"$RELEASE/blobs/.lock"
flock 9

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Reproducible archives: fixed order, owner and mtime; gzip without name and time stamp.
reproducible_tar() { # OUT DIR ENTRY...
  local out=$1 dir=$2
  shift 2
  tar -C "$dir" --sort=name --mtime='2000-01-01 00:00:00Z' --owner=0 --group=0 --numeric-owner \
    --format=gnu -cf - "$@" | gzip -n -6 >"$out.part"
  mv "$out.part" "$out"
}

# ------------------------------------------------------------------------------- alerts, dashboards

DUPIP_REPO=$ROOT "$RELEASE/scripts/sync-alerts-dashboards.sh"

# --------------------------------------------------------------------------------------- nodejs

NODE_BIN=$(readlink -f "$(command -v node)") || die "node not found"
NPM_CLI=$(readlink -f "$(command -v npm)") || die "npm not found"
NPM_DIR=$(cd "$(dirname "$NPM_CLI")/.." && pwd) # .../lib/node_modules/npm
NODE_PREFIX=${NODE_PREFIX:-$(cd "$(dirname "$NODE_BIN")/.." && pwd)}
HEADERS=$NODE_PREFIX/include/node
NODE_VERSION=$(node -p process.version)
case "$(node -p process.arch)" in
  x64) ARCH=x64 ;;
  arm64) ARCH=arm64 ;;
  *) die "unsupported architecture $(node -p process.arch)" ;;
esac

NODE_NAME=node-$NODE_VERSION-linux-$ARCH
NODE_BLOB=$RELEASE/blobs/nodejs/$NODE_NAME.tar.gz
NODE_STAMP=$RELEASE/blobs/nodejs/.$NODE_NAME.inputs
node_inputs() {
  printf '%s\n' "$NODE_VERSION $ARCH"
  stat -c '%n %s %Y' "$NODE_BIN" "$HEADERS/node_version.h" "$NPM_DIR/package.json"
}
if [ -n "${NODE_TARBALL:-}" ]; then
  name=$(basename "$NODE_TARBALL")
  [[ "$name" =~ ^node-v[0-9]+\.[0-9]+\.[0-9]+-linux-(x64|arm64)\.tar\.gz$ ]] ||
    die "NODE_TARBALL: $name is not named node-v<VERSION>-linux-<ARCH>.tar.gz"
  tar -tzf "$NODE_TARBALL" "${name%.tar.gz}/bin/node" "${name%.tar.gz}/include/node/node_api.h" >/dev/null ||
    die "NODE_TARBALL: $NODE_TARBALL lacks bin/node or include/node/node_api.h"
  find "$RELEASE/blobs/nodejs" -maxdepth 1 \( -name 'node-v*.tar.gz' -o -name '.node-v*.inputs' \) -delete
  cp "$NODE_TARBALL" "$RELEASE/blobs/nodejs/$name"
  say "nodejs: using $NODE_TARBALL"
elif [ -f "$NODE_BLOB" ] && [ -f "$NODE_STAMP" ] && [ "$(node_inputs)" = "$(cat "$NODE_STAMP")" ]; then
  say "nodejs: $NODE_NAME.tar.gz is up to date"
else
  [ -f "$HEADERS/node_api.h" ] && [ -f "$HEADERS/common.gypi" ] ||
    die "no Node.js headers in $HEADERS (set NODE_PREFIX to the prefix holding include/node)"
  [ -f "$NPM_DIR/node_modules/node-gyp/bin/node-gyp.js" ] || die "npm at $NPM_DIR has no bundled node-gyp"
  say "nodejs: building $NODE_NAME.tar.gz from $NODE_BIN, $HEADERS and $NPM_DIR"
  stage=$TMP/$NODE_NAME
  mkdir -p "$stage/bin" "$stage/include" "$stage/lib/node_modules"
  cp "$NODE_BIN" "$stage/bin/node"
  cp -R "$HEADERS" "$stage/include/node"
  cp -R "$NPM_DIR" "$stage/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/bin/npx"
  for doc in LICENSE README.md CHANGELOG.md; do
    for d in "$NODE_PREFIX/share/doc/nodejs" "$NODE_PREFIX/share/doc/node"; do
      if [ -f "$d/$doc" ]; then cp "$d/$doc" "$stage/$doc"; break; fi
    done
  done
  cat >"$stage/PROVENANCE" <<EOF
Node.js $NODE_VERSION for linux-$ARCH, assembled by dupip's scripts/bosh-blobs.sh in the layout of
the official nodejs.org tarball, from the build machine's installation:
  bin/node                 $NODE_BIN
  include/node/            $HEADERS
  lib/node_modules/npm/    $NPM_DIR (npm $(node -p "require('$NPM_DIR/package.json').version"))
EOF
  reproducible_tar "$NODE_BLOB" "$TMP" "$NODE_NAME"
  rm -rf "$stage"
  find "$RELEASE/blobs/nodejs" -maxdepth 1 -name 'node-v*.tar.gz' ! -name "$NODE_NAME.tar.gz" -delete
  find "$RELEASE/blobs/nodejs" -maxdepth 1 -name '.node-v*.inputs' -delete
  node_inputs >"$NODE_STAMP"
fi

# ---------------------------------------------------------------------------------------- dupip

if [ "$BUILD" = 1 ]; then
  say "dupip: npm run build"
  npm run --silent build
fi
[ -f dist/cli/main.js ] || die "dist/ is not built (run npm run build, or drop --no-build)"

PACKED=$(npm pack --ignore-scripts --json --pack-destination "$TMP" 2>/dev/null |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].filename))')
VERSION=$(node -p "require('./package.json').version")
[ "$PACKED" = "dupip-$VERSION.tgz" ] || die "npm pack produced $PACKED, expected dupip-$VERSION.tgz"
find "$RELEASE/blobs/dupip" -maxdepth 1 \( -name 'dupip-*.tgz' -o -name 'dupip-*-npm-cache.tar.gz' \) -delete
mv "$TMP/$PACKED" "$RELEASE/blobs/dupip/$PACKED"
say "dupip: $PACKED ($(du -h "$RELEASE/blobs/dupip/$PACKED" | cut -f1))"

# ------------------------------------------------------------------------------- npm cache

# A lock file of the production dependencies only, for the package.json without devDependencies
# (what packages/dupip/packaging installs), with every tarball's registry URL so that npm ci needs
# no package metadata, only the tarballs.
deps=$TMP/deps
mkdir -p "$deps/cache"
tar -xzf "$RELEASE/blobs/dupip/$PACKED" -C "$deps" --strip-components=1 package/package.json
cp package-lock.json "$deps/package-lock.json"
REGISTRY=$(npm config get registry)
(
  cd "$deps"
  npm pkg delete devDependencies
  npm install --package-lock-only --omit=dev --offline --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
)
SOURCE_CACHE=$(npm config get cache)/_cacache
node - "$NPM_DIR" "$SOURCE_CACHE" "$deps/cache/_cacache" "$deps/package-lock.json" "$REGISTRY" <<'EOF'
// Copies the cache entries of every locked tarball from this machine's npm cache into a new cache,
// and records each tarball's URL in the lock file.
const path = require('node:path');
const fs = require('node:fs');
const [npmDir, source, target, lockFile, registryArg] = process.argv.slice(2);
const cacache = require(path.join(npmDir, 'node_modules', 'cacache'));
const registry = registryArg.endsWith('/') ? registryArg : `${registryArg}/`;
const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
(async () => {
  const missing = [];
  let count = 0;
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (where === '') continue;
    if (entry.link || !entry.version || !entry.integrity) throw new Error(`${where}: not a registry package (${JSON.stringify(entry)})`);
    const name = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const url = entry.resolved ?? `${registry}${name}/-/${name.replace(/^@[^/]+\//, '')}-${entry.version}.tgz`;
    const key = `make-fetch-happen:request-cache:${url}`;
    const info = await cacache.get.info(source, key);
    if (!info) {
      missing.push(`${name}@${entry.version}`);
      continue;
    }
    const data = await cacache.get.byDigest(source, info.integrity);
    await cacache.put(target, key, data, { integrity: info.integrity, metadata: info.metadata, time: info.time });
    entry.resolved = url;
    count++;
  }
  if (missing.length > 0) {
    console.error(`bosh-blobs: error: the npm cache ${source} lacks ${missing.join(', ')}; run npm ci (with network) once`);
    process.exit(1);
  }
  fs.writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`bosh-blobs: npm cache: ${count} production dependencies`);
})().catch((err) => {
  console.error(`bosh-blobs: error: ${err.stack ?? err}`);
  process.exit(1);
});
EOF
cp "$deps/package-lock.json" "$deps/cache/package-lock.json"
# cacache's index files carry the time of the original download, so the archive is reproducible.
CACHE_BLOB=$RELEASE/blobs/dupip/dupip-$VERSION-npm-cache.tar.gz
reproducible_tar "$CACHE_BLOB" "$deps/cache" package-lock.json _cacache
say "dupip: $(basename "$CACHE_BLOB") ($(du -h "$CACHE_BLOB" | cut -f1))"

# ---------------------------------------------------------------------------------- blobs.yml

# Every file under blobs/, sorted; object_id kept for blobs already uploaded with the same digest.
BLOBS_YML=$RELEASE/config/blobs.yml
(
  cd "$RELEASE/blobs"
  find . -type f ! -name '.*' -printf '%P\n' | LC_ALL=C sort | while read -r path; do
    printf '%s %s %s\n' "$path" "$(stat -c %s "$path")" "$(sha256sum "$path" | cut -d' ' -f1)"
  done
) | node -e '
  const fs = require("node:fs");
  const [file] = process.argv.slice(1);
  const old = {};
  let cur = null;
  if (fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      const k = /^(\S.*):\s*$/.exec(line);
      if (k) { cur = old[k[1]] = {}; continue; }
      const v = /^\s+(\w+):\s*(.*)$/.exec(line);
      if (v && cur) cur[v[1]] = v[2];
    }
  }
  let out = "";
  for (const line of fs.readFileSync(0, "utf8").split("\n").filter(Boolean)) {
    const [path, size, sha] = line.split(" ");
    out += `${path}:\n  size: ${size}\n`;
    const prev = old[path];
    if (prev && prev.object_id && prev.sha === `sha256:${sha}`) out += `  object_id: ${prev.object_id}\n`;
    out += `  sha: sha256:${sha}\n`;
  }
  fs.writeFileSync(file, out);
' "$BLOBS_YML"
say "wrote $BLOBS_YML"
