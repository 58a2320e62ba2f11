#!/usr/bin/env bash
# Sets up a Debian/Ubuntu machine (safe to run again) and runs every test Serene has:
# formatting, lints, the Tauri-free core check, the Windows and macOS type checks, Rust unit
# and integration tests, UI unit tests, the offline dependency audit and the end-to-end
# suite against the real app.
source "$(dirname "$0")/lib.sh"
started=$SECONDS

check_toolchains
install_apt "${APP_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
install_cargo_tool tauri-driver 2.1.0
if [ -d "$REPO/../shared/advisory-db" ]; then install_cargo_tool cargo-audit 0.22.2; fi
use_shared_target_dir
cd "$REPO"

say "Formatting"
cargo fmt --all --check
# The benchmark harness and its hello-world baseline are workspaces of their own.
cargo fmt --manifest-path bench/harness/Cargo.toml --check
cargo fmt --manifest-path bench/hello/Cargo.toml --check

build_ui
say "IPC bindings: generated from the core's types, committed, and the UI type-checks against them"
bindings="$(mktemp -d)"
TS_RS_EXPORT_DIR="$bindings" cargo test -p serene-core --lib --locked --quiet export_bindings >/dev/null
if ! diff -r "$bindings" ui/src/lib/bindings; then
  rm -rf "$bindings"
  die "ui/src/lib/bindings differs from the core's types: run 'cargo test -p serene-core --lib export_bindings' (after removing ui/src/lib/bindings) and commit the result."
fi
rm -rf "$bindings"
(cd ui && npm run --silent check)

say "UI unit tests"
(cd ui && npm test --silent)

say "The core never links Tauri"
if cargo tree -p serene-core -e normal,build --prefix none | grep -E '^tauri(-| )'; then
  die "serene-core depends on Tauri: domain code must stay Tauri-free."
fi

# Windows and macOS code cannot run here: it is type-checked and linted for each.
"$REPO/scripts/check-platforms.sh"

say "Lints"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy --workspace --all-targets --locked --features e2e -- -D warnings
# Not --locked: the harness's lock follows serene-core's dependencies as they change.
CARGO_TARGET_DIR="$CARGO_TARGET_DIR/bench-harness" \
  cargo clippy --manifest-path bench/harness/Cargo.toml -- -D warnings

# Keychain tests talk to a real Secret Service: a private session bus with a fresh,
# unlocked gnome-keyring (its own data directory, so no personal keyring is touched or
# prompted for), gone when the tests end.
with_keyring() {
  local keyring_home
  keyring_home="$(mktemp -d)"
  SERENE_KEYCHAIN_TESTS=1 dbus-run-session -- sh -c '
    echo -n serene-test | XDG_DATA_HOME="$0" gnome-keyring-daemon --unlock --components=secrets >/dev/null
    # Wait until the daemon owns its name (asking the bus, which never auto-starts a
    # second, password-less daemon the way a message to org.freedesktop.secrets would).
    for _ in $(seq 100); do
      dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
        | grep -q "boolean true" && break
      sleep 0.1
    done
    exec "$@"' "$keyring_home" "$@"
  local status=$?
  rm -rf "$keyring_home"
  return $status
}

say "Rust unit and integration tests (default build)"
with_keyring cargo test --workspace --locked

say "Rust tests and the end-to-end suite (e2e build)"
with_keyring cargo test --workspace --locked --features e2e -- --test-threads=1

say "Fuzzing every target briefly (run scripts/fuzz.sh 3600 for a long run)"
"$REPO/scripts/fuzz.sh" "${SERENE_FUZZ_SECONDS:-45}"

say "Release build: the .deb and what it ships"
"$REPO/scripts/release-check.sh"

# --- Release pipeline: the workflows' audit, and signing checked with throwaway keys ---
say "Release workflows audited by zizmor (offline)"
"$REPO/scripts/check-workflows.sh"
say "Release signing: right signatures pass, wrong ones stop the release"
"$REPO/scripts/release-signing-test.sh"
# --- end of the release pipeline checks ---

if [ -d "$REPO/../shared/advisory-db" ]; then
  say "Dependency audit (offline)"
  # Each accepted advisory is listed with its reason in .cargo/audit.toml.
  cargo audit --db "$REPO/../shared/advisory-db" --no-fetch --deny warnings
else
  say "Dependency audit skipped: no ../shared/advisory-db beside this clone"
fi

say "All tests passed in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"
