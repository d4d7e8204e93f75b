#!/usr/bin/env bash
# swarm-up.sh [N]: a real multi-node Docker Swarm on this one machine.
#
# The host engine becomes the manager (advertise 127.0.0.1, dispatcher
# heartbeat 1s) and N workers (default 3) join it, each a separate dockerd in
# its own namespaces and cgroup, shaped like a small heterogeneous cluster:
# node1 0.5 CPU / 1 GiB, node2 1 CPU / 2 GiB, node3 2 CPUs / 4 GiB, then the
# pattern repeats (override with PAPDL_NODE_SHAPES="cpus:MiB,..."). Each node
# carries the Swarm labels papdl.io/node=nodeI and papdl.io/cpus=<cap>.
#
# Idempotent: running it again keeps the running nodes, restarts missing
# ones, and removes nodes numbered above N. Undo with swarm-down.sh.
set -euo pipefail
PAPDL_SCRIPT=swarm-up
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/lib-swarm.sh
. "$here/lib-swarm.sh"

N=${1:-3}
[[ $N =~ ^[0-9]+$ ]] && ((N <= 50)) || die "usage: swarm-up.sh [N] (0..50 worker nodes)"
require_root
start=$(date +%s.%N)

"$here/install-docker.sh"
mkdir -p "$PAPDL_STATE"

# ---- manager
case $(swarm_state) in
active)
	docker info --format '{{.Swarm.ControlAvailable}}' | grep -q true ||
		die "this engine is a Swarm worker; run swarm-up.sh on a manager"
	docker swarm update --dispatcher-heartbeat 1s >/dev/null
	log "manager: swarm already active"
	;;
*)
	log "manager: initialising swarm (advertise 127.0.0.1)"
	docker swarm init --advertise-addr 127.0.0.1 --dispatcher-heartbeat 1s \
		--default-addr-pool 10.200.0.0/16 --default-addr-pool-mask-length 24 >/dev/null
	touch "$PAPDL_STATE/swarm-created" # swarm-down.sh leaves it again
	;;
esac
token=$(docker swarm join-token -q worker)
docker node update --label-add papdl.io/node=manager "$(docker info --format '{{.Swarm.NodeID}}')" >/dev/null

ensure_bridge

# ---- nodes above N go
for i in $(existing_nodes); do
	((i > N)) || continue
	"$here/swarm-down.sh" --node "$i"
done

# ---- start the engines (in parallel: each takes ~1-2 s)
for ((i = 1; i <= N; i++)); do
	set_freezer "$i" THAWED
	[[ -e /run/netns/$(node_ns "$i") ]] && ip link set "$(node_veth "$i")" up 2>/dev/null || true
	start_node "$i"
done
for ((i = 1; i <= N; i++)); do
	wait_node_engine "$i"
done

# ---- join
declare -A ids
for ((i = 1; i <= N; i++)); do
	name=$(node_name "$i")
	ip=$(node_ip "$i")
	state=$(node_docker "$i" info --format '{{.Swarm.LocalNodeState}}')
	id=$(node_docker "$i" info --format '{{.Swarm.NodeID}}')
	if [[ $state == active || $state == pending ]] && [[ -n $id ]] && docker node inspect "$id" >/dev/null 2>&1; then
		:
	else
		if [[ $state != inactive ]]; then
			log "$name: leaving a swarm this manager does not know ($state)"
			node_docker "$i" swarm leave --force >/dev/null 2>&1 || true
		fi
		log "$name: joining as worker ($ip)"
		node_docker "$i" swarm join --token "$token" --advertise-addr "$ip" \
			--listen-addr "$ip:2377" 127.0.0.1:2377 >/dev/null
		id=$(node_docker "$i" info --format '{{.Swarm.NodeID}}')
	fi
	ids[$i]=$id
	read -r cpus _ <<<"$(node_shape "$i")"
	docker node update --label-add "papdl.io/node=$name" --label-add "papdl.io/cpus=$cpus" "$id" >/dev/null
	# Earlier incarnations of this node (a torn-down data root) linger as Down.
	for old in $(manager_node_ids "$name"); do
		[[ $old == "$id" ]] && continue
		log "$name: removing stale node entry $old"
		docker node rm --force "$old" >/dev/null 2>&1 || true
	done
done

# ---- wait until Ready
for ((k = 0; ; k++)); do
	pending=()
	for ((i = 1; i <= N; i++)); do
		st=$(docker node inspect --format '{{.Status.State}}' "${ids[$i]}" 2>/dev/null || echo unknown)
		[[ $st == ready ]] || pending+=("node$i:$st")
	done
	((${#pending[@]} == 0)) && break
	((k < 600)) || die "nodes not Ready after 60s: ${pending[*]}"
	sleep 0.1
done

elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
log "swarm ready: manager + $N workers in ${elapsed}s"
{
	printf 'HOSTNAME\tID\tCPUS\tMEMORY\tSTATE\tADDR\tCAP\n'
	for id in $(docker node ls -q); do
		docker node inspect --format \
			'{{.Description.Hostname}}	{{.ID}}	{{.Description.Resources.NanoCPUs}}	{{.Description.Resources.MemoryBytes}}	{{.Status.State}}	{{.Status.Addr}}	{{index .Spec.Labels "papdl.io/cpus"}}' "$id"
	done | awk -F'\t' -v OFS='\t' '{ $3 = $3 / 1e9; $4 = sprintf("%.0fMiB", $4 / 1048576); print }' | sort
} | column -t -s $'\t'
