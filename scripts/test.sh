#!/usr/bin/env bash
# Runs every check and test of the workspace, installing first what the tests need.
# This is the command README.md shows and .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the black-box tests start for real: the Go Pushgateway (the reference),
# Prometheus with promtool, systemd-analyze, curl, and Chromium for the web UI test.
need_pkgs=()
command -v prometheus-pushgateway >/dev/null || need_pkgs+=(prometheus-pushgateway)
command -v prometheus >/dev/null || need_pkgs+=(prometheus)
command -v promtool >/dev/null || need_pkgs+=(prometheus)
command -v systemd-analyze >/dev/null || need_pkgs+=(systemd)
command -v curl >/dev/null || need_pkgs+=(curl)
command -v chromium >/dev/null || need_pkgs+=(chromium)
# The tutorial's commands (tests/tests/tutorial.rs) read the Prometheus API with jq and look at
# listening ports with ss.
command -v jq >/dev/null || need_pkgs+=(jq)
command -v ss >/dev/null || need_pkgs+=(iproute2)
# The client matrix (tests/tests/client_matrix): Go's client_golang built offline from Debian's
# GOPATH, Node.js with npm for prom-client, and OpenSSL headers for the Rust `prometheus` crate's
# push client (reqwest with native-tls).
command -v go >/dev/null || need_pkgs+=(golang-go)
[[ -d /usr/share/gocode/src/github.com/prometheus/client_golang/prometheus/push ]] ||
    need_pkgs+=(golang-github-prometheus-client-golang-dev)
command -v node >/dev/null || need_pkgs+=(nodejs)
command -v npm >/dev/null || need_pkgs+=(npm)
command -v pkg-config >/dev/null || need_pkgs+=(pkg-config)
pkg-config --exists openssl 2>/dev/null || need_pkgs+=(libssl-dev)
# The release artifacts' tests (tests/tests/dist.rs, deb.rs): objdump and readelf read the glibc
# floor, debootstrap makes the Debian root the .deb is installed into. scripts/dist.sh installs
# its own build tools (cargo-zigbuild, cargo-deb, zig) into ~/.cache/pushgw-dist.
command -v objdump >/dev/null || need_pkgs+=(binutils)
command -v debootstrap >/dev/null || need_pkgs+=(debootstrap)
# The systemd VM test (tests/tests/systemd_vm.rs, scripts/vm/): debootstrap (above) builds a
# Debian image once (cached in target/vm), mkfs.ext4 and qemu-img make its disks, qemu boots it.
command -v mkfs.ext4 >/dev/null || need_pkgs+=(e2fsprogs)
command -v qemu-img >/dev/null || need_pkgs+=(qemu-utils)
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
if ((${#need_pkgs[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "missing Debian packages: ${need_pkgs[*]}; run as root or: sudo apt-get install -y ${need_pkgs[*]}" >&2
        exit 1
    fi
    echo "installing Debian packages: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
# The Python client library the client tests drive (PyPI; pinned so that its wire format cannot
# change under the tests).
if ! python3 -c 'import prometheus_client' 2>/dev/null; then
    echo "installing prometheus_client from PyPI"
    python3 -m pip install --quiet 'prometheus_client==0.26.0'
fi
# Debian starts the packaged daemons on install; the tests start their own on free ports.
if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    systemctl stop prometheus prometheus-pushgateway prometheus-node-exporter 2>/dev/null || true
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
# The fuzz targets are outside the workspace (cargo-fuzz's layout); make sure they still build.
cargo check --quiet --manifest-path fuzz/Cargo.toml
cargo test --workspace
