// Prevents an extra console window on Windows in release.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Before anything holds a key: a crash must not leave one in a core file.
    serene_core::hardening::disable_core_dumps();
    serene_lib::run();
}
