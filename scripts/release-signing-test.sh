#!/usr/bin/env bash
# The release workflow's signing job, run here with throwaway keys (never kept): signing
# updater artifacts with scripts/release-sign.sh passes, and verification
# (scripts/verify-update-signatures.sh) stops a release for each way it can be wrong: a
# signature by another key, an artifact changed after signing, a signature without (or
# with another) version, a missing signature, and the bootstrap key. A key rotation
# release passes only when signed with the key installed apps already trust.
# Called by test.sh; runnable alone.
source "$(dirname "$0")/lib.sh"
cd "$REPO"

install_apt minisign
install_tauri_cli

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version=1.2.3

# Keys in Tauri's format, as `tauri signer generate` makes the real one.
"$TAURI_CLI" signer generate --ci -p "throwaway password" -w "$work/trusted.key" >/dev/null
"$TAURI_CLI" signer generate --ci -p "" -w "$work/other.key" >/dev/null
printf '{"plugins":{"updater":{"pubkey":"%s"}}}\n' "$(cat "$work/trusted.key.pub")" >"$work/tauri.conf.json"

# A fresh folder of fake updater artifacts, as a build job hands them to the signing job
# (with its throwaway build signature beside one of them).
artifacts() {
  rm -rf "$work/up" && mkdir "$work/up"
  head -c 4096 /dev/urandom >"$work/up/Serene_${version}_amd64.AppImage"
  head -c 2048 /dev/urandom >"$work/up/Serene_${version}_x64-setup.exe"
  head -c 1024 /dev/urandom >"$work/up/Serene.app.tar.gz"
  echo "throwaway build signature" >"$work/up/Serene.app.tar.gz.sig"
}

sign_with() { # key-file password [config [installed-config]]
  TAURI_SIGNING_PRIVATE_KEY="$(cat "$1")" TAURI_SIGNING_PRIVATE_KEY_PASSWORD="$2" \
    scripts/release-sign.sh "$work/up" "$version" "${3:-$work/tauri.conf.json}" "${4:-${3:-$work/tauri.conf.json}}"
}

verify() {
  scripts/verify-update-signatures.sh "$work/up" "$version" "$work/tauri.conf.json"
}

# Runs a command that must stop the release with a message naming the reason.
expect_refusal() { # what expected-message command...
  local what="$1" expected="$2" out
  shift 2
  if out="$("$@" 2>&1)"; then
    die "$what was accepted; it must stop the release:
$out"
  fi
  grep -qF "$expected" <<<"$out" || die "$what was refused, but not for the expected reason ($expected):
$out"
  echo "refused as it must be: $what"
}

say "A right signature passes"
artifacts
sign_with "$work/trusted.key" "throwaway password"
for file in "$work/up"/*.sig; do
  comment="$(base64 -d "$file" | sed -n 's/^trusted comment: //p')"
  grep -qP "^timestamp:\d+\tfile:$(basename "${file%.sig}" | sed 's/\./\\./g')\tversion:$version$" <<<"$comment" \
    || die "$(basename "$file") is not in Tauri's format: trusted comment '$comment'"
done
# Tauri's own signer produces signatures the verification accepts too.
"$TAURI_CLI" signer sign -f "$work/trusted.key" -p "throwaway password" --app-version "$version" \
  "$work/up/Serene_${version}_x64-setup.exe" >/dev/null 2>&1
verify >/dev/null

say "A signature by another key stops the release"
artifacts
expect_refusal "signing with a key the app does not trust" "but installed apps trust" sign_with "$work/other.key" ""
expect_refusal "a signature by another key" "but installed apps trust" verify

say "An artifact changed after signing stops the release"
artifacts
sign_with "$work/trusted.key" "throwaway password" >/dev/null
printf 'x' >>"$work/up/Serene_${version}_amd64.AppImage"
expect_refusal "a tampered artifact" "does not match its signature" verify

say "A signature without the version stops the release"
artifacts
sign_with "$work/trusted.key" "throwaway password" >/dev/null
# As Tauri signed before CLI 2.11.5: no version in the trusted comment.
"$TAURI_CLI" signer sign -f "$work/trusted.key" -p "throwaway password" \
  "$work/up/Serene_${version}_x64-setup.exe" >/dev/null 2>&1
expect_refusal "an unversioned signature" "names no version" verify

say "A signature for another version stops the release"
artifacts
sign_with "$work/trusted.key" "throwaway password" >/dev/null
"$TAURI_CLI" signer sign -f "$work/trusted.key" -p "throwaway password" --app-version 1.2.2 \
  "$work/up/Serene_${version}_x64-setup.exe" >/dev/null 2>&1
expect_refusal "a signature made for 1.2.2" "is for version 1.2.2, not $version" verify

say "A missing signature stops the release"
artifacts
sign_with "$work/trusted.key" "throwaway password" >/dev/null
rm "$work/up/Serene.app.tar.gz.sig"
expect_refusal "an unsigned artifact" "Serene.app.tar.gz has no signature" verify

say "A key rotation release: signed with the key installed apps trust, carrying the new one"
printf '{"plugins":{"updater":{"pubkey":"%s"}}}\n' "$(cat "$work/other.key.pub")" >"$work/rotated.conf.json"
artifacts
sign_with "$work/trusted.key" "throwaway password" "$work/rotated.conf.json" "$work/tauri.conf.json" >"$work/rotation.log"
grep -q "^key rotation: " "$work/rotation.log" || die "a rotation release was not reported as one: $(cat "$work/rotation.log")"
artifacts
expect_refusal "a rotation release signed with the new key, which installed apps do not trust yet" \
  "but installed apps trust" sign_with "$work/other.key" "" "$work/rotated.conf.json" "$work/tauri.conf.json"

say "A retired key stops the release, even with right signatures"
artifacts
sign_with "$work/trusted.key" "throwaway password" >/dev/null
trusted_id="$(base64 -d "$work/trusted.key.pub" | sed -n 's/^untrusted comment: minisign public key: //p')"
{ cat release/retired-keys.txt; echo "$trusted_id  throwaway key, retired for this test"; } >"$work/retired.txt"
expect_refusal "a release under a retired key" "($trusted_id) is retired" \
  env SERENE_RETIRED_KEYS="$work/retired.txt" scripts/verify-update-signatures.sh "$work/up" "$version" "$work/tauri.conf.json"

say "The bootstrap key stops the release"
# The key committed while bootstrapping (id AF1B128EC3B49991, listed in
# release/retired-keys.txt); kept here so the check outlives its rotation.
bootstrap="dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWduIHB1YmxpYyBrZXk6IEFGMUIxMjhFQzNCNDk5OTEKUldTUm1iVERqaElicnpoaUJ6N2h5Um5ZUFk1cldTcDFUVm1MbFcwVDNjMng2UkFoZDc1QnNQaloK"
printf '{"plugins":{"updater":{"pubkey":"%s"}}}\n' "$bootstrap" >"$work/bootstrap.conf.json"
artifacts
sign_with "$work/trusted.key" "throwaway password" >/dev/null
expect_refusal "a release under the bootstrap key" "(AF1B128EC3B49991) is retired" \
  scripts/verify-update-signatures.sh "$work/up" "$version" "$work/bootstrap.conf.json"
if scripts/verify-update-signatures.sh "$work/up" "$version" "$REPO/tauri.conf.json" >"$work/committed.log" 2>&1; then
  die "the signatures verified against tauri.conf.json's key, which no throwaway key can match"
elif grep -q "is retired" "$work/committed.log"; then
  echo "(tauri.conf.json still trusts a retired key: the release workflow refuses to publish until it is rotated)"
fi

say "Signing and verification checked: right signatures passed (a rotation too), wrong ones refused"
