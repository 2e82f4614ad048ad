#!/bin/bash
# A bootable Debian bookworm rootfs for the package tests (systemd as PID 1 in
# systemd-nspawn), with the packages of every command the test and the
# packages' own scripts run inside (the "system" rows of scripts/commands.list),
# and systemd-resolved + polkitd (DNS pushes through the package's polkit rule).
# Cached: rebuilt only when the settings change; kept as a zstd tarball too so a
# machine that keeps its cache but not the tree unpacks it in seconds.
# Usage: build-rootfs.sh [ROOTFS]
set -euo pipefail
ROOTFS=${1:-${NETEVD_ROOTFS:-/var/cache/netevd-test/rootfs}}
SUITE=bookworm
LIST=$(dirname "$0")/../../../scripts/commands.list
INCLUDE=$( { printf '%s\n' systemd systemd-sysv dbus libpam-systemd polkitd systemd-resolved
	awk '!/^[[:space:]]*(#|$)/ && $3 == "system" { print $2 }' "$LIST"; } | sort -u | paste -sd,)
MIRROR=$(grep -hE '^URIs:.*/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
[ -n "$MIRROR" ] || MIRROR=$(grep -hE '^deb .*/debian/? ' /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}')
[ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian
stamp="suite=$SUITE include=$INCLUDE mirror=$MIRROR v2"
tarball="$ROOTFS.tar.zst"

if [ -f "$ROOTFS/.netevd-rootfs" ] && [ "$(cat "$ROOTFS/.netevd-rootfs")" = "$stamp" ]; then
	echo "build-rootfs: $ROOTFS is up to date"
	exit 0
fi
mkdir -p "$(dirname "$ROOTFS")"
if [ -f "$tarball" ] && [ "$(cat "$tarball.stamp" 2>/dev/null)" = "$stamp" ]; then
	rm -rf "$ROOTFS" && mkdir -p "$ROOTFS"
	zstd -dc "$tarball" | tar -x -C "$ROOTFS"
	echo "build-rootfs: unpacked $tarball"
	exit 0
fi
tmp="$ROOTFS.tmp"
rm -rf "$tmp"
start=$(date +%s)
debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$tmp" "$MIRROR" > "$ROOTFS.debootstrap.log" 2>&1 ||
	{ tail -20 "$ROOTFS.debootstrap.log" >&2; exit 1; }
echo netevd-test > "$tmp/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 netevd-test\n::1 localhost ip6-localhost ip6-loopback\n' > "$tmp/etc/hosts"
for u in apt-daily.timer apt-daily-upgrade.timer console-getty.service; do ln -sf /dev/null "$tmp/etc/systemd/system/$u"; done
# Installed for the backend hosts test, which starts the manager a case needs:
# at boot no manager runs, so the other tests see a host of the kernel alone.
chroot "$tmp" systemctl disable NetworkManager.service NetworkManager-wait-online.service NetworkManager-dispatcher.service >/dev/null 2>&1 || true
rm -f "$tmp/etc/systemd/system/dbus-org.freedesktop.nm-dispatcher.service"
chroot "$tmp" apt-get clean
echo "$stamp" > "$tmp/.netevd-rootfs"
rm -rf "$ROOTFS" && mv "$tmp" "$ROOTFS"
tar -C "$ROOTFS" -cf - . | zstd -3 -q -o "$tarball.tmp" && mv "$tarball.tmp" "$tarball" && echo "$stamp" > "$tarball.stamp"
echo "build-rootfs: built in $(( $(date +%s) - start ))s"
