#!/usr/bin/env bash
# Type-checks (and lints) Serene's Windows and macOS code from Linux, where it cannot run:
# Windows (GNU and MSVC ABIs) and macOS (Apple silicon). Nothing is linked.
#
# Debian's rustc-web/cargo-web (bookworm-security) build each target's standard library
# from rust-web-src with -Zbuild-std (RUSTC_BOOTSTRAP=1 unlocks it on that stable
# compiler), so no rustup target or SDK is needed. ring's C still has to compile: mingw-w64
# for Windows GNU, clang for the others, with stub headers standing in for the MSVC and
# Apple SDKs (the objects are never linked, so declarations are all they need).
#
# Usage: scripts/check-platforms.sh [windows-gnu|windows-msvc|macos]...  (default: all)
source "$(dirname "$0")/lib.sh"

PLATFORM_PACKAGES=(rustc-web cargo-web rust-web-src rust-web-clippy gcc-mingw-w64-x86-64 clang llvm)
available() { [[ "$(apt-cache policy rustc-web 2>/dev/null)" == *"Candidate: 1."* ]]; }
if ! available; then
  as_root apt-get update -qq
  available || die "rustc-web is not available: enable Debian's bookworm-security (or a release that has it)."
fi
install_apt "${PLATFORM_PACKAGES[@]}"
use_shared_target_dir
cd "$REPO"
# tauri::generate_context! embeds the built UI.
[ -f ui/dist/index.html ] || build_ui

# The stubs live at a fixed path: ring's build script reruns when its CC or CFLAGS change,
# and with it everything above ring (a temporary folder cost a minute per warm run).
stubs="$CARGO_TARGET_DIR/platform-stubs"

# Clippy's pass is the type check (clippy-driver is rustc plus lints), so each target is
# compiled once: a type error and a lint both fail it. Debian's toolchain, never rustup's
# (whose stable has no -Zbuild-std here): /usr/bin first, so `cargo clippy` finds Debian's
# cargo-clippy and clippy-driver too. Each target has its own target directory.
lint() { # target, package and target selection...
  local target="$1"
  shift
  local started=$SECONDS
  env -u RUSTUP_TOOLCHAIN -u RUSTC -u RUSTC_WRAPPER -u RUSTC_WORKSPACE_WRAPPER -u RUSTFLAGS \
    PATH="/usr/bin:$PATH" RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_DIR="$CARGO_TARGET_DIR/platform-$target" \
    /usr/bin/cargo clippy --locked --target "$target" -Zbuild-std=std,panic_abort "$@" -- -D warnings
  echo "$target ($*): $((SECONDS - started)) s"
}

# Serene's integration tests are the Linux harness (Xvfb, WebKitWebDriver) and pull in a
# second TLS stack (aws-lc, through thirtyfour): not worth their cold build here. The
# core's tests are checked, as they have Windows- and macOS-only cases.
check_windows_gnu() {
  say "Windows (x86_64-pc-windows-gnu): type check and lints"
  export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar
  lint x86_64-pc-windows-gnu -p serene
  lint x86_64-pc-windows-gnu -p serene-core --all-targets
}

# The MSVC ABI differs from GNU only below our code (windows-sys, webview2-com-sys import
# libraries, ring's build), so the core's tests are not checked twice.
check_windows_msvc() {
  say "Windows (x86_64-pc-windows-msvc): type check and lints"
  local inc="$stubs/msvc"
  mkdir -p "$inc"
  ln -sf /usr/bin/clang "$stubs/clang-cl"
  cat >"$inc/string.h" <<'EOF'
#pragma once
#include <stddef.h>
void *memcpy(void *, const void *, size_t);
void *memset(void *, int, size_t);
int memcmp(const void *, const void *, size_t);
EOF
  cat >"$inc/stdlib.h" <<'EOF'
#pragma once
#include <stddef.h>
unsigned long _byteswap_ulong(unsigned long);
unsigned __int64 _byteswap_uint64(unsigned __int64);
void abort(void);
EOF
  printf '#pragma once\n#include <stddef.h>\nvoid *_alloca(size_t);\n' >"$inc/malloc.h"
  printf '#pragma once\ntypedef int jmp_buf[64];\n' >"$inc/setjmp.h"
  printf '#pragma once\n#define assert(x) ((void)0)\n' >"$inc/assert.h"
  CC_x86_64_pc_windows_msvc="$stubs/clang-cl" AR_x86_64_pc_windows_msvc=llvm-lib \
    CFLAGS_x86_64_pc_windows_msvc="/imsvc $inc" \
    lint x86_64-pc-windows-msvc -p serene -p serene-core
}

check_macos() {
  say "macOS (aarch64-apple-darwin): type check and lints"
  local inc="$stubs/apple"
  mkdir -p "$inc"
  printf '#pragma once\n#define TARGET_OS_OSX 1\n#define TARGET_OS_IPHONE 0\n' >"$inc/TargetConditionals.h"
  export CC_aarch64_apple_darwin=clang AR_aarch64_apple_darwin=llvm-ar \
    CFLAGS_aarch64_apple_darwin="-nostdlibinc -DRING_CORE_NOSTDLIBINC=1 -isystem $inc"
  lint aarch64-apple-darwin -p serene
  lint aarch64-apple-darwin -p serene-core --all-targets
}

for platform in "${@:-windows-gnu windows-msvc macos}"; do
  for p in $platform; do
    case "$p" in
      windows-gnu) check_windows_gnu ;;
      windows-msvc) check_windows_msvc ;;
      macos) check_macos ;;
      *) die "unknown platform $p (windows-gnu, windows-msvc or macos)" ;;
    esac
  done
done
