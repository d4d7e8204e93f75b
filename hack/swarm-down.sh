#!/usr/bin/env bash
# swarm-down.sh [--node I]: tear down the test bed made by swarm-up.sh.
#
# Removes papdl-owned services, networks and images (label papdl.io/model,
# papdl.io/image), makes the worker nodes leave the swarm, stops their
# dockerds, deletes their namespaces, veths, cgroups, data roots and pid
# files, the bridge, and the ip rules and iptables rules the test bed added.
# If swarm-up.sh created the swarm, the host engine leaves it again; the
# engine itself keeps running. Idempotent.
#
# --node I removes only worker node I (used by swarm-up.sh to shrink).
# PAPDL_KEEP_LOGS=1 keeps the node engines' logs in /var/log/papdl-testbed.
set -euo pipefail
PAPDL_SCRIPT=swarm-down
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/lib-swarm.sh
. "$here/lib-swarm.sh"
require_root

manager_up() { docker info >/dev/null 2>&1; }

# remove_node I: leave, stop and delete everything of worker node I.
remove_node() {
	local i=$1 name id ids
	name=$(node_name "$i")
	id=""
	if node_engine_up "$i"; then
		id=$(node_docker "$i" info --format '{{.Swarm.NodeID}}' 2>/dev/null || true)
		node_docker "$i" swarm leave --force >/dev/null 2>&1 || true
	fi
	stop_node "$i" 20
	kill_node "$i"
	if manager_up; then
		ids=$(manager_node_ids "$name")
		for id in $id $ids; do
			docker node rm --force "$id" >/dev/null 2>&1 || true
		done
	fi
	if [[ -e /run/netns/$(node_ns "$i") ]]; then
		ip netns del "$(node_ns "$i")"
	fi
	ip link del "$(node_veth "$i")" 2>/dev/null || true
	remove_node_cgroups "$i"
	rm -rf "$(node_run "$i")" "$(node_state "$i")"
	log "$name: removed"
}

if [[ ${1:-} == --node ]]; then
	remove_node "$(node_index "${2:?--node needs an index}")"
	exit 0
fi
[[ $# == 0 ]] || die "usage: swarm-down.sh [--node I]"

if manager_up && [[ $(swarm_state) == active ]]; then
	svcs=$(docker service ls -q --filter label=papdl.io/model)
	if [[ -n $svcs ]]; then
		log "removing services: $(echo "$svcs" | wc -l)"
		# shellcheck disable=SC2086
		docker service rm $svcs >/dev/null || true
	fi
fi
for i in $(existing_nodes); do
	remove_node "$i"
done
if manager_up; then
	# Networks of removed services detach from their tasks a moment later.
	for ((k = 0; k < 50; k++)); do
		nets=$(docker network ls -q --filter label=papdl.io/model)
		[[ -n $nets ]] || break
		# shellcheck disable=SC2086
		docker network rm $nets >/dev/null 2>&1 || sleep 0.2
	done
	[[ -z ${nets:-} ]] || log "networks still in use: $nets"
	imgs=$(docker image ls -q --filter label=papdl.io/image | sort -u)
	if [[ -n $imgs ]]; then
		# shellcheck disable=SC2086
		docker image rm --force $imgs >/dev/null 2>&1 || true
	fi
	if [[ -f $PAPDL_STATE/swarm-created && $(swarm_state) == active ]]; then
		log "manager: leaving the swarm swarm-up.sh created"
		docker swarm leave --force >/dev/null
		# Joining a swarm made docker_gwbridge; it outlives the swarm.
		for ((k = 0; k < 25; k++)); do
			docker network inspect docker_gwbridge >/dev/null 2>&1 || break
			docker network rm docker_gwbridge >/dev/null 2>&1 || sleep 0.2
		done
	elif [[ $(swarm_state) == active ]]; then
		docker node update --label-rm papdl.io/node "$(docker info --format '{{.Swarm.NodeID}}')" >/dev/null 2>&1 || true
	fi
fi
remove_bridge_net
rm -rf "$PAPDL_STATE"
# Node logs go too, unless kept for a post-mortem.
[[ ${PAPDL_KEEP_LOGS:-0} == 1 ]] || rm -rf "$PAPDL_LOGS"
log "test bed removed"
