#!/usr/bin/env bash
# swarm-fail.sh kill|stop|freeze|partition|restore NODE: inject a failure
# into a test-bed worker node (NODE = nodeI or I), or undo it.
#
#   kill       SIGKILL every process of the node: dockerd, containerd, shims,
#              containers (power loss)
#   stop       graceful dockerd shutdown (SIGTERM)
#   freeze     freeze the node's cgroup (every process stops, sockets stay)
#   partition  take the node's link down (unreachable, processes keep running)
#   restore    undo any of these: thaw, link up, restart a killed or stopped
#              dockerd with the same data root so it rejoins as the same node
#
# With PAPDL_WAIT=1 (the default), restore waits until the manager reports the
# node Ready again and prints how long that took.
set -euo pipefail
PAPDL_SCRIPT=swarm-fail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/lib-swarm.sh
. "$here/lib-swarm.sh"
require_root

usage() { die "usage: swarm-fail.sh kill|stop|freeze|partition|restore NODE"; }
[[ $# == 2 ]] || usage
action=$1
i=$(node_index "$2")
name=$(node_name "$i")
[[ -d $(node_state "$i") ]] || die "$name is not part of the test bed (run swarm-up.sh)"

case $action in
kill)
	kill_node "$i"
	log "$name: killed (power loss)"
	;;
stop)
	stop_node "$i" 30
	log "$name: stopped"
	;;
freeze)
	set_freezer "$i" FROZEN
	log "$name: frozen"
	;;
partition)
	ip link set "$(node_veth "$i")" down
	log "$name: partitioned (link $(node_veth "$i") down)"
	;;
restore)
	t0=$(date +%s.%N)
	set_freezer "$i" THAWED
	ip link set "$(node_veth "$i")" up
	if ! node_dockerd_pid "$i" >/dev/null; then
		start_node "$i"
		wait_node_engine "$i"
	fi
	if [[ ${PAPDL_WAIT:-1} == 1 ]]; then
		id=$(node_docker "$i" info --format '{{.Swarm.NodeID}}')
		for ((k = 0; ; k++)); do
			st=$(docker node inspect --format '{{.Status.State}}' "$id" 2>/dev/null || echo unknown)
			[[ $st == ready ]] && break
			((k < 1200)) || die "$name: not Ready 120s after restore (state $st)"
			sleep 0.1
		done
		log "$name: Ready after $(awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')s"
	else
		log "$name: restored"
	fi
	;;
*) usage ;;
esac
