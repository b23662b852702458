# bench/lib.sh - what the bench scripts share; sourced, not run:  . "$(dirname "$0")/lib.sh"
#
# Sourcing it sets ROOT (the repository), BENCH_DIR (default /tmp/tapedeck-bench), TAPEDECK
# (TAPEDECK_BIN, default bin/tapedeck, relative to ROOT) and the EXIT/INT/TERM traps that stop
# every process started with bg_start and remove WORK (kept with BENCH_KEEP=1). The caller sets
# PEERS (peer_wanted), WORK, OUT and LOAD_START (the report helpers) before using what needs them.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/tapedeck-bench}
TAPEDECK=${TAPEDECK_BIN:-$ROOT/bin/tapedeck}
[[ $TAPEDECK = /* ]] || TAPEDECK="$ROOT/$TAPEDECK"

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
peer_wanted() { [[ " $PEERS " == *" $1 "* ]]; }

# show_help: the script's header comment, from line 2 down to its `set -euo` line.
show_help() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

# install_missing LOGFILE HINT PKG...: as root, apt-get install the packages (after an
# apt-get update when the first try fails), output in BENCH_DIR/LOGFILE; with
# BENCH_NO_INSTALL=1 only say what is missing; as anyone else, print the command (HINT: the
# packages to name in it, default the missing ones) and exit 1.
install_missing() {
  local logf="$BENCH_DIR/$1" hint=$2; shift 2
  (($#)) || return 0
  if [[ ${BENCH_NO_INSTALL:-0} = 1 ]]; then
    log "missing packages (not installing, BENCH_NO_INSTALL=1): $*"
  elif [[ $(id -u) = 0 ]]; then
    log "installing: $*"
    mkdir -p "$BENCH_DIR"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >"$logf" 2>&1 \
       && ! { DEBIAN_FRONTEND=noninteractive apt-get update >>"$logf" 2>&1 &&
              DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >>"$logf" 2>&1; }; then
      log "apt-get install failed (see $logf); missing peers will be skipped"
    fi
  else
    echo "$(basename "$0"): missing packages: $*" >&2
    echo "install them with:  sudo apt-get install -y ${hint:-$*}" >&2
    exit 1
  fi
}

# ---------------------------------------------------------------- processes we start
WORK=""
BG_PIDS=()
BG_PID=""

# bg_start LOG CMD...: run CMD (a command or a function) in the background, its output appended
# to LOG; BG_PID is its pid. It is stopped by bg_stop, or at exit.
bg_start() {
  local out=$1; shift
  "$@" >>"$out" 2>&1 &
  BG_PID=$!
  BG_PIDS+=("$BG_PID")
}

# bg_stop PID: stop a process bg_start started and reap it ("" does nothing).
bg_stop() {
  [[ -n ${1:-} ]] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local p keep=()
  for p in "${BG_PIDS[@]}"; do [[ $p = "$1" ]] || keep+=("$p"); done
  BG_PIDS=("${keep[@]}")
}

# wait_for TRIES PID CMD...: run CMD every 50 ms until it succeeds; fails when PID has ended or
# after TRIES tries.
wait_for() {
  local tries=$1 pid=$2 k; shift 2
  for ((k = 0; k < tries; k++)); do
    "$@" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# Every process is signalled before any is waited for, so that they shut down side by side.
cleanup() {
  local p
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -n $WORK && -d $WORK ]]; then
    if [[ ${BENCH_KEEP:-0} = 1 ]]; then log "kept $WORK (configs, logs, databases)"; else rm -rf "$WORK"; fi
  fi
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port: the first loopback port from 16600 on that nothing listens on.
free_port() {
  local p
  for p in $(seq 16600 16999); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# hwm PID: the process's peak resident set (VmHWM) in KB, 0 when it is gone.
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- the report
mb() { awk -v k="$1" 'BEGIN{ if (k == "" || k+0 == 0) print "-"; else printf "%.1f", k/1024 }'; }

# machine: when and where, for the report's "Run ..." line.
machine() {
  printf '%s; %s cores, %s, kernel %s' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" \
    "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" "$(uname -r)"
}
load_line() {
  echo "Load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the figures)."
}

# versions_and_notes: a list line for each of TOOLS with its VERSION, and one in bold with its
# NOTE (the callers' associative arrays).
versions_and_notes() {
  local t
  for t in "${TOOLS[@]}"; do
    if [[ -n ${VERSION[$t]:-} ]]; then echo "- $t: ${VERSION[$t]}"; fi
    if [[ -n ${NOTE[$t]:-} ]]; then echo "- **$t: ${NOTE[$t]}**"; fi
  done
}

FAILED=0
# check GOAL DETAIL COND NAME=VALUE...: a line of the goals list: "n/a: GOAL (missing data)" when
# a VALUE is empty or 0, else PASS or FAIL (which sets FAILED) as the awk condition COND holds over
# the NAMEs, with DETAIL in brackets.
check() {
  local text=$1 detail=$2 cond=$3 a; shift 3
  local -a vars=()
  for a; do
    if [[ -z ${a#*=} || ${a#*=} = 0 ]]; then echo "- n/a: $text (missing data)"; return 0; fi
    vars+=(-v "$a")
  done
  if awk "${vars[@]}" "BEGIN{exit !($cond)}"; then echo "- PASS: $text ($detail)"
  else echo "- FAIL: $text ($detail)"; FAILED=1; fi
}

# finish_report: copy WORK/report.md to OUT and print it; exit 2 when BENCH_STRICT=1 and a goal
# was missed, else 0.
finish_report() {
  mkdir -p "$(dirname "$OUT")"
  cp "$WORK/report.md" "$OUT"
  echo
  cat "$WORK/report.md"
  echo
  log "written to $OUT"
  if [[ ${BENCH_STRICT:-0} = 1 && $FAILED = 1 ]]; then exit 2; fi
  exit 0
}
