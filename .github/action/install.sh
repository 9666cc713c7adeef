#!/usr/bin/env bash
# Installs reins for the GitHub Action into $REINS_ROOT/bin and puts it on the job's PATH: the
# release binary for this runner when the release has one, else `cargo install` of the pinned tag
# (--locked, so the build is the one the tag's Cargo.lock describes). action.yml caches
# $REINS_ROOT, keyed by version and runner, so the build happens once per version.
set -euo pipefail

version="${REINS_VERSION:?REINS_VERSION: the tag to install}"
repo="${REINS_REPOSITORY:?REINS_REPOSITORY: owner/name of the reins repository}"
root="${REINS_ROOT:?REINS_ROOT: where to install}"
server="${GITHUB_SERVER_URL:-https://github.com}"
bin="$root/bin"

case "$version" in
    -*|*[!A-Za-z0-9._+-]*) echo "reins action: '$version' is not a tag name" >&2; exit 2 ;;
esac
case "$repo" in
    */*) ;;
    *) echo "reins action: '$repo' is not owner/name" >&2; exit 2 ;;
esac

if [ -x "$bin/reins" ] && "$bin/reins" --version >/dev/null 2>&1; then
    echo "reins action: using the cached $("$bin/reins" --version)" >&2
else
    mkdir -p "$bin"
    case "$(uname -s)-$(uname -m)" in
        Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
        Linux-aarch64) target=aarch64-unknown-linux-gnu ;;
        Darwin-arm64) target=aarch64-apple-darwin ;;
        Darwin-x86_64) target=x86_64-apple-darwin ;;
        *) target="" ;;
    esac
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    url="$server/$repo/releases/download/$version/reins-$target.tar.gz"
    if [ -n "$target" ] && curl -fsSL --retry 2 -o "$tmp/reins.tar.gz" "$url" \
        && tar -xzf "$tmp/reins.tar.gz" -C "$tmp" && [ -f "$tmp/reins" ]; then
        install -m 0755 "$tmp/reins" "$bin/reins"
        echo "reins action: installed the release binary $version for $target" >&2
    else
        echo "reins action: no release binary for ${target:-this runner}; building $version with cargo" >&2
        cargo install --locked --git "$server/$repo" --tag "$version" --root "$root" reins
    fi
fi
if [ -n "${GITHUB_PATH:-}" ]; then
    echo "$bin" >> "$GITHUB_PATH"
fi
"$bin/reins" --version
