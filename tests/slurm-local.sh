# A one-node Slurm of our own on 127.0.0.1, for the nightly job's test and
# bench: Debian's munged, slurmctld and slurmd, each in the foreground of
# its own session (a signal to the caller's process group does not reach
# them), no systemd, state under a fresh directory, ports nobody else uses.
# Sourced; needs root.
#
#   slurm_up DIR    start everything, with SLURM_CONF=DIR/slurm.conf exported;
#                   partition "kpin", the node = this host, CPUs = 2
#   slurm_down      cancel every job, then stop the daemons by their PIDs
#   SLURM_PIDS      the daemons' PIDs, once up

# _slurm_start NAME CMD...
_slurm_start() {
	local name=$1
	shift
	setsid "$@" >"$SLURM_DIR/log/$name.out" 2>&1 </dev/null &
	echo $! >"$SLURM_DIR/$name.pid"
	SLURM_PIDS+=" $!"
}

slurm_up() {
	local host ctld_port i
	SLURM_DIR=$1 SLURM_PIDS=
	# munge's files where the munge user can reach them
	SLURM_MUNGE=/run/munge/kpin-$$-$RANDOM
	host=$(hostname -s)
	ctld_port=$((20000 + RANDOM % 20000))
	mkdir -p "$SLURM_DIR"/{state,spool,log}
	export SLURM_CONF=$SLURM_DIR/slurm.conf
	cat >"$SLURM_CONF" <<-CONF
	ClusterName=kpin-local
	SlurmctldHost=$host(127.0.0.1)
	SlurmctldPort=$ctld_port
	SlurmdPort=$((ctld_port + 1))
	SlurmUser=root
	SlurmdUser=root
	AuthType=auth/munge
	AuthInfo=socket=$SLURM_MUNGE/munge.socket
	StateSaveLocation=$SLURM_DIR/state
	SlurmdSpoolDir=$SLURM_DIR/spool
	SlurmctldPidFile=$SLURM_DIR/slurmctld.pidfile
	SlurmdPidFile=$SLURM_DIR/slurmd.pidfile
	ProctrackType=proctrack/linuxproc
	TaskPlugin=task/affinity
	SchedulerType=sched/backfill
	SelectType=select/cons_tres
	SelectTypeParameters=CR_Core_Memory
	AccountingStorageType=accounting_storage/none
	JobCompType=jobcomp/filetxt
	JobCompLoc=$SLURM_DIR/log/jobcomp
	MinJobAge=3600
	ReturnToService=2
	NodeName=$host NodeAddr=127.0.0.1 CPUs=2 RealMemory=8000 State=UNKNOWN
	PartitionName=kpin Nodes=$host Default=YES MaxTime=INFINITE State=UP
	CONF
	install -d -o munge -g munge -m 0755 /run/munge "$SLURM_MUNGE" || return 1
	dd if=/dev/urandom of="$SLURM_MUNGE/munge.key" bs=1024 count=1 status=none &&
		chown munge: "$SLURM_MUNGE/munge.key" && chmod 0400 "$SLURM_MUNGE/munge.key" || return 1
	# setpriv keeps the PID (runuser would fork)
	_slurm_start munged setpriv --reuid=munge --regid=munge --init-groups \
		munged -F --key-file="$SLURM_MUNGE/munge.key" --socket="$SLURM_MUNGE/munge.socket" \
		--pid-file="$SLURM_MUNGE/munged.pid" --log-file="$SLURM_MUNGE/munged.log" --seed-file="$SLURM_MUNGE/seed"
	for ((i = 0; i < 50; i++)); do [ -S "$SLURM_MUNGE/munge.socket" ] && break; sleep 0.1; done
	_slurm_start slurmctld slurmctld -D -f "$SLURM_CONF"
	for ((i = 0; i < 100; i++)); do scontrol ping 2>/dev/null | grep -q "is UP" && break; sleep 0.1; done
	_slurm_start slurmd slurmd -D -N "$host" -f "$SLURM_CONF"
	for ((i = 0; i < 100; i++)); do sinfo -h -o %T 2>/dev/null | grep -qx idle && return 0; sleep 0.1; done
	echo "slurm did not come up:" >&2
	cat "$SLURM_DIR"/log/*.out >&2
	return 1
}

# slurm_alive PID: running (a zombie the caller has not reaped is not)
slurm_alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $st != Z* ]]
}

slurm_down() {
	local p i up
	[ -n "${SLURM_DIR:-}" ] || return 0
	# the jobs first: a killed slurmd leaves its jobs running
	[ -e "$SLURM_DIR/slurmctld.pid" ] && timeout 20 scancel --quiet --user root 2>/dev/null || :
	rm -f "$SLURM_DIR/slurmctld.pid"
	for p in $SLURM_PIDS; do kill "$p" 2>/dev/null || :; done
	for ((i = 0; i < 50; i++)); do
		up=
		for p in $SLURM_PIDS; do slurm_alive "$p" && up=1; done
		[ -n "$up" ] || break
		sleep 0.1
	done
	for p in $SLURM_PIDS; do slurm_alive "$p" && kill -9 "$p" 2>/dev/null || :; done
	rm -rf "$SLURM_MUNGE"
	return 0
}
