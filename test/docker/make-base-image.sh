#!/usr/bin/env bash
# Builds a minimal Node.js base image from this machine's own node binary, for tests and CI,
# where no image can be pulled from a registry. It holds node, the shared libraries it links,
# and /bin/sh with the few tools the container's scripts use; `docker import` turns it into an
# image. Usage: make-base-image.sh [TAG]   (default pipeline-test/node-base:local)
set -euo pipefail
tag="${1:-pipeline-test/node-base:local}"
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag already exists"
  exit 0
fi
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
# mktemp's folder is 0700, and it becomes the image's /: make it what / is everywhere.
chmod 755 "$root"

copy_with_libs() {
  for binary in "$@"; do
    local real
    real="$(readlink -f "$binary")"
    mkdir -p "$root$(dirname "$binary")"
    cp "$real" "$root$binary"
    ldd "$real" | grep -o '/[^ ]*' | while read -r lib; do
      mkdir -p "$root$(dirname "$lib")"
      cp -n "$(readlink -f "$lib")" "$root$lib"
    done
  done
}

copy_with_libs "$(command -v node)" /bin/sh /bin/dash /usr/bin/dirname /usr/bin/env /bin/ls /bin/cat
mkdir -p "$root"/{tmp,etc,opt,root,usr/local/bin}
chmod 1777 "$root/tmp"
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'CMD ["node"]' \
  - "$tag" >/dev/null
echo "built $tag ($(docker image inspect --format '{{.Size}}' "$tag") bytes)"
