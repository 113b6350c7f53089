#!/usr/bin/env bash
# A single-node Slurm on this machine, for the workflow's tests (start | stop | status).
# Debian 12's slurm-wlm 22.05 + munge, started as root: one node with the machine's cores and
# memory, ProctrackType=proctrack/linuxproc, TaskPlugin=task/none, no accounting database (the
# workflow's Slurm profile polls job states with squeue, MinJobAge below keeps finished jobs
# visible to it). Everything it writes lives under $BZS_SLURM_DIR (default /tmp/bzs-slurm).
#   apt-get install slurm-wlm munge    (the script installs them when missing, as root)
set -euo pipefail
DIR=${BZS_SLURM_DIR:-/tmp/bzs-slurm}
CONF=/etc/slurm/slurm.conf
cmd=${1:-status}

die() { echo "local-slurm: $*" >&2; exit 1; }

start() {
  [ "$(id -u)" = 0 ] || die "start needs root (slurmd and munged run as root here)"
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
  fi
  mkdir -p "$DIR"/{spool,state,log} /etc/slurm /run/munge /var/lib/munge /var/log/munge /etc/munge
  # munge: a fresh key, the daemon as root (--force: Debian's service would run it as 'munge')
  if ! pgrep -x munged >/dev/null; then
    [ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chmod 400 /etc/munge/munge.key
    munged --force
  fi
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
  cat >"$CONF" <<EOF
# written by tests/slurm/local-slurm.sh (bzs-repro): a single-node test cluster
ClusterName=bzs-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  pgrep -x slurmctld >/dev/null || slurmctld
  pgrep -x slurmd >/dev/null || slurmd
  for _ in $(seq 1 30); do
    if sinfo -h -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)'; then
      echo "local-slurm: up ($host, $cpus CPUs, $mem MB; logs in $DIR/log)"
      return 0
    fi
    scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true
    sleep 1
  done
  sinfo || true
  die "the node did not come up (see $DIR/log)"
}

stop() {
  scancel --user="$(id -un)" >/dev/null 2>&1 || true
  pkill -x slurmd || true
  pkill -x slurmctld || true
  pkill -x munged || true
  for _ in $(seq 1 20); do
    pgrep -x 'slurmd|slurmctld|munged' >/dev/null || break
    sleep 0.5
  done
  rm -rf "$DIR"
  echo "local-slurm: stopped"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) sinfo && squeue ;;
  *) die "usage: $0 start|stop|status" ;;
esac
