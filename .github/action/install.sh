#!/usr/bin/env bash
# Installs reins for the GitHub Action into $REINS_ROOT/bin and puts it on the job's PATH.
#
# Which reins: the `version` input when given (a tag of $REINS_REPOSITORY), else the action's own
# ref ($REINS_ACTION_REF, what `uses: owner/reins@REF` named). A tag gets its release binary for
# this runner when the release has one. Otherwise reins is built with `cargo install --locked`:
# from the action's own checkout ($REINS_SOURCE, which is the reins source at that ref, so
# `@main` or `@<sha>` install exactly what they name, without a tag having to exist), or, for a
# `version` other than the action's ref, from that tag, after checking that the tag exists so a
# mistyped or never-published version fails with a message instead of a cargo error.
#
# `install.sh resolve` only prints `key=…` for the cache step (action.yml caches $REINS_ROOT
# under it): the tag, or for a source build a hash of the source, since a branch name moves.
set -euo pipefail

version="${REINS_VERSION:-}"
action_ref="${REINS_ACTION_REF:-}"
source_dir="${REINS_SOURCE:-}"
repo="${REINS_REPOSITORY:?REINS_REPOSITORY: owner/name of the reins repository}"
server="${GITHUB_SERVER_URL:-https://github.com}"

is_tag_name() {
    case "$1" in
        ""|-*|*[!A-Za-z0-9._+-]*) return 1 ;;
    esac
}

if [ -n "$version" ] && ! is_tag_name "$version"; then
    echo "reins action: '$version' is not a tag name" >&2
    exit 2
fi
case "$repo" in
    */*) ;;
    *) echo "reins action: '$repo' is not owner/name" >&2; exit 2 ;;
esac

# The tag to install, or empty for the action's own source.
tag="$version"
if [ -z "$tag" ] && is_tag_name "$action_ref" && [ "${action_ref#v[0-9]}" != "$action_ref" ]; then
    tag="$action_ref"
fi
if [ -z "$tag" ] && [ ! -f "$source_dir/Cargo.toml" ]; then
    echo "reins action: no version given and the action's source (${source_dir:-REINS_SOURCE unset}) is not a reins checkout; set the version input to a release tag" >&2
    exit 2
fi

if [ "${1:-}" = resolve ]; then
    if [ -n "$tag" ]; then
        key="$tag"
    else
        key="src-$(cd "$source_dir" && find . \( -name .git -o -name target \) -prune -o -type f -print0 \
            | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
    fi
    line="key=$key"
    if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$line" >> "$GITHUB_OUTPUT"; fi
    echo "$line"
    exit 0
fi

root="${REINS_ROOT:?REINS_ROOT: where to install}"
bin="$root/bin"

build_source() {
    echo "reins action: building reins from the action's source ($source_dir)" >&2
    cargo install --locked --path "$source_dir" --root "$root"
}

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
    if [ -n "$tag" ] && [ -n "$target" ] \
        && curl -fsSL --retry 2 -o "$tmp/reins.tar.gz" "$server/$repo/releases/download/$tag/reins-$target.tar.gz" \
        && tar -xzf "$tmp/reins.tar.gz" -C "$tmp" && [ -f "$tmp/reins" ]; then
        install -m 0755 "$tmp/reins" "$bin/reins"
        echo "reins action: installed the release binary $tag for $target" >&2
    elif [ -z "$tag" ] || { [ "$tag" = "$action_ref" ] && [ -f "$source_dir/Cargo.toml" ]; }; then
        if [ -n "$tag" ]; then
            echo "reins action: no release binary of $tag for ${target:-this runner}" >&2
        fi
        build_source
    elif git ls-remote --exit-code --tags "$server/$repo" "refs/tags/$tag" >/dev/null 2>&1; then
        echo "reins action: no release binary of $tag for ${target:-this runner}; building it with cargo" >&2
        cargo install --locked --git "$server/$repo" --tag "$tag" --root "$root" reins
    else
        echo "::error title=reins action::$repo has no tag $tag (no release binary either); set the version input to an existing tag, or leave it empty to install the action's own ref" >&2
        exit 1
    fi
fi
if [ -n "${GITHUB_PATH:-}" ]; then
    echo "$bin" >> "$GITHUB_PATH"
fi
"$bin/reins" --version
