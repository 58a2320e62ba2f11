#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ (libFuzzer, with AddressSanitizer) for
# SECONDS_PER_TARGET each, one after another, and fails if any of them finds a crash, a
# failed assertion, a leak or a hang. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# (60 s; every target). See fuzz/README.md for longer runs, crash files and regression seeds.
source "$(dirname "$0")/lib.sh"
started=$SECONDS

seconds="${1:-60}"
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || die "Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]"
shift $(($# > 0 ? 1 : 0))

CARGO_FUZZ_VERSION=0.13.2
command -v cargo >/dev/null || die "Rust is missing: install it from rustup (https://rustup.rs), then run this again."
# libFuzzer is C++, and the core's keychain crate links libdbus.
install_apt build-essential pkg-config libdbus-1-dev
install_cargo_tool cargo-fuzz "$CARGO_FUZZ_VERSION"

# cargo-fuzz passes nightly-only flags (-Zsanitizer=address and friends); the stable
# toolchain accepts them with this set.
export RUSTC_BOOTSTRAP=1
# Beside the shared target directory, never in it: ASan-instrumented builds share nothing
# with ordinary ones, and this keeps them from contending for its lock.
shared="${CARGO_TARGET_DIR:-$(dirname "$REPO")/.serene-target}"
if mkdir -p "$shared/fuzz" 2>/dev/null && [ -w "$shared/fuzz" ]; then
  export CARGO_TARGET_DIR="$shared/fuzz"
else
  export CARGO_TARGET_DIR="$REPO/fuzz/target"
fi
say "Cargo target directory: $CARGO_TARGET_DIR"
cd "$REPO"

say "Building the fuzz targets"
build_started=$SECONDS
cargo fuzz build
say "Built in $((SECONDS - build_started)) s"

# libFuzzer adds what it finds to the first corpus directory: a working copy outside the
# clone (kept, so later runs start from what earlier ones found), seeded each run from the
# committed, hand-written corpus/. Scratch files (the audit_log target's log) go to tmpfs
# when there is one, since the audit log fsyncs.
work="$CARGO_TARGET_DIR/corpus"
logs="$CARGO_TARGET_DIR/logs"
mkdir -p "$work" "$logs"
tmp_base="${TMPDIR:-/tmp}"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then tmp_base=/dev/shm; fi
scratch="$(mktemp -d "$tmp_base/serene-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then mapfile -t targets < <(cargo fuzz list); fi
failed=()
summary=()
for target in "${targets[@]}"; do
  [ -f "fuzz/fuzz_targets/$target.rs" ] || die "No fuzz target $target (see fuzz/fuzz_targets/)."
  say "Fuzzing $target for $seconds s"
  mkdir -p "$work/$target"
  if [ -d "fuzz/corpus/$target" ]; then cp -R "fuzz/corpus/$target/." "$work/$target/"; fi
  dict=()
  if [ -f "fuzz/dict/$target.dict" ]; then dict=("-dict=fuzz/dict/$target.dict"); fi
  log="$logs/$target.log"
  status=0
  TMPDIR="$scratch" cargo fuzz run "$target" "$work/$target" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "${dict[@]}" >"$log" 2>&1 \
    || status=$?
  # libFuzzer's closing lines: "#N DONE cov: C ft: F corp: ..." and "Done N runs in S s".
  done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE ' "$log" | tail -1 || true)"
  runs="$(grep -oE '^stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || true)"
  cov="$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$done_line" || true)"
  if [ "$status" -eq 0 ]; then
    summary+=("$(printf '%-16s ok      %10s runs  %s' "$target" "${runs:-?}" "${cov:-?}")")
    printf '%s runs; %s\n' "${runs:-?}" "${cov:-?}"
  else
    failed+=("$target")
    summary+=("$(printf '%-16s FAILED  %10s runs  (exit %s)' "$target" "${runs:-?}" "$status")")
    # The panic or sanitizer report, and the crash file libFuzzer saved.
    grep -E -A3 'panicked at|ERROR: (Address|Leak)Sanitizer|^SUMMARY: |^ALARM: |deadly signal' "$log" \
      | head -30 >&2 || true
    grep -E -A2 '^Failing input:|^Reproduce with:' "$log" >&2 || true
    printf '\nFull log: %s\n' "$log" >&2
  fi
done

say "Summary ($seconds s per target; logs in $logs)"
printf '%s\n' "${summary[@]}"
say "Fuzzing took $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s"
if [ ${#failed[@]} -gt 0 ]; then
  for target in "${failed[@]}"; do
    find "$REPO/fuzz/artifacts/$target" -type f -newer "$scratch" 2>/dev/null >&2 || true
  done
  die "A fuzz target failed: ${failed[*]}. Crash inputs are in fuzz/artifacts/<target>/; replay one with 'RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <file>' (see fuzz/README.md)."
fi
