#!/usr/bin/env bash
# Build the local Python base image without a container registry: debootstrap a minimal Debian bookworm with
# python3 + venv, trim what a connector never reads (apt lists, docs, man pages, locales) and `docker import`
# the tree. The unprivileged connector user is added by tools/docker/connector-base.Dockerfile, so any base works.
#
# The trimmed root filesystem is cached as a tarball under .build/base/ (keyed by this script's checksum), so
# re-importing it (after `docker system prune`, say) skips the ~60 s debootstrap. Needs root (debootstrap chroots)
# and Debian's mirror.
#
# Usage: tools/docker/build-python-base.sh [--force]   (--force re-runs debootstrap and re-imports)
set -euo pipefail

TAG=dockyard/python-base:3.11-bookworm
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=python3,python3-venv,ca-certificates
ROOT_DIR=$(cd "$(dirname "$0")/../.." && pwd)
CACHE_DIR=$ROOT_DIR/.build/base
# Keyed by this script's own checksum: editing the package list or the trimming invalidates the cached tree.
TARBALL=$CACHE_DIR/python-base-$SUITE-$(sha256sum "$0" | cut -c1-12).tar

log() { echo "==> python-base: $*" >&2; }

force=0
[ "${1:-}" = "--force" ] && force=1

if [ $force = 0 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  log "$TAG already present"
  exit 0
fi

if [ $force = 1 ] || [ ! -s "$TARBALL" ]; then
  [ "$(id -u)" = 0 ] || { log "debootstrap needs root"; exit 1; }
  command -v debootstrap >/dev/null || { log "debootstrap is not installed (make services installs it)"; exit 1; }
  mkdir -p "$CACHE_DIR"
  rootfs=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
  chmod 0755 "$rootfs"  # mktemp makes it 0700, which would become the image's /
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrap $SUITE ($PACKAGES) from $MIRROR"
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE_DIR/debootstrap.log" >&2; log "debootstrap failed (full log: $CACHE_DIR/debootstrap.log)"; exit 1; }

  log "trimming"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/var/lib/dpkg/*-old "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/root/.cache \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/lintian "$rootfs"/usr/share/linda "$rootfs"/usr/share/bug
  find "$rootfs"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  # Keep dpkg from reinstalling what was just trimmed if someone apt-gets in a derived image.
  cat >"$rootfs"/etc/dpkg/dpkg.cfg.d/dockyard-trim <<'CFG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
  log "packing $TARBALL"
  rm -f "$CACHE_DIR"/python-base-"$SUITE"-*.tar
  tar --numeric-owner -C "$rootfs" -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
fi

log "importing $TARBALL as $TAG"
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
  --change 'LABEL org.opencontainers.image.description="Debian bookworm + python3 (debootstrap, no registry)"' \
  --change 'CMD ["python3"]' \
  --message "dockyard python base: debootstrap $SUITE $PACKAGES" \
  "$TARBALL" "$TAG" >/dev/null
docker image inspect --format '{{.Id}} {{.Size}}' "$TAG" | awk -v tag="$TAG" '{printf "==> python-base: %s %s (%.0f MB)\n", tag, $1, $2/1e6}' >&2
