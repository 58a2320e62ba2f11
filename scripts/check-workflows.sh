#!/usr/bin/env bash
# Audits the GitHub Actions workflows with zizmor, offline: any finding not suppressed
# inline (with its reason) fails. Then shows the audit still bites: the same workflows
# with one action moved back to a movable tag must fail it.
# Called by test.sh; runnable alone. zizmor lives in a venv beside the clone.
source "$(dirname "$0")/lib.sh"
cd "$REPO"

ZIZMOR_VERSION=1.32.0

tools="$(dirname "$REPO")/.serene-tools"
mkdir -p "$tools" 2>/dev/null && [ -w "$tools" ] || tools="$REPO/.tools"
venv="$tools/zizmor-venv"
if [ "$("$venv/bin/zizmor" --version 2>/dev/null)" != "zizmor $ZIZMOR_VERSION" ]; then
  say "Installing zizmor $ZIZMOR_VERSION"
  python3 -m venv "$venv" 2>/dev/null || {
    install_apt python3-venv
    rm -rf "$venv" && python3 -m venv "$venv"
  }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "zizmor==$ZIZMOR_VERSION"
fi
zizmor=("$venv/bin/zizmor" --offline --no-progress --color never)

"${zizmor[@]}" .github/workflows/

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/.github" && cp -r .github/workflows "$work/.github/"
planted="$work/.github/workflows/release.yml"
sed -i -E '0,/uses: actions\/checkout@[0-9a-f]{40}.*/s//uses: actions\/checkout@v4/' "$planted"
grep -q 'uses: actions/checkout@v4$' "$planted" || die "could not plant a movable tag in release.yml"
if "${zizmor[@]}" "$work/.github/workflows/" >"$work/planted.log" 2>&1; then
  die "zizmor accepted actions/checkout@v4 (a movable tag): the audit no longer guards the workflows"
fi
grep -q 'unpinned-uses' "$work/planted.log" || die "zizmor failed on the planted tag, but not for unpinned-uses: $(cat "$work/planted.log")"
echo "zizmor refuses a movable tag (checked on a copy of release.yml with actions/checkout@v4)"
