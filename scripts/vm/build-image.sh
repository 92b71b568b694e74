#!/usr/bin/env bash
# Builds (or finds in the cache) the Debian bookworm VM image that tests/tests/systemd_vm.rs boots
# (issue 9): systemd as PID 1, Debian's Prometheus, and a boot-time service that runs the driver
# script of a second, per-run disk. Our binaries and the driver are NOT in the image: they change
# on every build, so boot.sh puts them on that second disk and the image stays cached.
#
# Usage: scripts/vm/build-image.sh CACHE_DIR
# Prints the image directory (rootfs.img, vmlinuz, initrd.img) as the last line of stdout.
#
# The image lives in CACHE_DIR/bookworm-<hash>, the hash taken over everything that goes into it:
# the suite, the mirror, the package list, this script and scripts/vm/image/. A warm run finds it
# and returns at once; a cold one (debootstrap, a few minutes) replaces older images. Downloaded
# .debs stay in CACHE_DIR/debs, so a rebuild after a script change downloads nothing.
# Environment: PUSHGW_VM_MIRROR (default http://deb.debian.org/debian).
# Needs root (debootstrap and chroot), and the Debian packages debootstrap and e2fsprogs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

cache=${1:?usage: build-image.sh CACHE_DIR}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
suite=bookworm
mirror=${PUSHGW_VM_MIRROR:-http://deb.debian.org/debian}
# systemd as init with what a real Debian VM has around it (udev, dbus, nss-systemd for
# DynamicUser names), Debian's kernel and Prometheus (which pulls promtool), and the tools the
# driver uses: curl for the HTTP APIs, jq to read their JSON, iproute2 for ss, procps for ps.
packages=systemd,systemd-sysv,udev,dbus,libnss-systemd,linux-image-amd64,prometheus,curl,ca-certificates,jq,iproute2,procps
image_size=4G

fail() {
    echo "build-image: $*" >&2
    exit 1
}
for tool in debootstrap:debootstrap mkfs.ext4:e2fsprogs chroot:coreutils flock:util-linux sha256sum:coreutils; do
    command -v "${tool%%:*}" >/dev/null ||
        fail "${tool%%:*} is missing: install the Debian package ${tool#*:} (apt-get install ${tool#*:})"
done
[[ $(id -u) -eq 0 ]] || fail "debootstrap needs root: run as root (scripts/test.sh in CI runs as root)"

key=$( {
    printf '%s\n' "$suite" "$mirror" "$packages" "$image_size"
    cat "$here/build-image.sh"
    for file in "$here"/image/*; do
        printf '%s\n' "${file##*/}"
        cat "$file"
    done
} | sha256sum | cut -c1-16)
image="$cache/$suite-$key"

mkdir -p "$cache"
exec 9>"$cache/.lock"
# Another build (a concurrent test run) may hold the lock; it takes minutes, not hours.
flock -w 1800 9 || fail "waited 30 minutes for the lock on $cache/.lock"
if [[ -e $image/complete ]]; then
    echo "$image"
    exit 0
fi

echo "build-image: building $image (debootstrap $suite from $mirror)" >&2
started=$SECONDS
work=$(mktemp -d "$cache/.build-XXXXXX")
cleanup() {
    # Only what debootstrap itself may leave mounted under the root.
    for mount in proc sys dev/pts dev; do
        mountpoint -q "$work/root/$mount" 2>/dev/null && umount -l "$work/root/$mount"
    done
    rm -rf "$work"
}
trap cleanup EXIT
root=$work/root
mkdir -p "$cache/debs" "$root"
# Debootstrap's own downloads are cached; its log goes to the console only on failure.
if ! debootstrap --variant=minbase --include="$packages" --cache-dir="$cache/debs" \
    "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 40 "$work/debootstrap.log" >&2
    [[ -f $root/debootstrap/debootstrap.log ]] && tail -n 40 "$root/debootstrap/debootstrap.log" >&2
    fail "debootstrap failed (log above); is $mirror reachable?"
fi

# The root file system is the first virtio disk, written through a per-run overlay.
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$root/etc/fstab"
echo pushgw-vm >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tpushgw-vm\n' >"$root/etc/hosts"
# A root login without password on the serial console, for whoever boots the image by hand.
chroot "$root" passwd --delete root >/dev/null
# Networking: qemu's user network gives the guest 10.0.2.15 (the "private IP" the installer is
# given); a static address needs no DHCP round trip.
install -m 0644 "$here/image/10-ethernet.network" "$root/etc/systemd/network/10-ethernet.network"
install -m 0755 "$here/image/pushgw-vm-run" "$root/usr/local/sbin/pushgw-vm-run"
install -m 0644 "$here/image/pushgw-vm-driver.service" "$root/etc/systemd/system/pushgw-vm-driver.service"
systemctl --root="$root" --quiet enable systemd-networkd.service pushgw-vm-driver.service
# Nothing of the image's life should depend on the calendar (apt and man-db timers would fire
# at random in a test run).
systemctl --root="$root" --quiet mask apt-daily.timer apt-daily-upgrade.timer man-db.timer \
    e2scrub_all.timer e2scrub_reap.service fstrim.timer 2>/dev/null || true

# A small initrd with only what mounts the root disk: under TCG, unpacking Debian's default one
# (all storage drivers, 35 MB) alone costs ten seconds of every boot.
printf 'virtio_pci\nvirtio_blk\next4\n' >"$root/etc/initramfs-tools/modules"
echo MODULES=list >"$root/etc/initramfs-tools/conf.d/pushgw-vm"
chroot "$root" update-initramfs -u -k all >"$work/initramfs.log" 2>&1 ||
    fail "update-initramfs failed in $root: $(tail -n 5 "$work/initramfs.log")"

kernel=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
initrd=$(find "$root/boot" -maxdepth 1 -name 'initrd.img-*' | sort -V | tail -n 1)
[[ -n $kernel && -n $initrd ]] || fail "no kernel or initrd under $root/boot (linux-image-amd64 installed?)"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root/debootstrap"

out=$work/image
mkdir -p "$out"
cp "$kernel" "$out/vmlinuz"
cp "$initrd" "$out/initrd.img"
# mkfs.ext4 -d copies the tree in (owners, modes, hard links, xattrs): no loop mount needed.
truncate -s "$image_size" "$out/rootfs.img"
mkfs.ext4 -q -L pushgw-root -d "$root" "$out/rootfs.img" ||
    fail "mkfs.ext4 -d $root failed (e2fsprogs >= 1.43 needed)"
printf 'suite=%s\nmirror=%s\npackages=%s\nkernel=%s\nbuilt_in_seconds=%s\n' \
    "$suite" "$mirror" "$packages" "${kernel##*/}" "$((SECONDS - started))" >"$out/complete"

rm -rf "$image"
mv "$out" "$image"
# Older images are unreachable now (their inputs changed); they are a gigabyte each.
find "$cache" -maxdepth 1 -name "$suite-*" ! -path "$image" -exec rm -rf {} +
echo "build-image: built $image in $((SECONDS - started))s" >&2
echo "$image"
