#!/usr/bin/env bash
# Sets up a Debian/Ubuntu machine for Serene (safe to run again) and launches the app.
#   scripts/run.sh            debug build, starts in about 4 minutes the first time
#   scripts/run.sh --release  optimised build, as shipped (about 10 minutes the first time)
source "$(dirname "$0")/lib.sh"

check_toolchains
install_apt "${APP_PACKAGES[@]}"
use_shared_target_dir
build_ui
say "Starting Serene"
cargo run "$@"
