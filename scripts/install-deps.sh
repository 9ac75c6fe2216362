#!/usr/bin/env bash
# Installs what the tests and the demo need, on Debian 12 with Node 20, and builds the tree.
# Idempotent and fast when everything is present. Run as root to install packages; without root it
# only reports what is missing (an error under CI=true) and still does the npm part.
#
#   apt: iputils-arping iputils-ping iproute2 tcpdump   (lab tests: arping, ping, ip, tcpdump)
#        prometheus ruby arpwatch                        (promtool and the server for rule tests, ERB, comparison)
#        systemd openssl curl arp-scan                   (systemd-analyze, test certificates, HTTP tests, dupip scan reference)
#        python3 make g++                                (node-gyp builds the native addon)
#        Services of newly installed packages (prometheus, arpwatch) are kept from starting.
#   npm: `npm ci` (native addon via node-gyp, tsc via "prepare") when node_modules is missing or
#        older than package-lock.json; otherwise only rebuilds the addon / dist when sources changed.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

say() { printf 'install-deps: %s\n' "$*"; }
warn() { printf 'install-deps: warning: %s\n' "$*" >&2; }
die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

in_ci() { case "${CI:-}" in '' | 0 | false | no) return 1 ;; *) return 0 ;; esac; }

TOOL_PACKAGES=(iputils-arping iputils-ping iproute2 tcpdump prometheus ruby arpwatch systemd openssl curl arp-scan ndisc6)
BUILD_PACKAGES=(python3 make g++)
SERVICE_PACKAGES=(prometheus arpwatch)

# ------------------------------------------------------------------------------------------- apt

is_installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = 'install ok installed' ]; }

POLICY=/usr/sbin/policy-rc.d
POLICY_BACKUP=/usr/sbin/policy-rc.d.install-deps-backup
policy_installed=0

# Forbid service starts (exit 101) for the duration of the install, restoring whatever was there.
block_service_starts() {
  if [ -e "$POLICY" ]; then mv -f "$POLICY" "$POLICY_BACKUP"; fi
  printf '#!/bin/sh\n# installed by dupip scripts/install-deps.sh while it runs apt-get\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  policy_installed=1
}
restore_policy() {
  if [ "$policy_installed" = 1 ]; then
    rm -f "$POLICY"
    if [ -e "$POLICY_BACKUP" ]; then mv -f "$POLICY_BACKUP" "$POLICY"; fi
    policy_installed=0
  fi
}
trap restore_policy EXIT

apt_lists_present() { compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; }

# True when apt knows an installation candidate for every argument.
candidates_known() {
  local pkg
  for pkg in "$@"; do
    apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [^(]' || return 1
  done
}

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# Stops services of packages installed by this run, should any have started regardless.
stop_new_services() {
  local pkg unit units
  for pkg in "$@"; do
    if [ -d /run/systemd/system ]; then
      units=$(systemctl list-units --all --plain --no-legend "${pkg}.service" "${pkg}@*.service" 2>/dev/null | awk '{print $1}')
      for unit in $units; do
        if systemctl is-active --quiet "$unit"; then
          say "stopping $unit (installed as a dependency of the tests, not meant to run)"
          systemctl stop "$unit" || warn "could not stop $unit"
        fi
      done
    elif [ -x "/etc/init.d/$pkg" ] && pgrep -x "$pkg" >/dev/null 2>&1; then
      # No systemd (a container): the init script's "status" cannot be trusted (arpwatch's says 0).
      say "stopping $pkg (installed as a dependency of the tests, not meant to run)"
      "/etc/init.d/$pkg" stop || warn "could not stop $pkg"
    fi
  done
}

install_apt_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    warn "no dpkg/apt here (not Debian?): install ${TOOL_PACKAGES[*]} ${BUILD_PACKAGES[*]} yourself"
    return 0
  fi
  local missing=() pkg
  for pkg in "${TOOL_PACKAGES[@]}" "${BUILD_PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    say "apt packages: all present"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    if in_ci; then die "missing ${missing[*]}; run scripts/install-deps.sh as root"; fi
    warn "missing ${missing[*]}; not root, so not installing them (tests that need them will be skipped)"
    return 0
  fi
  say "installing: ${missing[*]}"
  block_service_starts
  local updated=0
  if ! apt_lists_present || ! candidates_known "${missing[@]}"; then
    say "apt-get update (package lists missing or stale)"
    apt-get update -q
    updated=1
  fi
  if ! apt_install "${missing[@]}"; then
    [ "$updated" = 0 ] || die "apt-get install failed"
    say "install failed; retrying after apt-get update"
    apt-get update -q
    apt_install "${missing[@]}" || die "apt-get install failed"
  fi
  restore_policy
  local new_services=()
  for pkg in "${SERVICE_PACKAGES[@]}"; do
    case " ${missing[*]} " in *" $pkg "*) new_services+=("$pkg") ;; esac
  done
  [ "${#new_services[@]}" -eq 0 ] || stop_new_services "${new_services[@]}"
}

check_tools() {
  local bad=() t
  for t in ip arping ping tcpdump promtool prometheus ruby arpwatch systemd-analyze openssl curl unshare flock arp-scan ndisc6; do
    PATH="$PATH:/usr/sbin:/sbin" command -v "$t" >/dev/null 2>&1 || bad+=("$t")
  done
  if PATH="$PATH:/usr/sbin:/sbin" command -v arping >/dev/null 2>&1 &&
    ! arping -V 2>&1 | grep -q iputils; then
    bad+=("arping (not the iputils one: apt-get install iputils-arping)")
  fi
  if command -v ruby >/dev/null 2>&1 && ! ruby -rerb -e '' 2>/dev/null; then bad+=("ruby ERB"); fi
  if [ "${#bad[@]}" -gt 0 ]; then
    if in_ci; then die "still missing: ${bad[*]}"; fi
    warn "still missing: ${bad[*]}"
  fi
}

# ------------------------------------------------------------------------------------------- npm

STAMP=.tmp/install-deps.built

# True when any argument path (file or directory tree) has something newer than $1.
newer_than() {
  local ref=$1
  shift
  [ -n "$(find "$@" -newer "$ref" -print -quit 2>/dev/null)" ]
}

npm_part() {
  command -v node >/dev/null 2>&1 || die "node not found (Node 20 or later is required)"
  command -v npm >/dev/null 2>&1 || die "npm not found"
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node $(node --version) is too old; Node 20 or later is required"

  mkdir -p .tmp
  if [ ! -f node_modules/.package-lock.json ] || newer_than node_modules/.package-lock.json package.json package-lock.json; then
    say "npm ci (dependencies, native addon, TypeScript build; log in .tmp/npm-ci.log)"
    if ! npm ci >.tmp/npm-ci.log 2>&1; then
      if grep -q 'can only install packages when your package.json and package-lock.json' .tmp/npm-ci.log; then
        # Never fall back to `npm install`: it would hide a lock that a fresh machine cannot use.
        grep -m5 '^npm error Missing:' .tmp/npm-ci.log >&2 || true
        die "package-lock.json does not match package.json: run 'npm install --package-lock-only' and commit the lock"
      fi
      tail -40 .tmp/npm-ci.log >&2
      die "npm ci failed (full log: .tmp/npm-ci.log)"
    fi
    touch "$STAMP"
    return 0
  fi
  say "node_modules: up to date with package-lock.json"

  local addon=build/Release/dupip_packet.node
  if [ ! -f "$addon" ] || newer_than "$addon" binding.gyp native; then
    say "native addon: rebuilding"
    npm run --silent install || die "native addon build failed (npm run install)"
  else
    say "native addon: up to date"
  fi

  if [ ! -d dist ] || [ ! -f "$STAMP" ] || newer_than "$STAMP" src package.json tsconfig.json tsconfig.build.json; then
    say "dist: building"
    npm run --silent build || die "TypeScript build failed (npm run build)"
    touch "$STAMP"
  else
    say "dist: up to date"
  fi
}

start=$(date +%s%N)
install_apt_packages
check_tools
npm_part
say "done in $((($(date +%s%N) - start) / 1000000)) ms"
