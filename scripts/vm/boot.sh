#!/usr/bin/env bash
# Boots the VM image of build-image.sh once, for tests/tests/systemd_vm.rs (issue 9) or by hand.
#
# Usage: scripts/vm/boot.sh IMAGE_DIR WORK_DIR [FILE...]
#
# In WORK_DIR it makes:
# - run.img: the per-run disk (/dev/vdb in the guest, read-only), an ext4 file system made by
#   `mkfs.ext4 -d` (no mount needed) from driver.sh of this directory and the FILEs (our freshly
#   built pushgw-install and pushgw-sidecar). The image's boot service runs its driver.sh.
# - overlay.qcow2: the root disk (/dev/vda), a copy-on-write overlay on the cached image, so the
#   image stays pristine and a reboot inside the run keeps what the first boot wrote.
# - console.log (ttyS0: kernel, systemd, driver output) and steps.log (ttyS1: the driver's
#   `STEP <name> ok|fail <detail>` lines).
# then replaces itself with qemu (the caller can kill qemu by this script's pid), which exits
# when the guest powers off.
#
# KVM when /dev/kvm is usable with hardware virtualisation, else TCG (several times slower);
# PUSHGW_VM_ACCEL=kvm|tcg forces one.
# Networking: qemu's user network with restrict=on: the guest (10.0.2.15) reaches nothing
# outside, and nothing is forwarded to it.
# Needs the Debian packages qemu-system-x86, qemu-utils and e2fsprogs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

image=${1:?usage: boot.sh IMAGE_DIR WORK_DIR [FILE...]}
work=${2:?usage: boot.sh IMAGE_DIR WORK_DIR [FILE...]}
shift 2

fail() {
    echo "boot: $*" >&2
    exit 1
}
for tool in qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils mkfs.ext4:e2fsprogs; do
    command -v "${tool%%:*}" >/dev/null ||
        fail "${tool%%:*} is missing: install the Debian package ${tool#*:} (apt-get install ${tool#*:})"
done
for file in rootfs.img vmlinuz initrd.img complete; do
    [[ -f $image/$file ]] || fail "$image/$file is missing: build the image with scripts/vm/build-image.sh"
done
image=$(cd "$image" && pwd)

mkdir -p "$work"
work=$(cd "$work" && pwd)
payload=$work/payload
rm -rf "$payload" "$work/run.img" "$work/overlay.qcow2" "$work/console.log" "$work/steps.log"
mkdir -p "$payload"
cp "$here/driver.sh" "$payload/"
for file in "$@"; do
    cp "$file" "$payload/"
done
# The payload's size plus room for the file system's own structures.
size_kib=$(($(du -sk "$payload" | cut -f 1) * 11 / 10 + 8192))
truncate -s "${size_kib}K" "$work/run.img"
mkfs.ext4 -q -L pushgw-run -d "$payload" "$work/run.img"
rm -rf "$payload"
qemu-img create -q -f qcow2 -b "$image/rootfs.img" -F raw "$work/overlay.qcow2"

accel=${PUSHGW_VM_ACCEL:-}
if [[ -z $accel ]]; then
    # Hardware virtualisation only: a /dev/kvm backed by kvm_pvm (a nested host without VT-x or
    # AMD-V, as in some cloud sandboxes) runs only PVM-built guest kernels, and Debian's hangs
    # there without a word.
    if [[ -r /dev/kvm && -w /dev/kvm ]] && [[ -d /sys/module/kvm_intel || -d /sys/module/kvm_amd ]]; then
        accel=kvm
    else
        accel=tcg
    fi
fi
echo "boot: accel=$accel, work dir $work" >&2

# The i440FX machine (pc), not q35: fewer emulated devices to probe, and under TCG on this
# 2-core machine it reached the driver in 70-77 s where q35 took 92-120 s.
exec qemu-system-x86_64 \
    -name pushgw-vm -machine pc -accel "$accel" -cpu max -smp 2 -m 1024 \
    -nodefaults -no-user-config -display none \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 loglevel=4 systemd.show_status=auto" \
    -drive "file=$work/overlay.qcow2,format=qcow2,if=virtio" \
    -drive "file=$work/run.img,format=raw,if=virtio,readonly=on" \
    -netdev user,id=net0,restrict=on -device virtio-net-pci,netdev=net0 \
    -device virtio-rng-pci \
    -serial "file:$work/console.log" -serial "file:$work/steps.log"
