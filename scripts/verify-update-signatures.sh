#!/usr/bin/env bash
# Verifies a release's updater signatures the way installed apps will, before anything is
# published. Every file in FOLDER is an updater artifact and needs its `<file>.sig`
# (Tauri's format: base64 of a minisign signature), and each signature must
#   - be made by the key installed apps trust (plugins.updater.pubkey in INSTALLED, the
#     previous release's tauri.conf.json; by default CONFIG, the one being released),
#   - verify over the file and over its trusted comment (minisign -V),
#   - name VERSION in its trusted comment (`version:<VERSION>`), which the app's
#     `requireSignedVersion` demands of every update.
# The key the release commits to (CONFIG's) must not be a retired one
# (release/retired-keys.txt), such as the bootstrap key. Any failure stops the release.
#
#   scripts/verify-update-signatures.sh FOLDER VERSION [CONFIG [INSTALLED]]
#
# CONFIG defaults to tauri.conf.json. INSTALLED differs from CONFIG only in a key rotation
# release (RELEASING.md), which is signed with the old key and carries the new one.
# Needs bash, coreutils, python3 (JSON only) and minisign. Runs in the release workflow's
# signing and publishing jobs, and in scripts/release-signing-test.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage="usage: verify-update-signatures.sh FOLDER VERSION [CONFIG [INSTALLED]]"
folder="${1:?$usage}"
version="${2:?$usage}"
config="${3:-$here/../tauri.conf.json}"
installed="${4:-$config}"
retired_list="${SERENE_RETIRED_KEYS:-$here/../release/retired-keys.txt}"
version="${version#v}"

refuse() { printf 'REFUSED: %s\n' "$*" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A minisign key or signature's id: bytes 2..9 of its second line, shown (as minisign
# does) as hexadecimal of the little-endian number.
key_id() { # file holding a minisign public key or signature
  sed -n 2p "$1" | base64 -d 2>/dev/null | od -An -tx1 -j2 -N8 | tr -d ' \n' \
    | sed 's/\(..\)/\1\n/g' | tac | tr -d '\n' | tr '[:lower:]' '[:upper:]'
}

read_key() { # config-file output-file: writes the config's public key, prints its id
  local pubkey id
  pubkey="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["plugins"]["updater"]["pubkey"])' "$1")" \
    || refuse "no plugins.updater.pubkey in $1"
  base64 -d <<<"$pubkey" >"$2" 2>/dev/null || refuse "the pubkey in $1 is not base64"
  id="$(key_id "$2")"
  [ "${#id}" -eq 16 ] || refuse "the pubkey in $1 is not a minisign public key"
  echo "$id"
}
committed_id="$(read_key "$config" "$work/committed.pub")"
trusted_id="$(read_key "$installed" "$work/trusted.pub")"

# Key policy: a release never commits to a retired key (the bootstrap key, a rotated-out
# or a leaked one), so no app is ever built to trust one again.
if grep -v '^[[:space:]]*#' "$retired_list" | grep -qiw "$committed_id"; then
  refuse "the key in $config ($committed_id) is retired ($(grep -iw "$committed_id" "$retired_list" | head -1)); see RELEASING.md, 'The signing key'"
fi
if [ "$committed_id" != "$trusted_id" ]; then
  echo "key rotation: signed for apps that trust $trusted_id; this release makes them trust $committed_id"
fi

shopt -s nullglob
artifacts=()
for file in "$folder"/*; do
  [ -f "$file" ] || continue
  case "$file" in
    *.sig) [ -f "${file%.sig}" ] || refuse "$(basename "$file") has no artifact beside it" ;;
    *) artifacts+=("$file") ;;
  esac
done
[ ${#artifacts[@]} -gt 0 ] || refuse "no updater artifacts in $folder"

for file in "${artifacts[@]}"; do
  name="$(basename "$file")"
  [ -f "$file.sig" ] || refuse "$name has no signature"
  base64 -d "$file.sig" >"$work/sig" 2>/dev/null || refuse "$name.sig is not base64"
  signed_by="$(key_id "$work/sig")"
  [ "$signed_by" = "$trusted_id" ] \
    || refuse "$name is signed with key ${signed_by:-?}, but installed apps trust $trusted_id"
  comment="$(minisign -V -Q -p "$work/trusted.pub" -m "$file" -x "$work/sig" 2>"$work/err")" \
    || refuse "$name does not match its signature: $(tr '\n' ' ' <"$work/err")"
  # The app reads the first tab-separated `version:` field of the verified trusted comment.
  signed_version="$(tr '\t' '\n' <<<"$comment" | sed -n 's/^version://p' | head -1)"
  [ -n "$signed_version" ] || refuse "$name's signature names no version (trusted comment: $comment)"
  [ "${signed_version#v}" = "$version" ] \
    || refuse "$name's signature is for version $signed_version, not $version"
  printf 'verified: %s (key %s, version %s)\n' "$name" "$trusted_id" "$version"
done
