#!/usr/bin/env bash
# Make the services the tests need available: a Docker engine and PostgreSQL server binaries.
# Installs them with apt when missing and we are root (the brief's fresh Debian machine); starts dockerd.
# PostgreSQL clusters themselves are throwaway ones started by the test fixtures.
set -uo pipefail
log() { echo "==> services: $*"; }
is_root() { [ "$(id -u)" = 0 ]; }
apt_updated=0
apt_install() {
  is_root || { log "not root: cannot install $*"; return 1; }
  if [ $apt_updated = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- PostgreSQL server binaries (initdb, postgres, pg_ctl)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  log "installing postgresql"
  apt_install postgresql postgresql-contrib || log "could not install postgresql"
fi

# --- Docker engine
if ! command -v dockerd >/dev/null 2>&1; then
  log "installing docker.io"
  apt_install docker.io || log "could not install docker.io"
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap (for the offline Python base image)"
  apt_install debootstrap || log "could not install debootstrap"
fi
if command -v dockerd >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
  if is_root; then
    log "starting dockerd"
    mkdir -p /var/log
    nohup dockerd >/var/log/dockyard-dockerd.log 2>&1 &
    for _ in $(seq 1 30); do docker info >/dev/null 2>&1 && break; sleep 1; done
  fi
fi
if docker info >/dev/null 2>&1; then log "docker engine is up"; else log "docker engine is NOT available"; fi
exit 0
