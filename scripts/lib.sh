# Shared by run.sh and test.sh: idempotent set-up of what Serene needs on Debian/Ubuntu.
# Sourced, not executed.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\n\033[1;32m==> %s\033[0m\n' "$*"; }
die() { printf '\n\033[1;31mxx %s\033[0m\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Builds go to a target directory outside the clone when one can be made there, so fresh
# clones (CI) reuse compiled dependencies; otherwise ./target.
use_shared_target_dir() {
  if [ -z "${CARGO_TARGET_DIR:-}" ]; then
    local shared
    shared="$(dirname "$REPO")/.serene-target"
    if mkdir -p "$shared" 2>/dev/null && [ -w "$shared" ]; then
      export CARGO_TARGET_DIR="$shared"
    else
      export CARGO_TARGET_DIR="$REPO/target"
    fi
  fi
  # Incremental state is kept per clone path, so in a shared target directory every fresh
  # clone (each CI run) would add gigabytes of it and reuse none.
  export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
  say "Cargo target directory: $CARGO_TARGET_DIR"
}

APP_PACKAGES=(build-essential pkg-config curl file libwebkit2gtk-4.1-dev libssl-dev libxdo-dev
  libayatana-appindicator3-dev librsvg2-dev libsecret-1-dev gnome-keyring dbus-x11)
TEST_PACKAGES=(xvfb webkit2gtk-driver imagemagick chromium fonts-dejavu-core xdotool python3)

install_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

check_toolchains() {
  command -v cargo >/dev/null || die "Rust is missing: install it from rustup (https://rustup.rs), then run this again."
  command -v node >/dev/null || die "Node.js 20.19 or newer is missing: install it, then run this again."
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || die "Node.js $(node --version) is too old: Serene's UI build needs 20.19 or newer."
}

install_cargo_tool() { # name version
  local bin="$1" version="$2"
  if ! command -v "$bin" >/dev/null; then
    say "Installing $bin $version"
    cargo install "$bin" --version "$version" --locked
  fi
}

TAURI_CLI_VERSION=2.12.5

# The Tauri CLI (for bundling) lives in its own npm prefix outside the clone: the UI's lock
# file cannot list its other platforms' binaries when a registry mirror lacks them.
install_tauri_cli() {
  local tools
  tools="$(dirname "$REPO")/.serene-tools"
  mkdir -p "$tools" 2>/dev/null && [ -w "$tools" ] || tools="$REPO/.tools"
  TAURI_CLI="$tools/node_modules/.bin/tauri"
  if [ "$("$TAURI_CLI" --version 2>/dev/null)" != "tauri-cli $TAURI_CLI_VERSION" ]; then
    say "Installing the Tauri CLI $TAURI_CLI_VERSION"
    npm install --prefix "$tools" --no-save --no-fund --no-audit "@tauri-apps/cli@$TAURI_CLI_VERSION" >/dev/null
  fi
  export TAURI_CLI
}

CARGO_AUDITABLE_VERSION=0.7.7

# The release .deb as a release builds it: through `cargo auditable` (the dependency list
# embedded in the binary), its updater artifact signed with a throwaway key made in the
# folder $1 (never kept). Any further arguments prefix the build (e.g. nice).
build_release_deb() {
  local keys="$1"
  shift
  install_cargo_tool cargo-auditable "$CARGO_AUDITABLE_VERSION"
  "$TAURI_CLI" signer generate --ci -p "" -w "$keys/update.key" >/dev/null
  TAURI_SIGNING_PRIVATE_KEY="$(cat "$keys/update.key")" TAURI_SIGNING_PRIVATE_KEY_PASSWORD="" \
    "$@" "$TAURI_CLI" build --ci --bundles deb --runner "$REPO/scripts/cargo-auditable"
}

build_ui() {
  say "Building the UI"
  cd "$REPO/ui"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-fund --no-audit
  fi
  npm run --silent build
  cd "$REPO"
}
