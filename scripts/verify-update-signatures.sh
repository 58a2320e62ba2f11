#!/usr/bin/env bash
# Verifies a release's updater signatures the way the installed app will, before anything
# is published. Every file in FOLDER is an updater artifact and needs its `<file>.sig`
# (Tauri's format: base64 of a minisign signature), and each signature must
#   - be made by the key the app trusts (plugins.updater.pubkey in CONFIG),
#   - verify over the file and over its trusted comment (minisign -V),
#   - name VERSION in its trusted comment (`version:<VERSION>`), which the app's
#     `requireSignedVersion` demands of every update.
# The trusted key itself must not be a retired one (release/retired-keys.txt), such as
# the bootstrap key. Any failure stops the release.
#
#   scripts/verify-update-signatures.sh FOLDER VERSION [CONFIG (default: tauri.conf.json)]
#
# Needs bash, coreutils, python3 (JSON only) and minisign. Runs in the release workflow's
# signing and publishing jobs, and in scripts/release-signing-test.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
folder="${1:?usage: verify-update-signatures.sh FOLDER VERSION [CONFIG]}"
version="${2:?usage: verify-update-signatures.sh FOLDER VERSION [CONFIG]}"
config="${3:-$here/../tauri.conf.json}"
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

pubkey="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["plugins"]["updater"]["pubkey"])' "$config")" \
  || refuse "no plugins.updater.pubkey in $config"
base64 -d <<<"$pubkey" >"$work/trusted.pub" 2>/dev/null || refuse "the pubkey in $config is not base64"
trusted_id="$(key_id "$work/trusted.pub")"
[ "${#trusted_id}" -eq 16 ] || refuse "the pubkey in $config is not a minisign public key"

# Key policy: a retired key (the bootstrap key, a rotated-out or a leaked one) is never
# used for a release, even though installed apps may still trust it.
if grep -v '^[[:space:]]*#' "$retired_list" | grep -qiw "$trusted_id"; then
  refuse "the key in $config ($trusted_id) is retired ($(grep -iw "$trusted_id" "$retired_list" | head -1)); see RELEASING.md, 'Rotating it'"
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
    || refuse "$name is signed with key ${signed_by:-?}, but the app trusts $trusted_id"
  comment="$(minisign -V -Q -p "$work/trusted.pub" -m "$file" -x "$work/sig" 2>"$work/err")" \
    || refuse "$name does not match its signature: $(tr '\n' ' ' <"$work/err")"
  # The app reads the first tab-separated `version:` field of the verified trusted comment.
  signed_version="$(tr '\t' '\n' <<<"$comment" | sed -n 's/^version://p' | head -1)"
  [ -n "$signed_version" ] || refuse "$name's signature names no version (trusted comment: $comment)"
  [ "${signed_version#v}" = "$version" ] \
    || refuse "$name's signature is for version $signed_version, not $version"
  printf 'verified: %s (key %s, version %s)\n' "$name" "$trusted_id" "$version"
done
