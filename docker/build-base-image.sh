#!/usr/bin/env bash
# Build a Debian base image with Python 3.11 without any image registry: debootstrap a
# minimal Debian bookworm root filesystem from the Debian mirror, then `docker import` it.
#
#   docker/build-base-image.sh [TAG] [MIRROR]
#
# Needs root, debootstrap and a running Docker daemon. TAG defaults to
# steptool-base:bookworm; the mirror defaults to http://deb.debian.org/debian. Then:
#   steptool sandbox build --base-image steptool-base:bookworm
set -euo pipefail
TAG="${1:-steptool-base:bookworm}"
MIRROR="${2:-http://deb.debian.org/debian}"

if docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "base image $TAG already exists"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }
ROOTFS="$(mktemp -d /tmp/steptool-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT
debootstrap --variant=minbase --include=python3 bookworm "$ROOTFS" "$MIRROR" >/dev/null
# Drop what an image does not need (apt lists and caches, docs, man pages).
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/* \
       "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/locale/*
tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' \
  - "$TAG"
echo "built base image $TAG"
