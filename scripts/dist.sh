#!/usr/bin/env bash
# Builds the release artifacts from a checkout, into dist/:
#
#   dist/pushgw-<version>.linux-amd64.tar.gz    pushgw-<version>.linux-amd64/{pushgw-sidecar,
#                                               pushgw-install,LICENSE,README.md}, the shape of
#                                               the Go Pushgateway's release tarball
#   dist/pushgw-sidecar_<version>-1_amd64.deb   binaries in /usr/bin, a systemd unit, a system user
#   dist/sha256sums.txt                         `sha256sum -c` checks both
#
# The binaries target glibc 2.17 (CentOS 7, Debian 9, Ubuntu 16.04 and newer) through
# `cargo zigbuild`, with the `dist` profile of the root Cargo.toml (fat LTO, stripped). The tarball
# is reproducible: sorted entries, owner 0/0, every mtime SOURCE_DATE_EPOCH (default: the commit
# time of HEAD), gzip without a timestamp.
#
# The tools (cargo-deb from the crates registry; cargo-zigbuild prebuilt and zig (`ziglang`) from PyPI)
# are installed on first use, pinned, into PUSHGW_DIST_CACHE (default ~/.cache/pushgw-dist), not
# into ~/.cargo or the system Python. A second run with unchanged sources rebuilds nothing and only
# repacks (seconds).
set -euo pipefail
cd "$(dirname "$0")/.."

# `cargo test` describes the test's own package in the environment of the tests that run this
# script (tests/tests/dist.rs); passed on, those variables reach the dependencies' build scripts
# (ring's tracks CARGO_MANIFEST_DIR) and each switch between a test run and a shell run would
# rebuild everything. Build in the same environment either way.
while read -r variable; do
    unset "$variable"
done < <(compgen -e | grep -E '^CARGO_(MANIFEST_|PKG_|CRATE_|BIN_|PRIMARY_PACKAGE|TARGET_TMPDIR)' || true)

cargo_zigbuild_version=0.24.1
cargo_deb_version=3.8.0
ziglang_version=0.15.2
# The target triple names the glibc version to link against; the outputs land in
# target/x86_64-unknown-linux-gnu/ all the same.
target=x86_64-unknown-linux-gnu
glibc_floor=2.17
profile=dist

cache=${PUSHGW_DIST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pushgw-dist}
tools=$cache/tools
mkdir -p "$tools" dist

# One dist build at a time per checkout: the tests (dist.rs, deb.rs) may call this concurrently.
exec 9>dist/.lock
flock 9

say() { echo "dist.sh: $*" >&2; }

for program in git python3 tar gzip sha256sum flock; do
    if ! command -v "$program" >/dev/null; then
        say "$program is not installed; install it (Debian: apt-get install $program) and rerun"
        exit 1
    fi
done

# cargo install <crate> <version>: into its own root under the cache, once.
install_crate() {
    local crate=$1 version=$2 root=$tools/$1-$2
    if [[ ! -x $root/bin/$crate ]]; then
        say "installing $crate $version into $root (once)"
        cargo install --quiet --locked --root "$root" "$crate@$version"
    fi
    PATH=$root/bin:$PATH
}
install_crate cargo-deb "$cargo_deb_version"

# pip install --target <dir> <package>==<version>, once: PyPI has zig, and cargo-zigbuild as the
# same release prebuilt (the crate would take minutes to compile on a fresh machine).
install_wheel() {
    local package=$1 version=$2 dir=$tools/$1-$2
    if [[ ! -d $dir/${package//-/_}-$version.dist-info ]]; then
        say "installing $package $version from PyPI into $dir (once)"
        rm -rf "$dir"
        python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
            --no-deps --target "$dir" "$package==$version"
    fi
}
install_wheel cargo-zigbuild "$cargo_zigbuild_version"
PATH=$tools/cargo-zigbuild-$cargo_zigbuild_version/bin:$PATH
install_wheel ziglang "$ziglang_version"
export CARGO_ZIGBUILD_ZIG_PATH=$tools/ziglang-$ziglang_version/ziglang/zig

version=$(cargo pkgid -p pushgw-sidecar)
version=${version##*[@#]}
if ! head -n 1 packaging/deb/changelog | grep -qF "pushgw-sidecar ($version-1)"; then
    say "packaging/deb/changelog does not start with an entry for $version-1: add one (dch format)"
    exit 1
fi
revision=$(git rev-parse HEAD)
if [[ -n $(git status --porcelain --untracked-files=no) ]]; then
    revision+=-dirty
fi
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
# What `--version` and pushgateway_build_info report (pushgw-sidecar/build.rs).
export PUSHGW_REVISION=$revision
export PUSHGW_BRANCH=${PUSHGW_BRANCH:-$(git rev-parse --abbrev-ref HEAD)}
# Reproducible binaries: no build machine paths in panic messages.
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="--remap-path-prefix=$PWD=. --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"

say "building pushgw $version ($revision) for $target, glibc $glibc_floor"
cargo zigbuild --locked --quiet --profile "$profile" --target "$target.$glibc_floor" \
    -p pushgw-sidecar -p pushgw-install
bin=target/$target/$profile

name=pushgw-$version.linux-amd64
stage=$(mktemp -d "dist/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
install -m 0755 "$bin/pushgw-sidecar" "$bin/pushgw-install" "$stage/$name/"
install -m 0644 LICENSE README.md "$stage/$name/"
tarball=dist/$name.tar.gz
tar --create --format=gnu --sort=name --mtime="@$SOURCE_DATE_EPOCH" \
    --owner=0 --group=0 --numeric-owner --directory="$stage" "$name" |
    gzip -9 --no-name >"$tarball.tmp"
mv "$tarball.tmp" "$tarball"

deb=dist/pushgw-sidecar_${version}-1_amd64.deb
cargo deb --quiet --no-build --no-strip -p pushgw-sidecar --profile "$profile" \
    --target "$target" --output "$deb" >/dev/null

(cd dist && sha256sum "$(basename "$tarball")" "$(basename "$deb")" >sha256sums.txt.tmp &&
    mv sha256sums.txt.tmp sha256sums.txt)
say "done:"
(cd dist && ls -l "$(basename "$tarball")" "$(basename "$deb")" sha256sums.txt) >&2
