#!/usr/bin/env bash
# Copies the Prometheus rule files (alerts/*.yml) and Grafana dashboards (dashboards/*.json) of the
# dupip repository into the jobs dupip_alerts and dupip_dashboards of this release, and writes those
# jobs' spec (one template per file) and empty monit. The repository files are the source of truth:
# never edit the copies under jobs/. Run after changing alerts/ or dashboards/; scripts/bosh-blobs.sh
# runs it too. DUPIP_REPO=DIR reads alerts/ and dashboards/ from another checkout (default: ..).
#
#   bosh-release/scripts/sync-alerts-dashboards.sh           # update the jobs
#   bosh-release/scripts/sync-alerts-dashboards.sh --check   # exit 1 (and show the diff) if out of date
#
# BOSH renders every job template as ERB: a file containing "<%" would be mangled, so it is refused.
set -euo pipefail

RELEASE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "${DUPIP_REPO:-$RELEASE/..}" && pwd)
check=0
case "${1:-}" in
  --check) check=1 ;;
  '') ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

die() { printf 'sync-alerts-dashboards: %s\n' "$*" >&2; exit 1; }

# generate JOB DESCRIPTION SRC_DIR PATTERN OUT_DIR
generate() {
  local job=$1 description=$2 src=$3 pattern=$4 out=$5 f name
  local files=()
  shopt -s nullglob
  for f in "$src"/$pattern; do files+=("$f"); done
  shopt -u nullglob
  [ "${#files[@]}" -gt 0 ] || die "no $pattern in $src"
  mkdir -p "$out/$job/templates"
  : >"$out/$job/monit"
  {
    printf -- '---\nname: %s\n\n' "$job"
    printf 'description: |\n'
    printf '%s\n' "$description" | sed 's/^/  /'
    printf '\npackages: []\n\ntemplates:\n'
    for f in "${files[@]}"; do
      name=$(basename "$f")
      if grep -q '<%' "$f"; then die "$f contains \"<%\", which BOSH's ERB rendering would interpret"; fi
      cp "$f" "$out/$job/templates/$name"
      printf '  %s: %s\n' "$name" "$name"
    done
    printf '\nproperties: {}\n'
  } >"$out/$job/spec"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

generate dupip_alerts "Prometheus alerting rules for dupip, generated from alerts/*.yml of the dupip repository by
bosh-release/scripts/sync-alerts-dashboards.sh (do not edit them here). Colocate this job with the
prometheus2 job of prometheus-boshrelease and add /var/vcap/jobs/dupip_alerts/*.yml to
prometheus.rule_files (manifests/monitor-dupip.yml). The rules expect the dupip targets under
job=\"dupip\"." "$ROOT/alerts" '*.yml' "$tmp"

generate dupip_dashboards "Grafana dashboards for dupip, generated from dashboards/*.json of the dupip repository by
bosh-release/scripts/sync-alerts-dashboards.sh (do not edit them here). Colocate this job with the
grafana job of prometheus-boshrelease and add /var/vcap/jobs/dupip_dashboards/*.json to a
grafana.prometheus.dashboard_folders entry (manifests/monitor-dupip.yml); the grafana job replaces
the \${DS_PROMETHEUS} data source input with its Prometheus data source." "$ROOT/dashboards" '*.json' "$tmp"

status=0
for job in dupip_alerts dupip_dashboards; do
  if [ "$check" = 1 ]; then
    if ! diff -ruN "$RELEASE/jobs/$job" "$tmp/$job"; then
      echo "sync-alerts-dashboards: jobs/$job is out of date; run bosh-release/scripts/sync-alerts-dashboards.sh" >&2
      status=1
    fi
  else
    rm -rf "$RELEASE/jobs/$job"
    cp -R "$tmp/$job" "$RELEASE/jobs/$job"
  fi
done
[ "$check" = 1 ] || echo "sync-alerts-dashboards: jobs/dupip_alerts and jobs/dupip_dashboards are up to date"
exit "$status"
