#!/usr/bin/env bash
# lib-swarm.sh: shared functions of the papdl Swarm test bed (sourced by
# swarm-up.sh, swarm-down.sh and swarm-fail.sh; not meant to run alone).
#
# The test bed is the host's Docker engine as the Swarm manager plus N
# worker nodes, each a separate dockerd in its own network, UTS and mount
# namespace, capped by its own cgroup. See docs/swarm.md.
#
# Layout of node I (name nodeI):
#   network namespace   papdl-nodeI (/run/netns/papdl-nodeI), eth0 = 10.99.0.(10+I)
#   host veth           papdl-vI, enslaved to the bridge papdl-br0 (10.99.0.1/24)
#   engine socket       unix:///run/papdl-nodeI/docker.sock
#   exec root, pidfile  /run/papdl-nodeI/exec, /run/papdl-nodeI/docker.pid
#   data root           /var/lib/papdl-testbed/nodeI/data (kept across kill/restore)
#   private /etc/docker /var/lib/papdl-testbed/nodeI/etc-docker
#   fake /proc/meminfo  /var/lib/papdl-testbed/nodeI/meminfo
#   cgroups             /sys/fs/cgroup/{cpu,memory,freezer,cpuset}/papdl-nodeI
#   log                 /var/log/papdl-testbed/nodeI.log

# Never talk to a node engine by accident: the manager is the default socket.
unset DOCKER_HOST DOCKER_CONTEXT

PAPDL_BRIDGE=${PAPDL_BRIDGE:-papdl-br0}
PAPDL_NET=10.99.0
PAPDL_HOST_IP=$PAPDL_NET.1
PAPDL_SUBNET=$PAPDL_NET.0/24
PAPDL_STATE=${PAPDL_STATE:-/var/lib/papdl-testbed}
PAPDL_LOGS=${PAPDL_LOGS:-/var/log/papdl-testbed}
PAPDL_TAG=papdl-testbed # iptables comment on every rule the test bed adds
PAPDL_RULE_PREF=4789    # ip rule preference and routing table for pitfall 2
PAPDL_CGROUPS=(cpu memory freezer cpuset)
# Node shapes cpus:MiB, repeated for nodes beyond the list ("vm1"-like first).
PAPDL_NODE_SHAPES=${PAPDL_NODE_SHAPES:-0.5:1024,1:2048,2:4096}

log() { printf '%s: %s\n' "${PAPDL_SCRIPT:-swarm}" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

require_root() { [[ $(id -u) == 0 ]] || die "must run as root"; }

# node_name I -> nodeI; node_index nodeI|I -> I.
node_name() { printf 'node%s' "$1"; }
node_index() {
	local ref=$1
	ref=${ref#papdl-}
	ref=${ref#node}
	[[ $ref =~ ^[0-9]+$ ]] && ((ref >= 1 && ref <= 200)) || die "bad node '$1' (want nodeI or I)"
	printf '%s' "$ref"
}
node_ns() { printf 'papdl-node%s' "$1"; }
node_ip() { printf '%s.%s' "$PAPDL_NET" $((10 + $1)); }
node_veth() { printf 'papdl-v%s' "$1"; }
node_run() { printf '/run/papdl-node%s' "$1"; }
node_state() { printf '%s/node%s' "$PAPDL_STATE" "$1"; }
node_sock() { printf 'unix://%s/docker.sock' "$(node_run "$1")"; }
node_log() { printf '%s/node%s.log' "$PAPDL_LOGS" "$1"; }
node_docker() {
	local i=$1
	shift
	docker -H "$(node_sock "$i")" "$@"
}

# node_shape I -> "cpus mib"
node_shape() {
	local -a shapes
	IFS=, read -r -a shapes <<<"$PAPDL_NODE_SHAPES"
	local s=${shapes[$((($1 - 1) % ${#shapes[@]}))]}
	printf '%s %s' "${s%%:*}" "${s##*:}"
}

# node_cpulist I CPUS -> the cores the node's dockerd is pinned to:
# ceil(CPUS) cores (at most all), starting at core (I-1) mod ncores.
node_cpulist() {
	local i=$1 cpus=$2 n want list="" k
	n=$(nproc)
	want=$(awk -v c="$cpus" 'BEGIN { w = int(c); if (w < c) w++; if (w < 1) w = 1; print w }')
	((want > n)) && want=$n
	for ((k = 0; k < want; k++)); do
		list+="${list:+,}$((((i - 1) + k) % n))"
	done
	printf '%s' "$list"
}

# The node indexes with any state on this machine, sorted.
existing_nodes() {
	local d
	{
		for d in "$PAPDL_STATE"/node* /run/papdl-node* /run/netns/papdl-node*; do
			[[ -e $d ]] || continue
			d=${d##*/}
			d=${d#papdl-}
			printf '%s\n' "${d#node}"
		done
	} | grep -E '^[0-9]+$' | sort -un || true
}

# pid_alive PID: running and not a zombie.
pid_alive() {
	local pid=$1 st
	[[ -n $pid && -r /proc/$pid/stat ]] || return 1
	st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
	[[ $st != Z && $st != X ]]
}

node_dockerd_pid() {
	local f pid
	f="$(node_run "$1")/docker.pid"
	[[ -f $f ]] || return 1
	pid=$(cat "$f")
	pid_alive "$pid" || return 1
	printf '%s' "$pid"
}

node_engine_up() { node_docker "$1" info >/dev/null 2>&1; }

# Remove pid files whose process is gone or a zombie (they block a restart).
clean_stale_pidfiles() {
	local run f pid
	run=$(node_run "$1")
	for f in "$run/docker.pid" "$run/exec/containerd/containerd.pid"; do
		[[ -f $f ]] || continue
		pid=$(cat "$f" 2>/dev/null || true)
		if ! pid_alive "$pid"; then
			log "node$1: removing stale pid file $f"
			rm -f "$f"
		fi
	done
}

# All processes in the node's cgroups (its dockerd, containerd, shims and
# containers).
node_pids() {
	local dir
	dir=/sys/fs/cgroup/freezer/$(node_ns "$1")
	[[ -d $dir ]] || return 0
	# Child cgroups vanish while their processes die: find then fails on
	# them, which must not fail the caller (set -e with pipefail).
	{ find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null || true; } | sort -un
}

freezer_state() {
	local f
	f=/sys/fs/cgroup/freezer/$(node_ns "$1")/freezer.state
	[[ -f $f ]] && cat "$f" || printf 'THAWED'
}

set_freezer() {
	local f
	f=/sys/fs/cgroup/freezer/$(node_ns "$1")/freezer.state
	[[ -f $f ]] || return 0
	echo "$2" >"$f"
}

# ---------------------------------------------------------------- host side

ensure_bridge() {
	if ! ip link show "$PAPDL_BRIDGE" >/dev/null 2>&1; then
		log "creating bridge $PAPDL_BRIDGE ($PAPDL_HOST_IP/24)"
		ip link add "$PAPDL_BRIDGE" type bridge
	fi
	ip addr show dev "$PAPDL_BRIDGE" | grep -q "inet $PAPDL_HOST_IP/24" ||
		ip addr add "$PAPDL_HOST_IP/24" dev "$PAPDL_BRIDGE"
	ip link set "$PAPDL_BRIDGE" up
	echo 1 >/proc/sys/net/ipv4/ip_forward
	# Pitfall 1: nodes reach the manager's 127.0.0.1 through the bridge.
	echo 1 >"/proc/sys/net/ipv4/conf/$PAPDL_BRIDGE/route_localnet"
	# Pitfall 2: VXLAN to the nodes must leave with source 127.0.0.1, the
	# manager's advertised address the nodes' fdb entries expect.
	ip route replace "$PAPDL_SUBNET" dev "$PAPDL_BRIDGE" src 127.0.0.1 table "$PAPDL_RULE_PREF"
	ip rule show pref "$PAPDL_RULE_PREF" | grep -q . ||
		ip rule add pref "$PAPDL_RULE_PREF" to "$PAPDL_SUBNET" ipproto udp dport 4789 lookup "$PAPDL_RULE_PREF"
	# Pitfall 3: let node traffic out (MASQUERADE) and through docker's
	# FORWARD policy (DROP), so image look-ups fail fast instead of hanging.
	ipt_ensure -t nat POSTROUTING -s "$PAPDL_SUBNET" ! -o "$PAPDL_BRIDGE" -j MASQUERADE
	iptables -nL DOCKER-USER >/dev/null 2>&1 || iptables -N DOCKER-USER
	ipt_ensure -t filter DOCKER-USER -i "$PAPDL_BRIDGE" -j ACCEPT
	ipt_ensure -t filter DOCKER-USER -o "$PAPDL_BRIDGE" -j ACCEPT
	iptables -C FORWARD -j DOCKER-USER >/dev/null 2>&1 || iptables -I FORWARD -j DOCKER-USER
}

# ipt_ensure -t TABLE CHAIN RULE...: insert the rule (tagged) unless present.
ipt_ensure() {
	local table=$2 chain=$3
	shift 3
	iptables -t "$table" -C "$chain" "$@" -m comment --comment "$PAPDL_TAG" >/dev/null 2>&1 ||
		iptables -t "$table" -I "$chain" "$@" -m comment --comment "$PAPDL_TAG"
}

# Delete every iptables rule tagged papdl-testbed.
ipt_clean() {
	local table rule
	command -v iptables >/dev/null 2>&1 || return 0
	for table in nat filter; do
		while read -r rule; do
			[[ -n $rule ]] || continue
			eval "iptables -t $table ${rule/#-A/-D}" || true
		done < <(iptables -t "$table" -S 2>/dev/null | grep -- "--comment $PAPDL_TAG" || true)
	done
}

remove_bridge_net() {
	while ip rule show pref "$PAPDL_RULE_PREF" 2>/dev/null | grep -q .; do
		ip rule del pref "$PAPDL_RULE_PREF" || break
	done
	ip route flush table "$PAPDL_RULE_PREF" 2>/dev/null || true
	if ip link show "$PAPDL_BRIDGE" >/dev/null 2>&1; then
		log "removing bridge $PAPDL_BRIDGE"
		ip link del "$PAPDL_BRIDGE"
	fi
	ipt_clean
}

# ---------------------------------------------------------------- node side

ensure_node_net() {
	local i=$1 ns veth ip
	ns=$(node_ns "$i")
	veth=$(node_veth "$i")
	ip=$(node_ip "$i")
	[[ -e /run/netns/$ns ]] || ip netns add "$ns"
	if ! ip netns exec "$ns" ip link show eth0 >/dev/null 2>&1; then
		ip link del "$veth" 2>/dev/null || true
		ip link add "$veth" type veth peer name "$veth-n"
		ip link set "$veth-n" netns "$ns"
		ip netns exec "$ns" ip link set "$veth-n" name eth0
	fi
	ip link set "$veth" master "$PAPDL_BRIDGE"
	ip link set "$veth" up
	ip netns exec "$ns" sh -ec "
		ip link set lo up
		ip link set eth0 up
		ip addr show dev eth0 | grep -q 'inet $ip/24' || ip addr add $ip/24 dev eth0
		# Pitfall 1: 127.0.0.1 is the manager (the host), not this node.
		if ip addr show dev lo | grep -q 'inet 127.0.0.1/8'; then ip addr del 127.0.0.1/8 dev lo; fi
		echo 1 >/proc/sys/net/ipv4/conf/eth0/route_localnet
		ip route replace 127.0.0.1/32 via $PAPDL_HOST_IP dev eth0
		ip route replace default via $PAPDL_HOST_IP dev eth0
	"
}

ensure_node_cgroups() {
	local i=$1 cpus=$2 mib=$3 cpulist=$4 cg d
	cg=$(node_ns "$i")
	for d in "${PAPDL_CGROUPS[@]}"; do
		mkdir -p "/sys/fs/cgroup/$d/$cg"
	done
	echo 10000 >"/sys/fs/cgroup/cpu/$cg/cpu.cfs_period_us"
	awk -v c="$cpus" 'BEGIN { printf "%d\n", c * 10000 }' >"/sys/fs/cgroup/cpu/$cg/cpu.cfs_quota_us"
	echo $((mib * 1024 * 1024)) >"/sys/fs/cgroup/memory/$cg/memory.limit_in_bytes"
	cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$cg/cpuset.mems"
	echo "$cpulist" >"/sys/fs/cgroup/cpuset/$cg/cpuset.cpus"
}

# remove_node_cgroups I: the node's cgroups in every hierarchy (its dockerd
# creates /papdl-nodeI, the --cgroup-parent, in all of them).
remove_node_cgroups() {
	local cg dir
	cg=$(node_ns "$1")
	for dir in /sys/fs/cgroup/*/"$cg"; do
		[[ -d $dir ]] || continue
		# Children first (docker's per-container cgroups).
		find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
		[[ -d $dir ]] && log "node$1: cgroup $dir still busy"
	done
	return 0
}

# write_meminfo I MiB: /proc/meminfo as the node should report it.
write_meminfo() {
	local kb=$(($2 * 1024))
	awk -v kb="$kb" '
		/^MemTotal:/ { printf "MemTotal:       %d kB\n", kb; next }
		/^MemFree:/ { printf "MemFree:        %d kB\n", kb * 0.9; next }
		/^MemAvailable:/ { printf "MemAvailable:   %d kB\n", kb * 0.9; next }
		{ print }
	' /proc/meminfo >"$(node_state "$1")/meminfo"
}

# start_node I: start node I's dockerd unless it runs (same data root, so a
# restarted node rejoins as the same Swarm node). Does not wait.
start_node() {
	local i=$1 name cpus mib cpulist run st procs="" d
	name=$(node_name "$i")
	if node_dockerd_pid "$i" >/dev/null; then
		return 0
	fi
	read -r cpus mib <<<"$(node_shape "$i")"
	cpulist=$(node_cpulist "$i" "$cpus")
	run=$(node_run "$i")
	st=$(node_state "$i")
	mkdir -p "$run/exec" "$st/data" "$st/etc-docker" "$PAPDL_LOGS" /etc/docker
	[[ -f $st/etc-docker/daemon.json ]] || echo '{}' >"$st/etc-docker/daemon.json"
	ensure_node_net "$i"
	ensure_node_cgroups "$i" "$cpus" "$mib" "$cpulist"
	write_meminfo "$i" "$mib"
	clean_stale_pidfiles "$i"
	for d in "${PAPDL_CGROUPS[@]}"; do
		procs+="/sys/fs/cgroup/$d/$(node_ns "$i")/cgroup.procs "
	done
	log "$name: starting dockerd ($cpus CPUs on cores $cpulist, $mib MiB, $(node_ip "$i"))"
	# Join the node's cgroups, enter its network namespace, make private UTS
	# and mount namespaces, give it its hostname, its own /etc/docker (else
	# every node has the host's Engine ID) and its /proc/meminfo, and pin it.
	# shellcheck disable=SC2016
	# The node's dockerd lives on after this script: it must not inherit
	# the caller's descriptors beyond stdio (a lock held by `flock` around a
	# test would be held for the daemon's lifetime).
	PAPDL_PROCS=$procs setsid bash -c '
		for fd in /proc/$$/fd/*; do fd=${fd##*/}; ((fd > 2)) && eval "exec $fd>&-"; done
		for f in $PAPDL_PROCS; do echo $$ >"$f"; done
		exec "$@"' papdl-"$name" \
		nsenter --net="/run/netns/$(node_ns "$i")" \
		unshare --uts --mount --propagation slave \
		bash -c '
			set -e
			mount --bind "$1/etc-docker" /etc/docker
			mount --bind "$1/meminfo" /proc/meminfo
			hostname "$2"
			shift 2
			exec "$@"' papdl-"$name" "$st" "$name" \
		env DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 \
		taskset -c "$cpulist" \
		dockerd \
		--data-root "$st/data" \
		--exec-root "$run/exec" \
		--pidfile "$run/docker.pid" \
		-H "$(node_sock "$i")" \
		--config-file "$st/etc-docker/daemon.json" \
		--cgroup-parent "/$(node_ns "$i")" \
		--label "papdl.io/node=$name" \
		>>"$(node_log "$i")" 2>&1 </dev/null &
	disown
}

wait_node_engine() {
	local i=$1 k
	for ((k = 0; k < 300; k++)); do
		node_engine_up "$i" && return 0
		if ((k > 10)) && ! node_dockerd_pid "$i" >/dev/null; then
			tail -n 20 "$(node_log "$i")" >&2 || true
			die "node$i: dockerd exited (log $(node_log "$i"))"
		fi
		sleep 0.1
	done
	tail -n 20 "$(node_log "$i")" >&2 || true
	die "node$i: engine did not answer within 30s (log $(node_log "$i"))"
}

# stop_node I [TIMEOUT]: graceful stop (SIGTERM), SIGKILL after TIMEOUT s.
stop_node() {
	local i=$1 timeout=${2:-30} pid k
	set_freezer "$i" THAWED
	pid=$(node_dockerd_pid "$i") || return 0
	log "node$i: stopping dockerd (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for ((k = 0; k < timeout * 10; k++)); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
	log "node$i: dockerd did not stop in ${timeout}s, killing"
	kill_node "$i"
}

# kill_node I: SIGKILL everything in the node's cgroups (power loss).
kill_node() {
	local i=$1 pids k
	for ((k = 0; k < 20; k++)); do
		pids=$(node_pids "$i")
		[[ -n $pids ]] || break
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
		set_freezer "$i" THAWED # frozen tasks die only once thawed
		sleep 0.1
	done
	clean_stale_pidfiles "$i"
}

# Swarm node ID the manager knows for hostname nodeI (newest first).
manager_node_ids() {
	docker node ls --format '{{.ID}} {{.Hostname}}' 2>/dev/null | awk -v h="$1" '$2 == h { print $1 }'
}

swarm_state() { docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || true; }
