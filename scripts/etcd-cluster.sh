#!/usr/bin/env bash
# A 3-member etcd cluster on loopback for the side-by-side load benchmark (docs/benchmarks.md).
# Usage: scripts/etcd-cluster.sh start | stop
# Members e1..e3: clients on 2379 / 22379 / 32379, peers on 2380 / 22380 / 32380, data in
# run/etcd/eN (fresh on every start), logs run/etcd-eN.log. etcd's defaults are kept, so its WAL
# is fsynced on every commit (as dist-kv's Raft log is). Needs the etcd binary (Debian package
# etcd-server: apt-get install etcd-server; it is not needed by `make test`).
set -euo pipefail
cd "$(dirname "$0")/.."
ports=(2379 22379 32379)
cluster="e1=http://127.0.0.1:2380,e2=http://127.0.0.1:22380,e3=http://127.0.0.1:32380"
case "${1:-}" in
  start)
    command -v etcd >/dev/null || { echo "etcd not found: apt-get install etcd-server" >&2; exit 2; }
    mkdir -p run
    for i in 1 2 3; do
      if [ -f run/etcd-e$i.pid ] && kill -0 "$(cat run/etcd-e$i.pid)" 2>/dev/null; then
        echo "etcd e$i already running"; continue
      fi
      rm -rf run/etcd/e$i
      c=${ports[$((i-1))]}; p=$((c+1))
      nohup etcd --name e$i --data-dir run/etcd/e$i \
        --listen-client-urls http://127.0.0.1:$c --advertise-client-urls http://127.0.0.1:$c \
        --listen-peer-urls http://127.0.0.1:$p --initial-advertise-peer-urls http://127.0.0.1:$p \
        --initial-cluster "$cluster" --initial-cluster-token distkv-bench --initial-cluster-state new \
        --log-level warn > run/etcd-e$i.log 2>&1 &
      echo $! > run/etcd-e$i.pid
    done
    for _ in $(seq 1 60); do
      if ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379 endpoint health >/dev/null 2>&1; then
        echo "etcd running: endpoints http://127.0.0.1:2379,22379,32379"; exit 0
      fi
      sleep 0.5
    done
    echo "etcd did not become healthy; see run/etcd-e*.log" >&2; exit 1 ;;
  stop)
    for i in 1 2 3; do
      if [ -f run/etcd-e$i.pid ]; then kill "$(cat run/etcd-e$i.pid)" 2>/dev/null || true; rm -f run/etcd-e$i.pid; fi
    done
    echo "etcd stopped" ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
