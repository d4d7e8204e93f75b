#!/usr/bin/env bash
# install-docker.sh: make sure a Docker engine is installed and answering.
#
# Installs Debian's docker.io (dockerd, containerd, runc, iptables) when
# dockerd is missing, starts dockerd in the background when no engine
# answers on the default socket, and waits until `docker info` works.
# Safe to run any number of times.
#
# Environment:
#   DOCKERD_LOG   log file of a dockerd this script starts (/var/log/dockerd.log)
#   DOCKER_WAIT   seconds to wait for the engine (60)
set -euo pipefail

log() { printf 'install-docker: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
DOCKER_WAIT=${DOCKER_WAIT:-60}

[[ $(id -u) == 0 ]] || die "must run as root"

# The host engine is always the default socket, whatever DOCKER_HOST says
# (a caller may have pointed it at a test-bed node).
unset DOCKER_HOST DOCKER_CONTEXT

engine_up() { docker info >/dev/null 2>&1; }

if engine_up; then
	log "engine already answering ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
	exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v iptables >/dev/null 2>&1; then
	command -v apt-get >/dev/null 2>&1 || die "dockerd missing and no apt-get: install a Docker engine by hand"
	log "installing docker.io from Debian"
	export DEBIAN_FRONTEND=noninteractive
	# Keep the package scripts from trying to start services (no init system here).
	policy=/usr/sbin/policy-rc.d
	made_policy=0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod +x "$policy"
		made_policy=1
	fi
	trap '[[ $made_policy == 1 ]] && rm -f "$policy"' EXIT
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends docker.io iptables iproute2 util-linux >/dev/null
fi
command -v docker >/dev/null 2>&1 || die "docker CLI missing after install"

if ! engine_up; then
	# A dockerd that died leaves a pid file behind that blocks the next start.
	if [[ -f /var/run/docker.pid ]] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
		log "removing stale /var/run/docker.pid"
		rm -f /var/run/docker.pid
	fi
	# (Test-bed node engines are dockerds too: only the host's pid file counts.)
	if ! [[ -f /var/run/docker.pid ]]; then
		log "starting dockerd (log: $DOCKERD_LOG)"
		mkdir -p "$(dirname "$DOCKERD_LOG")"
		setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
	fi
fi

for ((i = 0; i < DOCKER_WAIT * 5; i++)); do
	if engine_up; then
		log "engine ready ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
		exit 0
	fi
	sleep 0.2
done
tail -n 20 "$DOCKERD_LOG" >&2 || true
die "engine did not answer within ${DOCKER_WAIT}s"
