#!/usr/bin/env bash
# bench/api.sh - HTTP API benchmark: tapedeck's GET /api/v1/status against Mopidy's JSON-RPC
# core.playback.get_state, both on loopback, under the same wrk load in the same run.
#
# Usage:  bash bench/api.sh            (normally via `make bench`, after `make build`)
#         bash bench/api.sh --help
#
# Environment (all optional):
#   TAPEDECK_BIN=bin/tapedeck       binary under test, run as `tapedeck daemon`
#   BENCH_API_SERVER=auto           daemon: `tapedeck daemon` only; benchserve: the API over a canned
#                                   backend (go run ./api/internal/benchserve); auto: the daemon when the
#                                   binary has the command, else benchserve (and the report says so)
#   BENCH_API_SECONDS=10            length of each measured wrk run (after a 2 s warm-up)
#   BENCH_API_CONNECTIONS=16        wrk connections (wrk -t2)
#   BENCH_API_PIN=auto              1: server on CPU 0, wrk on the other CPUs (taskset), for both tools;
#                                   0: no pinning; auto: 1 when there are 2+ CPUs. Both layouts are
#                                   measured when pinning is on; the goals are checked on the pinned one.
#   BENCH_PEERS="mopidy"            peers to run ("" for none)
#   BENCH_DIR=/tmp/tapedeck-bench   scratch dir
#   BENCH_OUT=bench/api-last-run.md markdown result (relative paths are relative to the repo root)
#   BENCH_STRICT=0                  1: exit 2 when a goal is missed
#   BENCH_NO_INSTALL=1              never run apt-get (a missing peer is skipped; wrk is required)
#   BENCH_KEEP=1                    keep the run's scratch dir (configs, logs)
#
# Method: each server runs alone (the other is stopped); wrk -t2 -cN -d10s --latency after a 2 s
# warm-up. Why pinning: on a small machine wrk competes with the server for the same cores, and the
# tail latency then measures the kernel's scheduler more than the server; pinning gives each its
# own CPUs, the same for both tools. tapedeck: `tapedeck daemon` with a fresh state dir, an empty
# library, TAPEDECK_PLAYER_OUTPUT=null, no config file. Mopidy: HTTP frontend only (every other
# extension disabled), [audio] output = fakesink, POST /mopidy/rpc
# {"jsonrpc":"2.0","id":1,"method":"core.playback.get_state"} with Content-Type: application/json.
# RSS: VmHWM of the server process at the end (its whole life).
# Goals: tapedeck >= 10x Mopidy's requests/s, tapedeck p99 <= 2 ms, tapedeck RSS < 40 MB.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_API_SECONDS:-10}
CONNS=${BENCH_API_CONNECTIONS:-16}
OUT=${BENCH_OUT:-bench/api-last-run.md}
[[ $OUT = /* ]] || OUT="$ROOT/$OUT"
PEERS=${BENCH_PEERS-mopidy}
SERVER_MODE=${BENCH_API_SERVER:-auto}
NCPU=$(nproc)
PIN=${BENCH_API_PIN:-auto}
[[ $PIN = auto ]] && { ((NCPU >= 2)) && PIN=1 || PIN=0; }

case "${1:-}" in
  -h|--help) show_help; exit 0 ;;
  "") ;;
  *) echo "api.sh: unknown argument $1 (try --help)" >&2; exit 1 ;;
esac

[[ $SECS =~ ^[0-9]+$ && $SECS -ge 1 ]] || die "BENCH_API_SECONDS must be a positive integer"
[[ $CONNS =~ ^[0-9]+$ && $CONNS -ge 2 ]] || die "BENCH_API_CONNECTIONS must be an integer >= 2"
[[ $SERVER_MODE =~ ^(auto|daemon|benchserve)$ ]] || die "BENCH_API_SERVER must be auto, daemon or benchserve"

# ---------------------------------------------------------------- the server under test
SERVER_PID=""
server_stop() { bg_stop "$SERVER_PID"; SERVER_PID=""; }

# ---------------------------------------------------------------- 1. dependencies
missing=()
have wrk || missing+=(wrk)
have curl || missing+=(curl)
((PIN == 1)) && ! have taskset && missing+=(util-linux)
peer_wanted mopidy && ! have mopidy && missing+=(mopidy)
install_missing apt-api.log "" "${missing[@]}"
have wrk || die "wrk is required (apt-get install -y wrk)"
have curl || die "curl is required (apt-get install -y curl)"
((PIN == 0)) || have taskset || { log "taskset missing: not pinning"; PIN=0; }

mkdir -p "$BENCH_DIR"
WORK=$(mktemp -d "$BENCH_DIR/api.XXXXXX")
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# CPU sets: the server on CPU 0, wrk on the rest (when pinning).
SERVER_CPUS=0
WRK_CPUS=1-$((NCPU - 1))
[[ $NCPU = 2 ]] && WRK_CPUS=1
on_cpus() { # layout cpus cmd...: exec cmd (in a subshell), pinned when the layout is "pinned"
  local layout=$1 cpus=$2; shift 2
  if [[ $layout = pinned ]]; then exec taskset -c "$cpus" "$@"; else exec "$@"; fi
}
pin_prefix() { # layout cpus -> PFX: a command prefix pinning to cpus, or nothing
  PFX=()
  if [[ $1 = pinned ]]; then PFX=(taskset -c "$2"); fi
}

# to_ms VALUE: wrk's "329.00us" / "1.52ms" / "1.01s" -> milliseconds
to_ms() {
  awk -v v="$1" 'BEGIN{
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000
    printf "%.3f", n }'
}

# run_wrk NAME LAYOUT URL [LUA]: warm-up, then the measured run; sets RPS P50 P99 ERRS
run_wrk() {
  local name=$1 layout=$2 url=$3 lua=${4:-} out="$WORK/wrk-$1-$2.txt"
  local -a args=(-t2 -c"$CONNS" --latency)
  [[ -n $lua ]] && args+=(-s "$lua")
  (on_cpus "$layout" "$WRK_CPUS" wrk "${args[@]}" -d2s "$url") >/dev/null 2>&1 || true
  (on_cpus "$layout" "$WRK_CPUS" wrk "${args[@]}" -d"${SECS}s" "$url") >"$out" 2>&1 || { log "$name: wrk failed: $(tail -3 "$out")"; return 1; }
  RPS=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
  P50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
  P99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  ERRS=$(awk '/Non-2xx or 3xx responses:/ {print $NF} /Socket errors:/ {print $0}' "$out" | tr '\n' ' ')
  [[ -n $RPS ]] || { log "$name: could not read wrk's output: $(cat "$out")"; return 1; }
}

LAYOUTS=(unpinned)
((PIN == 1)) && LAYOUTS=(pinned unpinned)

declare -A RPS_=() P50_=() P99_=() ERR_=() RSS_=() NOTE=() VERSION=()

# ---------------------------------------------------------------- 2. tapedeck
# The server process: `tapedeck daemon`, or benchserve until the daemon exists.
tapedeck_cmd() {
  case $SERVER_MODE in
    daemon) [[ -x $TAPEDECK ]] || die "binary $TAPEDECK not found (run make build)"; echo daemon ;;
    benchserve) echo benchserve ;;
    auto)
      if [[ -x $TAPEDECK ]] && "$TAPEDECK" daemon --help >/dev/null 2>&1; then echo daemon
      else echo benchserve; fi ;;
  esac
}

# tapedeck_server PORT LAYOUT CMD...: exec the server (in bg_start's subshell) with the built-in
# defaults but the state dir, listen address, null output and empty library.
# shellcheck disable=SC2317 # run by bg_start
tapedeck_server() {
  local port=$1 layout=$2; shift 2
  unset TAPEDECK_CONFIG TAPEDECK_HTTP_TOKEN
  export XDG_CONFIG_HOME="$WORK/td-xdg" TAPEDECK_STATE_DIR="$WORK/td-state" \
    TAPEDECK_HTTP_LISTEN="127.0.0.1:$port" TAPEDECK_PLAYER_OUTPUT=null \
    TAPEDECK_LIBRARY_DIRS="$WORK/td-empty-library"
  on_cpus "$layout" "$SERVER_CPUS" "$@"
}

bench_tapedeck() {
  local name=tapedeck port mode layout
  port=$(free_port) || die "no free port"
  mode=$(tapedeck_cmd)
  local -a cmd
  if [[ $mode = daemon ]]; then
    cmd=("$TAPEDECK" daemon)
    VERSION[$name]=$("$TAPEDECK" version 2>/dev/null | sed -n 1p || true)
  else
    have go || die "tapedeck daemon is not available and go is missing to build benchserve"
    log "tapedeck: \`tapedeck daemon\` not available: measuring the API over a canned backend (api/internal/benchserve)"
    (cd "$ROOT" && go build -o "$WORK/benchserve" ./api/internal/benchserve) || die "building benchserve failed"
    cmd=("$WORK/benchserve")
    NOTE[$name]="API over a canned backend (api/internal/benchserve): \`tapedeck daemon\` was not available"
    VERSION[$name]="benchserve ($(cd "$ROOT" && git describe --tags --always --dirty 2>/dev/null || echo devel))"
  fi
  mkdir -p "$WORK/td-xdg" "$WORK/td-state" "$WORK/td-empty-library"
  for layout in "${LAYOUTS[@]}"; do
    rm -rf "$WORK/td-state"; mkdir -p "$WORK/td-state"
    bg_start "$WORK/tapedeck-$layout.log" tapedeck_server "$port" "$layout" "${cmd[@]}"
    SERVER_PID=$BG_PID
    wait_for 300 "$SERVER_PID" curl -fsS -o /dev/null "http://127.0.0.1:$port/api/v1/healthz" 2>/dev/null || true
    if ! curl -fsS -o "$WORK/status.json" "http://127.0.0.1:$port/api/v1/status"; then
      NOTE[$name]="did not serve /api/v1/status: $(tail -5 "$WORK/tapedeck-$layout.log" | tr '\n' ' ')"
      log "tapedeck: ${NOTE[$name]}"; server_stop; return 0
    fi
    grep -q '"state"' "$WORK/status.json" || log "tapedeck: unexpected status answer: $(head -c 300 "$WORK/status.json")"
    log "tapedeck ($layout): wrk -t2 -c$CONNS -d${SECS}s GET /api/v1/status"
    if run_wrk "$name" "$layout" "http://127.0.0.1:$port/api/v1/status"; then
      RPS_[$name.$layout]=$RPS; P50_[$name.$layout]=$P50; P99_[$name.$layout]=$P99; ERR_[$name.$layout]=$ERRS
    fi
    RSS_[$name.$layout]=$(hwm "$SERVER_PID")
    server_stop
  done
}

# ---------------------------------------------------------------- 3. Mopidy
bench_mopidy() {
  local name=mopidy d="$WORK/mopidy" port layout sections ext
  if ! have mopidy; then NOTE[$name]="not installed (apt-get install -y mopidy)"; log "mopidy: ${NOTE[$name]}"; return 0; fi
  port=$(free_port) || die "no free port"
  mkdir -p "$d/home"
  local -a env=(env HOME="$d/home" XDG_CONFIG_HOME="$d/home/.config" XDG_DATA_HOME="$d/home/.local/share"
                XDG_CACHE_HOME="$d/home/.cache")
  sections=$("${env[@]}" mopidy --config /dev/null config 2>/dev/null | sed -n 's/^\[\(.*\)\]$/\1/p')
  {
    printf '[core]\ncache_dir = %s\nconfig_dir = %s\ndata_dir = %s\n' "$d/cache" "$d/config" "$d/data"
    printf '[logging]\ncolor = false\nverbosity = -1\n'
    printf '[audio]\noutput = fakesink\nmixer = none\n'
    printf '[http]\nenabled = true\nhostname = 127.0.0.1\nport = %s\nzeroconf =\n' "$port"
    for ext in $sections; do
      case $ext in core|logging|audio|proxy|http|loglevels) ;; *) printf '[%s]\nenabled = false\n' "$ext" ;; esac
    done
  } >"$d/mopidy.conf"
  VERSION[$name]="Mopidy $(mopidy --version 2>/dev/null | awk '{print $2}')"
  cat >"$WORK/get_state.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"core.playback.get_state"}'
wrk.headers["Content-Type"] = "application/json"
EOF
  local rpc="http://127.0.0.1:$port/mopidy/rpc" body='{"jsonrpc":"2.0","id":1,"method":"core.playback.get_state"}'
  for layout in "${LAYOUTS[@]}"; do
    pin_prefix "$layout" "$SERVER_CPUS"
    bg_start "$WORK/mopidy-$layout.log" "${env[@]}" "${PFX[@]}" mopidy --config "$d/mopidy.conf"
    SERVER_PID=$BG_PID
    if ! wait_for 600 "$SERVER_PID" curl -fsS -H 'Content-Type: application/json' -d "$body" -o "$WORK/mopidy.json" "$rpc" 2>/dev/null ||
       ! grep -q '"result"' "$WORK/mopidy.json"; then
      NOTE[$name]="did not answer JSON-RPC: $(tail -5 "$WORK/mopidy-$layout.log" | tr '\n' ' ')"
      log "mopidy: ${NOTE[$name]}"; server_stop; return 0
    fi
    log "mopidy ($layout): wrk -t2 -c$CONNS -d${SECS}s POST /mopidy/rpc core.playback.get_state"
    if run_wrk "$name" "$layout" "$rpc" "$WORK/get_state.lua"; then
      RPS_[$name.$layout]=$RPS; P50_[$name.$layout]=$P50; P99_[$name.$layout]=$P99; ERR_[$name.$layout]=$ERRS
    fi
    RSS_[$name.$layout]=$(hwm "$SERVER_PID")
    server_stop
  done
}

bench_tapedeck
for p in $PEERS; do
  case $p in
    mopidy) bench_mopidy ;;
    *) log "unknown peer $p (known: mopidy)" ;;
  esac
done

# ---------------------------------------------------------------- 4. report
ratio() { awk -v t="$1" -v p="$2" 'BEGIN{ if (t == "" || p == "" || p+0 <= 0) print "-"; else printf "%.1fx", t/p }'; }
TOOLS=(tapedeck)
for p in $PEERS; do TOOLS+=("$p"); done
MAIN=${LAYOUTS[0]}

{
  echo "## HTTP API: GET /api/v1/status vs Mopidy JSON-RPC core.playback.get_state"
  echo
  echo "Run $(machine); $(wrk --version 2>&1 | sed -n 1p | awk '{print $1, $2}')."
  load_line
  echo "Load: \`wrk -t2 -c$CONNS -d${SECS}s --latency\` on loopback after a 2 s warm-up; each server alone."
  if ((PIN == 1)); then
    echo "Layouts: **pinned** = server on CPU $SERVER_CPUS, wrk on CPU $WRK_CPUS (taskset; the same for both tools, so wrk does not steal the server's CPU and the tail measures the server, not the scheduler); unpinned = no affinity. Goals are checked on the pinned layout."
  fi
  echo "Ratio: tapedeck requests/s over the peer's, same layout. RSS: VmHWM of the server process (its whole life)."
  echo
  echo "| tool | layout | requests/s | p50 ms | p99 ms | RSS MB | throughput ratio | errors | request |"
  echo "|---|---|---:|---:|---:|---:|---:|---|---|"
  for t in "${TOOLS[@]}"; do
    for l in "${LAYOUTS[@]}"; do
      # shellcheck disable=SC2016 # Markdown code spans
      case $t in
        tapedeck) req='`GET /api/v1/status`' ;;
        mopidy) req='`POST /mopidy/rpc` `core.playback.get_state`' ;;
      esac
      r="-"; [[ $t != tapedeck ]] && r=$(ratio "${RPS_[tapedeck.$l]:-}" "${RPS_[$t.$l]:-}")
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$t" "$l" "${RPS_[$t.$l]:--}" "${P50_[$t.$l]:--}" \
        "${P99_[$t.$l]:--}" "$(mb "${RSS_[$t.$l]:-}")" "$r" "${ERR_[$t.$l]:-none}" "$req"
    done
  done
  echo
  versions_and_notes
  echo
  echo "### Goals ($MAIN)"
  tr_=${RPS_[tapedeck.$MAIN]:-}; mr=${RPS_[mopidy.$MAIN]:-}; tp=${P99_[tapedeck.$MAIN]:-}; ts=${RSS_[tapedeck.$MAIN]:-}
  check "throughput >= 10x Mopidy's" "tapedeck $tr_ req/s vs mopidy $mr req/s = $(ratio "$tr_" "$mr")" \
    't >= 10*m' t="$tr_" m="$mr"
  check "p99 <= 2 ms" "tapedeck $tp ms" 'p <= 2' p="$tp"
  check "RSS < 40 MB" "tapedeck $(mb "$ts") MB" 'r < 40*1024' r="$ts"
} >"$WORK/report.md"

finish_report
