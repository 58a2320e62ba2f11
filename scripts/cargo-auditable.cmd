@echo off
rem The Tauri CLI's build runner for release builds on Windows; see scripts/cargo-auditable.
cargo auditable %*
exit /b %ERRORLEVEL%
