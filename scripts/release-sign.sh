#!/usr/bin/env bash
# Signs a release's updater artifacts (every file in FOLDER) with the update key, in
# Tauri's format: `<file>.sig` is the base64 of a minisign signature whose trusted comment
# is `timestamp:<unix>\tfile:<name>\tversion:<VERSION>`, as `tauri signer sign --app-version`
# writes it and as the app's `requireSignedVersion` requires. Then verifies every signature
# against the key the app trusts (scripts/verify-update-signatures.sh); a failure there
# fails this script, so nothing unverified leaves the signing job.
#
#   TAURI_SIGNING_PRIVATE_KEY=<key file content> TAURI_SIGNING_PRIVATE_KEY_PASSWORD=<password> \
#     scripts/release-sign.sh FOLDER VERSION [CONFIG [INSTALLED]]
#
# CONFIG (default: tauri.conf.json) and INSTALLED (the previous release's, in a key
# rotation) are passed on to verify-update-signatures.sh.
# The key is Tauri's (`tauri signer generate`: base64 of a minisign secret key) or a plain
# minisign secret key. Only minisign sees it: no build tool or dependency runs here.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage="usage: release-sign.sh FOLDER VERSION [CONFIG [INSTALLED]]"
folder="${1:?$usage}"
version="${2:?$usage}"
config="${3:-$here/../tauri.conf.json}"
installed="${4:-$config}"
version="${version#v}"

[ -n "${TAURI_SIGNING_PRIVATE_KEY:-}" ] || { echo "TAURI_SIGNING_PRIVATE_KEY is not set" >&2; exit 1; }
password="${TAURI_SIGNING_PRIVATE_KEY_PASSWORD:-}"

umask 077
keys="$(mktemp -d)"
trap 'rm -rf "$keys"' EXIT
if grep -q '^untrusted comment:' <<<"$TAURI_SIGNING_PRIVATE_KEY"; then
  printf '%s\n' "$TAURI_SIGNING_PRIVATE_KEY" >"$keys/secret.key"
else
  base64 -d <<<"$TAURI_SIGNING_PRIVATE_KEY" >"$keys/secret.key" 2>/dev/null \
    || { echo "TAURI_SIGNING_PRIVATE_KEY is neither a Tauri nor a minisign secret key" >&2; exit 1; }
fi
unset TAURI_SIGNING_PRIVATE_KEY TAURI_SIGNING_PRIVATE_KEY_PASSWORD

shopt -s nullglob
rm -f "$folder"/*.sig # a build's throwaway signatures
signed=0
for file in "$folder"/*; do
  [ -f "$file" ] || continue
  name="$(basename "$file")"
  comment="$(printf 'timestamp:%s\tfile:%s\tversion:%s' "$(date +%s)" "$name" "$version")"
  minisign -S -s "$keys/secret.key" -m "$file" -x "$keys/signature" -t "$comment" \
    <<<"$password" >/dev/null 2>"$keys/log" \
    || { echo "minisign could not sign $name: $(grep -v '^Password' "$keys/log")" >&2; exit 1; }
  base64 -w0 "$keys/signature" >"$file.sig"
  signed=$((signed + 1))
done
[ "$signed" -gt 0 ] || { echo "no updater artifacts in $folder" >&2; exit 1; }
echo "signed $signed updater artifact(s) for version $version"

"$here/verify-update-signatures.sh" "$folder" "$version" "$config" "$installed"
