#!/usr/bin/env bash
# The benchmark command (issue 9): builds release binaries of Serene and of a hello-world
# Tauri app (same Tauri, same release profile), then measures, in one run: start to
# UI-ready, idle memory (against hello and against Chromium showing Serene's UI), binary
# and .deb sizes, the IPC round trip in the page, the core's mediation overhead, speech
# streaming and the voice relay. Publishes the figures to BENCHMARKS.md and bench/results/.
#
#   scripts/bench.sh               full run (12-13 minutes here once dependencies are built)
#   scripts/bench.sh --no-build    measure the binaries the last run built
#   scripts/bench.sh --no-publish  leave BENCHMARKS.md and bench/results/ alone (results go
#                                  to artifacts/bench-results/ instead)
#   scripts/bench.sh --smoke       the harness end to end with tiny counts (no app, no release
#                                  build); what the test suite runs
# Options: --launches N (start, default 20), --memory-launches N (default 5), --label NAME.
source "$(dirname "$0")/lib.sh"
started=$SECONDS

mode=full
build=1
publish=1
launches=20
memory_launches=5
label=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) mode=smoke ;;
    --no-build) build=0 ;;
    --no-publish) publish=0 ;;
    --launches) launches="$2"; shift ;;
    --memory-launches) memory_launches="$2"; shift ;;
    --label) label="$2"; shift ;;
    *) die "unknown option $1 (see the top of scripts/bench.sh)" ;;
  esac
  shift
done

use_shared_target_dir
cd "$REPO"
# The harness is its own workspace; its own target directory keeps it from waiting on (or
# invalidating) the app's builds, also when the test suite runs it.
harness_target="$CARGO_TARGET_DIR/bench-harness"
work="$(mktemp -d)"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

if [ "$mode" = smoke ]; then
  say "Benchmark harness smoke test"
  CARGO_TARGET_DIR="$harness_target" cargo build --quiet --manifest-path bench/harness/Cargo.toml
  "$harness_target/debug/serene-bench" smoke --dir "$work"
  exit 0
fi

check_toolchains
install_apt "${APP_PACKAGES[@]}" "${TEST_PACKAGES[@]}" python3-matplotlib
install_cargo_tool tauri-driver 2.1.0
install_tauri_cli

say "The baseline matches Serene: Tauri version and release profile"
release_profile() { sed -n '/^\[profile.release\]/,/^\[/p' "$1" | grep -v '^\[' | grep -v '^#' | sed '/^$/d'; }
[ "$(release_profile Cargo.toml)" = "$(release_profile bench/hello/Cargo.toml)" ] \
  || die "bench/hello's [profile.release] differs from the root Cargo.toml's: make them equal"
tauri_version() { grep -A1 '^name = "tauri"$' "$1" | sed -n 's/^version = "\(.*\)"/\1/p'; }
[ "$(tauri_version Cargo.lock)" = "$(tauri_version bench/hello/Cargo.lock)" ] \
  || die "bench/hello locks Tauri $(tauri_version bench/hello/Cargo.lock), Serene $(tauri_version Cargo.lock)"

version="$(node -p "require('./tauri.conf.json').version")"
serene_bin="$CARGO_TARGET_DIR/release/serene"
serene_deb="$CARGO_TARGET_DIR/release/bundle/deb/Serene_${version}_amd64.deb"
hello_bin="$CARGO_TARGET_DIR/release/hello"
hello_deb="$CARGO_TARGET_DIR/release/bundle/deb/Hello_0.1.0_amd64.deb"
bench="$harness_target/release/serene-bench"

if [ "$build" = 1 ]; then
  build_ui
  # Builds run at low priority (the machine may be shared); measurements do not.
  say "Release build of Serene and its .deb (as scripts/release-check.sh builds it)"
  build_release_deb "$work" nice -n 10
  say "Release build of the hello-world baseline and its .deb"
  (cd bench/hello && nice -n 10 "$TAURI_CLI" build --ci --bundles deb)
  say "Release build of the benchmark harness"
  CARGO_TARGET_DIR="$harness_target" nice -n 10 cargo build --release \
    --manifest-path bench/harness/Cargo.toml
fi
for file in "$serene_bin" "$serene_deb" "$hello_bin" "$hello_deb" "$bench"; do
  [ -f "$file" ] || die "missing $file: run without --no-build first"
done
[ -d ui/dist ] || die "ui/dist is missing: run without --no-build first"
built=$SECONDS
# Absolute times on a busy machine mean little; the ratios hold better (both sides run
# interleaved), but say so.
load="$(cut -d' ' -f1 /proc/loadavg)"
if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "note: load average $load on $(nproc) cores; other work on this machine adds noise"
fi

say "Core: mediation overhead, speech streaming, voice relay (loopback fakes)"
"$bench" core --out "$work/core.json"

say "Start to UI-ready and IPC round trip in the page: $launches launches of each app"
mkdir -p "$REPO/artifacts"
"$bench" ui --app "serene,Serene,$serene_bin" --app "hello,Hello,$hello_bin" \
  --launches "$launches" --shots "$REPO/artifacts" --out "$work/ui.json"

say "Idle memory: Serene, hello, and Chromium showing Serene's UI ($memory_launches launches each)"
# Chromium cannot load module scripts from file://, so the built UI is served on loopback,
# with a stand-in for Tauri's IPC so it renders the same first screen.
cp -r ui/dist "$work/site"
cp bench/chromium/tauri-stub.js "$work/site/tauri-stub.js"
sed -i '0,/<script/s//<script src="\/tauri-stub.js"><\/script>\n    <script/' "$work/site/index.html"
"$bench" memory --app "serene,Serene,$serene_bin" --app "hello,Hello,$hello_bin" \
  --chromium "$(command -v chromium)" --site "$work/site" --site-title Serene \
  --launches "$memory_launches" --shots "$REPO/artifacts" --out "$work/memory.json"

"$bench" meta --repo "$REPO" --out "$work/meta.json" \
  --size "serene.binary=$serene_bin" --size "serene.deb=$serene_deb" \
  --size "hello.binary=$hello_bin" --size "hello.deb=$hello_deb"

say "Report"
if [ "$publish" = 1 ]; then
  results="$REPO/bench/results"
  markdown=(--markdown "$REPO/BENCHMARKS.md")
else
  results="$REPO/artifacts/bench-results"
  markdown=()
fi
[ -n "$label" ] || label="$(date -u +%Y-%m-%d-%H%M)"
"$bench" report --dir "$work" --results "$results" "${markdown[@]}" --record --label "$label"
if /usr/bin/python3 "$REPO/bench/chart.py" "$results/latest.json" "$results/distributions.png"; then
  echo "chart: $results/distributions.png"
else
  echo "(no chart: matplotlib for /usr/bin/python3 is missing)"
fi
[ "$publish" = 1 ] && echo "published to BENCHMARKS.md and bench/results/"

say "Benchmarks done in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s (measuring: $(( (SECONDS - built) / 60 )) min $(( (SECONDS - built) % 60 )) s)"
