#!/bin/bash
# `npm run image`: the OCI image, without a Docker daemon. A minimal Debian
# bookworm (debootstrap --variant=minbase, cached between builds) with the
# files of the built .deb and the container configuration, made into an OCI
# image layout by umoci: dist/oci/, tags VERSION and latest. Run it with
# `podman run oci:dist/oci:latest`; push it with
# `skopeo copy oci:dist/oci:VERSION docker://REGISTRY/netevd:VERSION`.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=$(node -p 'require("./package.json").version')
DEB=dist/netevd_${VERSION}-1_amd64.deb
[ -f "$DEB" ] || { echo "build-image: $DEB is missing: run npm run package first" >&2; exit 1; }
BASE=${NETEVD_IMAGE_BASE:-/var/cache/netevd-build/oci-base}
MIRROR=$(grep -hE '^URIs:.*/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
MIRROR=${MIRROR:-http://deb.debian.org/debian}
stamp="bookworm minbase $MIRROR v1"
IMAGE_UID=999

if [ "$(cat "$BASE.stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$BASE" "$BASE.tmp"
	mkdir -p "$(dirname "$BASE")"
	debootstrap --variant=minbase bookworm "$BASE.tmp" "$MIRROR" > "$BASE.log" 2>&1 ||
		{ tail -20 "$BASE.log" >&2; exit 1; }
	chroot "$BASE.tmp" apt-get clean
	# What a container never uses: package lists, documentation, translations.
	rm -rf "$BASE.tmp"/var/lib/apt/lists/* "$BASE.tmp"/usr/share/doc/* "$BASE.tmp"/usr/share/man/* \
		"$BASE.tmp"/usr/share/info/* "$BASE.tmp"/usr/share/locale/*
	mv "$BASE.tmp" "$BASE"
	echo "$stamp" > "$BASE.stamp"
fi

work=$(mktemp -d /tmp/netevd-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
layout=$work/layout
umoci init --layout "$layout"
umoci new --image "$layout:$VERSION"
umoci unpack --image "$layout:$VERSION" "$work/bundle" > /dev/null
rootfs=$work/bundle/rootfs
rm -rf "$rootfs"
cp -a "$BASE" "$rootfs"
dpkg-deb -x "$DEB" "$rootfs"
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/bash-completion "$rootfs"/usr/share/zsh "$rootfs"/usr/share/fish
install -m 0644 packaging/oci/netevd.yaml "$rootfs/etc/netevd/netevd.yaml"
# The image runs as user netevd (a fixed id: nothing in a container allocates
# one): podman and Docker give a non-root user the added CAP_NET_ADMIN as an
# ambient capability, so netevd starts with it alone and scripts get none.
echo "netevd:x:$IMAGE_UID:$IMAGE_UID:netevd network event daemon:/var/lib/netevd:/usr/sbin/nologin" >> "$rootfs/etc/passwd"
echo "netevd:x:$IMAGE_UID:" >> "$rootfs/etc/group"
echo "netevd:!*:19000::::::" >> "$rootfs/etc/shadow"
install -d -m 0750 -o "$IMAGE_UID" -g "$IMAGE_UID" "$rootfs/run/netevd" "$rootfs/var/cache/netevd" "$rootfs/var/lib/netevd"
umoci repack --image "$layout:$VERSION" "$work/bundle"
# The unit's Node flags (a smaller heap at rest) hold in the container too.
node_options=$(sed -n 's/^Environment="NODE_OPTIONS=\(.*\)"$/\1/p' systemd/netevd.service)
umoci config --image "$layout:$VERSION" \
	--config.entrypoint /usr/bin/netevd --config.cmd run --config.user netevd \
	--config.env "NODE_OPTIONS=$node_options" \
	--config.workingdir / --config.stopsignal SIGTERM --config.exposedports 9171/tcp \
	--config.label org.opencontainers.image.title=netevd \
	--config.label "org.opencontainers.image.version=$VERSION" \
	--config.label org.opencontainers.image.licenses=MIT \
	--config.label "org.opencontainers.image.description=Linux network event daemon" \
	--config.label org.opencontainers.image.base.name=debian:bookworm
umoci tag --image "$layout:$VERSION" latest
umoci gc --layout "$layout"
rm -rf dist/oci
mv "$layout" dist/oci
echo "built dist/oci (netevd:$VERSION, latest)"
du -sh dist/oci
