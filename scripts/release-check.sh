#!/usr/bin/env bash
# Builds the release .deb exactly as a release does (through cargo auditable; updater
# artifact signed, here with a throwaway key) and checks what ships: the binary, desktop
# entry and icons; a signature bound to the app version; the binary's embedded dependency
# list, read by `cargo audit bin`; no test-only e2e code and no devtools in the binary; no
# private key in any file; and the packaged binary starts and opens its window.
# Called by test.sh; runnable alone (it expects test.sh's set-up to have run once).
source "$(dirname "$0")/lib.sh"
use_shared_target_dir
cd "$REPO"

work="$(mktemp -d)"
cleanup() {
  [ -n "${app_pid:-}" ] && kill -- "-$app_pid" 2>/dev/null || true
  [ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null || true
  # The launched app's D-Bus session may have started the document portal, whose FUSE
  # mount sits under the temporary home: unmount it first, and never fail on cleanup.
  fusermount -u "$work/home/.cache/doc" 2>/dev/null || umount -l "$work/home/.cache/doc" 2>/dev/null || true
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

build_ui
install_tauri_cli
version="$(node -p "require('./tauri.conf.json').version")"

say "Release build of the .deb (signed with a throwaway update key)"
build_release_deb "$work"
bundle_dir="$CARGO_TARGET_DIR/release/bundle/deb"
deb="$bundle_dir/Serene_${version}_amd64.deb"
[ -f "$deb" ] || die "no .deb at $deb"
[ -f "$deb.sig" ] || die "no updater signature beside the .deb"

say "The package holds the binary, the desktop entry and the icons"
dpkg-deb -x "$deb" "$work/root"
contents="$(cd "$work/root" && find . -type f | sort)"
for expected in ./usr/bin/serene ./usr/share/applications/Serene.desktop \
  ./usr/share/icons/hicolor/32x32/apps/serene.png ./usr/share/icons/hicolor/128x128/apps/serene.png; do
  grep -qx "$expected" <<<"$contents" || die "the .deb lacks $expected; it holds:
$contents"
done
grep -q '^Exec=serene' "$work/root/usr/share/applications/Serene.desktop" \
  || die "the desktop entry does not start serene"
dpkg-deb -f "$deb" Depends | grep -q libwebkit2gtk-4.1 || die "the .deb does not depend on WebKitGTK"

say "The updater signature is bound to version $version"
comment="$(base64 -d "$deb.sig" | sed -n 's/^trusted comment: //p')"
grep -q "version:$version" <<<"$comment" || die "the signature's trusted comment lacks the version: $comment"

say "No test-only code and no devtools in the release binary"
binary="$work/root/usr/bin/serene"
for marker in SERENE_TEST_ SERENE_TAVUS_BASE_URL SERENE_ELEVENLABS_BASE_URL; do
  if grep -aq "$marker" "$binary"; then die "the release binary contains $marker (e2e code)"; fi
done
if cargo tree --locked -e features -i tauri --prefix none 2>/dev/null | grep -q 'tauri feature "devtools"'; then
  die "tauri's devtools feature is enabled in the release build"
fi
# The build script must refuse a release build with the test-only feature (it stops
# before compiling the app, so this costs little once the release dependencies exist).
if cargo build --locked --release --features e2e --bin serene >"$work/e2e-release.log" 2>&1; then
  die "a release build with the e2e feature succeeded"
fi
grep -q "the \`e2e\` feature is for tests only" "$work/e2e-release.log" \
  || die "a release build with e2e failed, but not at the build script's guard: $(tail -5 "$work/e2e-release.log")"

say "The release binary carries its dependency list (cargo auditable)"
readelf -S --wide "$binary" | grep -q ' \.dep-v0 ' \
  || die "the release binary has no .dep-v0 section: it was not built through cargo auditable"
if [ -d "$REPO/../shared/advisory-db" ] && command -v cargo-audit >/dev/null; then
  cargo audit --db "$REPO/../shared/advisory-db" --no-fetch --deny warnings bin "$binary" >"$work/audit-bin.log" 2>&1 \
    || die "cargo audit bin fails on the release binary: $(cat "$work/audit-bin.log")"
  grep -E "Found 'cargo auditable' data in .* \([0-9]{3,} dependencies\)" "$work/audit-bin.log" \
    || die "cargo audit bin did not find the binary's dependency list: $(cat "$work/audit-bin.log")"
else
  echo "(cargo audit bin skipped: no ../shared/advisory-db beside this clone)"
fi

say "No private key in any shipped file"
secret_patterns='PRIVATE KEY-----|minisign (encrypted )?secret key|rsign encrypted secret key|dW50cnVzdGVkIGNvbW1lbnQ6IHJzaWduIGVuY3J5cHRlZCBzZWNyZXQga2V5|dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWduIGVuY3J5cHRlZCBzZWNyZXQga2V5'
if grep -RaElq "$secret_patterns" "$work/root"; then
  die "a shipped file contains a private key: $(grep -RaEl "$secret_patterns" "$work/root")"
fi
throwaway="$(head -c 64 "$work/update.key")"
if grep -RaFlq "$throwaway" "$work/root"; then die "the signing key ended up in the package"; fi

say "The packaged binary starts and opens its window"
display=":$((200 + RANDOM % 100))"
Xvfb "$display" -screen 0 1280x860x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
sleep 1
mkdir -p "$work/home"
HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share" \
  DISPLAY="$display" WEBKIT_DISABLE_COMPOSITING_MODE=1 LIBGL_ALWAYS_SOFTWARE=1 \
  setsid dbus-run-session -- "$binary" >"$work/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 60); do
  DISPLAY="$display" xdotool search --name '^Serene$' >/dev/null 2>&1 && break
  kill -0 "$app_pid" 2>/dev/null || die "the release binary exited: $(cat "$work/app.log")"
  sleep 0.5
done
DISPLAY="$display" xdotool search --name '^Serene$' >/dev/null 2>&1 || die "no Serene window appeared"
sleep 3
kill -0 "$app_pid" 2>/dev/null || die "the release binary exited after opening: $(cat "$work/app.log")"
mkdir -p "$REPO/artifacts"
DISPLAY="$display" import -window root "$REPO/artifacts/release-deb-launched.png" 2>/dev/null || true

say "Release .deb checked: $(du -h "$deb" | cut -f1), binary $(du -h "$binary" | cut -f1)"
