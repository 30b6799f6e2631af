#!/usr/bin/env bash
# Builds a Debian bookworm base image (the stand-in for debian:bookworm-slim, which cannot be
# pulled here) with debootstrap from Debian's own packages, for the decision-tree example's
# Dockerfile: `docker import` turns the root file system into an image.
# Usage: make-debian-image.sh [TAG]   (default pipeline-test/debian:local)
set -euo pipefail
tag="${1:-pipeline-test/debian:local}"
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag already exists"
  exit 0
fi
command -v debootstrap >/dev/null 2>&1 || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
# mktemp's folder is 0700, and it becomes the image's /: make it what / is everywhere.
chmod 755 "$root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || { tail -20 "$root.log" >&2; exit 1; }
rm -f "$root.log"
# As the slim image: no package cache and no package lists (a Dockerfile runs apt-get update).
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' \
  - "$tag" >/dev/null
echo "built $tag ($(docker image inspect --format '{{.Size}}' "$tag") bytes)"
