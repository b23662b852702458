#!/usr/bin/env bash
# bench/scan.sh - library-scan benchmark: tapedeck against MPD, beets and Mopidy-Local.
#
# Usage:  bash bench/scan.sh            (normally via `make bench`, after `make build`)
#         bash bench/scan.sh --gen-only (only generate/cache the test library, print its path)
#         bash bench/scan.sh --help
#
# Environment (all optional):
#   BENCH_FILES=2000        number of generated files (equal thirds MP3 / FLAC / Ogg Vorbis)
#   BENCH_SECONDS=60        length of each file in seconds (44.1 kHz stereo)
#   BENCH_DIR=/tmp/tapedeck-bench   cache + scratch dir; the library is cached as lib-N (lib-N-Ss if S != 60)
#   BENCH_OUT=bench/last-run.md     markdown result (relative paths are relative to the repo root)
#   BENCH_RUNS=3            runs per measurement; the best (minimum) time is reported
#   BENCH_DAEMON_RUNS=21    timed unchanged rescans in each running daemon (min and median reported)
#   BENCH_PEERS="mpd beets mopidy"  peers to run (subset, or "" for none)
#   BENCH_STRICT=0          1: exit 2 when a goal is missed
#   TAPEDECK_BIN=bin/tapedeck       binary under test
#   BENCH_NO_INSTALL=1      never run apt-get (missing peers are skipped)
#   BENCH_KEEP=1            keep the run's scratch dir (peer configs, logs, databases)
#
# Library: N files in Artist/Album/NN Title.ext (albums of 10, up to 100 artists), MP3 (ID3v2.4
# and v2.3 by album) / FLAC / Ogg Vorbis in turn, made from one encoded base file per format by
# `ffmpeg -c copy` (one ffmpeg process per 40 files, nproc in parallel; ~15-30 s for 2000 files);
# tags: title, artist, album, album artist, track/total, disc/total, date, genre, ISRC (TSRC frame
# in MP3), MusicBrainz track id (UFID frame in MP3, added with python3-mutagen).
#
# Method: every tool scans the same generated tree in the same run, with the page cache warm
# (the tree is read before each tool), so "cold" means an empty database, not a cold disk.
# Times: wall clock around the command (bash EPOCHREALTIME), best of BENCH_RUNS (3x as many runs for the
# cheap unchanged rescans of tapedeck and MPD); hyperfine, if installed, also times tapedeck and
# the minimum of both is kept. Max RSS: /usr/bin/time -f %M (MPD: VmHWM of the daemon, its whole
# life: start-up + scan). Peers: MPD `mpc update --wait` (from an empty db; then again, unchanged),
# beets `beet import -A -q` (fresh db; unchanged = `beet update`), Mopidy `mopidy local scan`
# (fresh data dir; then again). All with temp configs under BENCH_DIR, no network.
# Daemons: the `tapedeck scan` and `mpc update --wait` times above are not alike (a whole process
# against a request to a daemon that is already up), so both daemons are then also measured side
# by side: `tapedeck daemon` (its own state dir and config, free loopback port, output null,
# library.watch false, no rescan interval, no MPRIS, no Spotify app watching) and MPD on the
# database of its last run, both on the library, first scan done. bench/rescan.py, holding its
# connections open, times BENCH_DAEMON_RUNS unchanged rescans in each after 2 untimed ones,
# alternating the two daemons, from the request to the daemon's word that the rescan is complete:
# tapedeck POST /api/v1/scan until the `scan` event with phase "done" on /api/v1/events; MPD
# `update`, then `idle update` and `status` until the job is gone (as mpc update --wait).
# Goals checked: tapedeck cold >= 2x faster than the fastest peer's cold scan; the daemon's median
# unchanged rescan <= MPD's in its daemon; tapedeck max RSS < 60 MB. The process-against-daemon
# comparison of unchanged rescans is reported, not checked.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
N=${BENCH_FILES:-2000}
SECS=${BENCH_SECONDS:-60}
OUT=${BENCH_OUT:-bench/last-run.md}
[[ $OUT = /* ]] || OUT="$ROOT/$OUT"
RUNS=${BENCH_RUNS:-3}
DAEMON_RUNS=${BENCH_DAEMON_RUNS:-21}
PEERS=${BENCH_PEERS-mpd beets mopidy}
JOBS=$(nproc)
PY=/usr/bin/python3; [[ -x $PY ]] || PY=python3

GEN_ONLY=0
case "${1:-}" in
  --gen-only) GEN_ONLY=1 ;;
  -h|--help) show_help; exit 0 ;;
  "") ;;
  *) echo "scan.sh: unknown argument $1 (try --help)" >&2; exit 1 ;;
esac

[[ $N =~ ^[0-9]+$ && $N -ge 3 ]] || die "BENCH_FILES must be an integer >= 3"
[[ $SECS =~ ^[0-9]+$ && $SECS -ge 1 ]] || die "BENCH_SECONDS must be a positive integer"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 ]] || die "BENCH_RUNS must be a positive integer"
[[ $DAEMON_RUNS =~ ^[0-9]+$ && $DAEMON_RUNS -ge 1 ]] || die "BENCH_DAEMON_RUNS must be a positive integer"

# ---------------------------------------------------------------- 1. dependencies
missing_pkgs() {
  local m=()
  have ffmpeg || m+=(ffmpeg)
  have ffprobe || m+=(ffmpeg)
  [[ -x /usr/bin/time ]] || m+=(time)
  /usr/bin/python3 -c 'import mutagen' 2>/dev/null || m+=(python3-mutagen) # MP3 UFID frames (see make_library)
  if [[ $GEN_ONLY = 0 ]]; then
    peer_wanted mpd && { have mpd || m+=(mpd); have mpc || m+=(mpc); }
    peer_wanted beets && { have beet || m+=(beets); }
    peer_wanted mopidy && { have mopidy || m+=(mopidy); dpkg -s mopidy-local >/dev/null 2>&1 || m+=(mopidy-local); }
  fi
  ((${#m[@]})) || return 0
  printf '%s\n' "${m[@]}" | sort -u
}

mapfile -t MISSING < <(missing_pkgs)
install_missing apt.log "mpd mpc beets mopidy mopidy-local ffmpeg time python3-mutagen" "${MISSING[@]}"
{ have ffmpeg && have ffprobe; } || die "ffmpeg/ffprobe are required (apt-get install -y ffmpeg)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is required (apt-get install -y time)"

mkdir -p "$BENCH_DIR"

# ---------------------------------------------------------------- 2. the test library
LIBNAME="lib-$N"; [[ $SECS = 60 ]] || LIBNAME="lib-$N-${SECS}s"
LIB="$BENCH_DIR/$LIBNAME"
BASE="$BENCH_DIR/base-${SECS}s"

ff() { ffmpeg -hide_banner -nostdin -loglevel error -y "$@"; }

make_base() {
  [[ -f $BASE/.done ]] && return 0
  log "encoding base files (${SECS}s, 44.1 kHz stereo) in $BASE"
  rm -rf "$BASE"; mkdir -p "$BASE"
  # a tone plus a little noise, so that the lossless file is not trivially small
  ff -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=$SECS" \
     -f lavfi -i "anoisesrc=color=pink:amplitude=0.03:sample_rate=44100:duration=$SECS:seed=42" \
     -filter_complex "[0][1]amix=inputs=2:normalize=0,aformat=sample_fmts=s16:channel_layouts=stereo" \
     -ar 44100 -ac 2 "$BASE/base.wav"
  local -a pids=()
  ff -i "$BASE/base.wav" -c:a libmp3lame -q:a 2 -map_metadata -1 "$BASE/base.mp3" & pids+=($!)
  ff -i "$BASE/base.wav" -c:a flac -map_metadata -1 "$BASE/base.flac" & pids+=($!)
  ff -i "$BASE/base.wav" -c:a libvorbis -q:a 5 -map_metadata -1 "$BASE/base.ogg" & pids+=($!)
  local p; for p in "${pids[@]}"; do wait "$p" || die "encoding a base file failed"; done
  touch "$BASE/.done"
}

# One ffmpeg process writes a whole chunk of files by stream copy (one output per line): this
# avoids one process start per file. Lines: ext id3ver rel title artist album albumartist track
# ntracks disc ndiscs date genre isrc mbid (tab-separated).
# shellcheck disable=SC2317 # run by xargs' bash -c
gen_chunk() {
  local chunk=$1 lib=$2 base=$3
  local -a args=()
  local ext id3 rel title artist album aartist trk ntrk disc ndisc date genre isrc mbid in=""
  while IFS=$'\t' read -r ext id3 rel title artist album aartist trk ntrk disc ndisc date genre isrc mbid; do
    in=$ext
    args+=(-map 0:a -c copy -map_metadata -1 -fflags +bitexact
           -metadata "title=$title" -metadata "artist=$artist" -metadata "album=$album"
           -metadata "album_artist=$aartist" -metadata "date=$date" -metadata "genre=$genre")
    if [[ $ext = mp3 ]]; then
      # ID3v2: TRCK/TPOS take "n/total"; TSRC is a standard frame; the MusicBrainz id is TXXX
      args+=(-id3v2_version "$id3" -write_id3v1 0
             -metadata "track=$trk/$ntrk" -metadata "disc=$disc/$ndisc"
             -metadata "TSRC=$isrc" -metadata "MusicBrainz Track Id=$mbid")
    else
      # Vorbis comments (FLAC and Ogg)
      args+=(-metadata "track=$trk" -metadata "TRACKTOTAL=$ntrk"
             -metadata "disc=$disc" -metadata "DISCTOTAL=$ndisc"
             -metadata "ISRC=$isrc" -metadata "MUSICBRAINZ_TRACKID=$mbid")
    fi
    args+=("$lib/$rel")
  done <"$chunk"
  ffmpeg -hide_banner -nostdin -loglevel error -y -i "$base/base.$in" "${args[@]}"
}
export -f gen_chunk

check_tags() { # file -> ffprobe must show the tags we wrote
  local f=$1 out
  out=$(ffprobe -v error -show_entries format_tags:stream_tags:format=duration -of default=nw=1 "$f")
  local k
  for k in title artist album album_artist date genre track disc; do
    grep -qi "^TAG:$k=" <<<"$out" || die "generated file lacks tag $k: $f"$'\n'"$out"
  done
  grep -qiE '^TAG:(TSRC|ISRC)=QZ' <<<"$out" || die "generated file lacks ISRC: $f"$'\n'"$out"
  if [[ $f = *.mp3 ]]; then
    [[ $(head -c 4096 "$f" | grep -ac 'http://musicbrainz.org\|MusicBrainz Track Id' || true) != 0 ]] || die "no MusicBrainz id: $f"
  else
    grep -qiE '^TAG:MUSICBRAINZ_TRACKID=' <<<"$out" || die "no MusicBrainz id: $f"
  fi
}

GEN_VERSION="tapedeck-bench-library v2"   # bump when the generated files change

# MP3s get the MusicBrainz recording id the way Picard writes it, a UFID frame owned by
# http://musicbrainz.org (what MPD, beets and TagLib read as MUSICBRAINZ_TRACKID); ffmpeg cannot
# write UFID, so mutagen (python3-mutagen, a beets dependency) adds it in one process.
# Without mutagen the id stays in ffmpeg's TXXX "MusicBrainz Track Id".
add_ufid() { # dir manifest
  if ! "$PY" -c 'import mutagen' 2>/dev/null; then
    log "python3-mutagen missing: MP3 MusicBrainz ids stay in TXXX:MusicBrainz Track Id"; return 0
  fi
  awk -F'\t' '$1 == "mp3" {print $3 "\t" $2 "\t" $15}' "$2" | (cd "$1" && "$PY" -c '
import sys
from mutagen.id3 import ID3, UFID
for line in sys.stdin:
    rel, ver, mbid = line.rstrip("\n").split("\t")
    t = ID3(rel)
    t.delall("TXXX:MusicBrainz Track Id")
    t.add(UFID(owner="http://musicbrainz.org", data=mbid.encode()))
    if ver == "3":
        t.update_to_v23()  # else mutagen writes v2.4 frames (TDRC) into a v2.3 tag
    t.save(rel, v2_version=int(ver), v1=0)
')
}

make_library() {
  if [[ -f $LIB.done && $(cat "$LIB.done") = "$GEN_VERSION" ]]; then
    log "using cached library $LIB ($N files)"
    return 0
  fi
  make_base
  local t0 t1 tmp="$LIB.tmp" man
  t0=$(date +%s.%N)
  log "generating $N files into $LIB ..."
  rm -rf "$LIB" "$tmp" "$BENCH_DIR/chunks-$LIBNAME"
  mkdir -p "$tmp" "$BENCH_DIR/chunks-$LIBNAME"
  man="$BENCH_DIR/chunks-$LIBNAME/manifest.tsv"
  # Layout Artist/Album/NN Title.ext: albums of 10 tracks, up to 100 artists (2000 files: 100
  # artists x 2 albums x 10 tracks). Formats rotate per file (equal thirds); MP3s alternate
  # ID3v2.4 / ID3v2.3 by album. Some artist names are non-ASCII.
  local -a genres=(Rock Pop Jazz Electronic Classical "Hip-Hop" Folk Metal Blues Ambient)
  local -a exts=(mp3 flac ogg)
  local nalb=$(( (N + 9) / 10 )) nart i a art albn trk ntrk ext id3 artist album title rel isrc mbid
  nart=$(( nalb < 100 ? nalb : 100 ))
  {
    for ((i = 0; i < N; i++)); do
      a=$((i / 10)); trk=$((i % 10 + 1)); art=$((a % nart)); albn=$((a / nart + 1))
      ntrk=$(( N - a * 10 < 10 ? N - a * 10 : 10 ))
      ext=${exts[i % 3]}
      id3=$(( a % 2 ? 3 : 4 ))
      if ((art % 7 == 3)); then printf -v artist 'Künstler Ø %03d' "$art"; else printf -v artist 'Artist %03d' "$art"; fi
      printf -v album 'Album %d of %s' "$albn" "$artist"
      printf -v title 'Song %d on Album %03d' "$trk" "$a"
      printf -v rel '%s/%s/%02d %s.%s' "$artist" "$album" "$trk" "$title" "$ext"
      printf -v isrc 'QZTDK%02d%05d' $((a % 100)) "$i"
      printf -v mbid '%08x-%04x-4%03x-8%03x-%012x' $((0x5eed0000 + i)) $((a & 0xffff)) "$trk" $((i % 4096)) $((i * 7919))
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$ext" "$id3" "$rel" "$title" "$artist" "$album" "$artist" "$trk" "$ntrk" 1 1 \
        "$((1970 + a % 55))" "${genres[a % 10]}" "$isrc" "$mbid"
    done
  } >"$man"
  cut -f3 "$man" | sed 's|/[^/]*$||' | sort -u | (cd "$tmp" && tr '\n' '\0' | xargs -0 mkdir -p)
  local e
  for e in mp3 flac ogg; do
    awk -F'\t' -v e="$e" '$1 == e' "$man" | split -l 40 - "$BENCH_DIR/chunks-$LIBNAME/$e."
  done
  # shellcheck disable=SC2016 # the child shell expands them
  find "$BENCH_DIR/chunks-$LIBNAME" -name '*.??' -print0 |
    xargs -0 -n 1 -P "$JOBS" bash -c 'gen_chunk "$3" "$1" "$2"' _ "$tmp" "$BASE" 2>&1 |
    sed -n 1,20p >&2 || true
  add_ufid "$tmp" "$man"
  local got
  got=$(find "$tmp" -type f \( -name '*.mp3' -o -name '*.flac' -o -name '*.ogg' \) | wc -l)
  [[ $got = "$N" ]] || die "generated $got files, expected $N"
  local f e2
  for e2 in mp3 flac ogg; do
    f=$(find "$tmp" -name "*.$e2" -print -quit)
    check_tags "$f"
  done
  # the ISRC of an MP3 must be a real TSRC frame (not a TXXX "TSRC")
  f=$(find "$tmp" -name '*.mp3' -print -quit)
  [[ $(head -c 4096 "$f" | grep -ac 'TSRC' || true) != 0 ]] || die "no TSRC frame in $f"
  [[ $(head -c 4096 "$f" | grep -ac $'TXXX[^T]*TSRC' || true) = 0 ]] || die "TSRC written as TXXX in $f"
  rm -rf "$BENCH_DIR/chunks-$LIBNAME"
  mv "$tmp" "$LIB"
  echo "$GEN_VERSION" >"$LIB.done"
  t1=$(date +%s.%N)
  log "generated $N files ($(du -sh "$LIB" | cut -f1)) in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
}

make_library
if [[ $GEN_ONLY = 1 ]]; then
  echo "$LIB"
  exit 0
fi

# ---------------------------------------------------------------- 3. measurements
WORK=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
# The page cache is warmed before each tool: on this VM the cache was seen dropped between runs.
warm_cache() { find "$LIB" -type f -print0 | xargs -0 cat >/dev/null; }
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# clock VAR: wall-clock seconds into VAR without a fork (bash 5 EPOCHREALTIME; $(date) costs ~5 ms)
clock() {
  if [[ -n ${EPOCHREALTIME:-} ]]; then printf -v "$1" '%s' "${EPOCHREALTIME/,/.}"
  else printf -v "$1" '%s' "$(date +%s.%N)"; fi
}
sub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }
minf() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || b+0 < a+0) print b; else print a }'; }
maxi() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || b+0 > a+0) print b; else print a }'; }

# Result table rows: tool|cold s|unchanged s|max RSS KB|tracks|note
declare -A COLD=() UNCH=() RSS=() TRACKS=() NOTE=() VERSION=() SAMPLES=()
TOOLS=()

# timed CMD...: runs CMD under /usr/bin/time; sets T (seconds) and R (max RSS KB); output -> $WORK/out
timed() {
  local t0 t1 rc=0
  clock t0
  /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  clock t1
  T=$(sub "$t0" "$t1")
  R=$(tail -1 "$WORK/rss")
  [[ $R =~ ^[0-9]+$ ]] || R=0
  return $rc
}
# bare CMD...: like timed, without the /usr/bin/time wrapper (it adds a few ms), no RSS
bare() {
  local t0 t1 rc=0
  clock t0
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  clock t1
  T=$(sub "$t0" "$t1")
  return $rc
}

# ---- tapedeck
bench_tapedeck() {
  local name=tapedeck st="$WORK/td-state" best_c="" best_u="" rss="" i added
  TOOLS+=("$name")
  if [[ ! -x $TAPEDECK ]]; then
    NOTE[$name]="binary $TAPEDECK not found (run make build)"; log "${NOTE[$name]}"; return 0
  fi
  # built-in defaults only: no user config file may leak in (empty XDG_CONFIG_HOME)
  mkdir -p "$WORK/td-xdg"
  export XDG_CONFIG_HOME="$WORK/td-xdg"
  unset TAPEDECK_CONFIG
  export TAPEDECK_LIBRARY_DIRS="$LIB"
  export TAPEDECK_STATE_DIR="$st"
  VERSION[$name]=$( { "$TAPEDECK" version 2>/dev/null || "$TAPEDECK" --version 2>/dev/null; } | sed -n 1p || true)
  warm_cache
  log "tapedeck: cold scan x$RUNS"
  for ((i = 0; i <= RUNS; i++)); do
    rm -rf "$st"; mkdir -p "$st"
    if ((i == RUNS)); then # one more run, under /usr/bin/time, for the max RSS
      timed "$TAPEDECK" scan --json || { NOTE[$name]="scan failed: $(tail -3 "$WORK/err" | tr '\n' ' ')"; log "${NOTE[$name]}"; return 0; }
      rss=$(maxi "$rss" "$R"); break
    fi
    bare "$TAPEDECK" scan --json || { NOTE[$name]="scan failed: $(tail -3 "$WORK/err" | tr '\n' ' ')"; log "${NOTE[$name]}"; return 0; }
    best_c=$(minf "$best_c" "$T"); SAMPLES[$name.cold]+=" $T"
  done
  added=$(grep -o '"added":[ ]*[0-9]*' "$WORK/out" | grep -o '[0-9]*$' || true)
  TRACKS[$name]=${added:-?}
  local failed
  failed=$(grep -o '"failed":[ ]*[0-9]*' "$WORK/out" | grep -o '[0-9]*$' || true)
  [[ ${failed:-0} = 0 ]] || NOTE[$name]="cold scan reported failed=$failed"
  log "tapedeck: unchanged scan x$((RUNS * 3))"
  for ((i = 0; i < RUNS * 3; i++)); do
    bare "$TAPEDECK" scan --json || { NOTE[$name]="rescan failed: $(tail -3 "$WORK/err" | tr '\n' ' ')"; return 0; }
    best_u=$(minf "$best_u" "$T"); SAMPLES[$name.unch]+=" $T"
  done
  timed "$TAPEDECK" scan --json && rss=$(maxi "$rss" "$R")
  added=$(grep -o '"added":[ ]*[0-9]*' "$WORK/out" | grep -o '[0-9]*$' || true)
  [[ ${added:-0} = 0 ]] || NOTE[$name]="${NOTE[$name]:+${NOTE[$name]}; }unchanged rescan reported added=$added"
  if have hyperfine && [[ $TAPEDECK != *" "* && $st != *" "* ]]; then
    # hyperfine repeats cheaply: use its minimum (it also catches outliers); RSS stays from above
    local hc hu
    hyperfine -N --runs "$RUNS" --prepare "rm -rf $st" --export-json "$WORK/hf-cold.json" \
      "$TAPEDECK scan --json" >"$WORK/hf.log" 2>&1 || true
    hyperfine -N --warmup 1 --runs $((RUNS * 3)) --export-json "$WORK/hf-unch.json" \
      "$TAPEDECK scan --json" >>"$WORK/hf.log" 2>&1 || true
    hc=$("$PY" -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["min"])' "$WORK/hf-cold.json" 2>/dev/null || true)
    hu=$("$PY" -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["min"])' "$WORK/hf-unch.json" 2>/dev/null || true)
    [[ -n $hc ]] && best_c=$(minf "$best_c" "$hc") && SAMPLES[$name.cold]+=" (hyperfine min $hc)"
    [[ -n $hu ]] && best_u=$(minf "$best_u" "$hu") && SAMPLES[$name.unch]+=" (hyperfine min $hu)"
  fi
  COLD[$name]=$best_c; UNCH[$name]=$best_u; RSS[$name]=$rss
  unset TAPEDECK_LIBRARY_DIRS TAPEDECK_STATE_DIR XDG_CONFIG_HOME
}

# ---- MPD (+ mpc)
MPD_PID="" MPD_PORT=""
mpd_start() { # conf port
  bg_start "$WORK/mpd/stdout.log" mpd --no-daemon "$1"
  MPD_PID=$BG_PID
  wait_for 200 "$MPD_PID" mpc -q -p "$2" status >/dev/null 2>&1 && return 0
  log "mpd did not start: $(tail -5 "$WORK/mpd/mpd.log" "$WORK/mpd/stdout.log" 2>/dev/null | tr '\n' ' ')"
  return 1
}
mpd_stop() { bg_stop "$MPD_PID"; MPD_PID=""; }

bench_mpd() {
  local name=mpd d="$WORK/mpd" port best_c="" best_u="" rss="" i songs t0 t1
  TOOLS+=("$name")
  if ! have mpd || ! have mpc; then NOTE[$name]="not installed (apt-get install -y mpd mpc)"; log "mpd: ${NOTE[$name]}"; return 0; fi
  VERSION[$name]=$(mpd --version 2>/dev/null | sed -n 1p)
  mkdir -p "$d/empty"
  port=$(free_port) || { NOTE[$name]="no free port"; return 0; }
  MPD_PORT=$port
  mpd_conf() { # music_dir -> conf file
    cat >"$d/mpd.conf" <<EOF
music_directory "$1"
db_file "$d/mpd.db"
log_file "$d/mpd.log"
pid_file "$d/mpd.pid"
bind_to_address "127.0.0.1"
port "$port"
auto_update "no"
zeroconf_enabled "no"
audio_output {
  type "null"
  name "null"
  mixer_type "none"
}
EOF
  }
  # MPD starts a full update by itself when its db_file is missing, which would race with the
  # timed `mpc update`. So: make an empty database once (MPD on an empty dir), and start every
  # cold run from a copy of it; then `mpc update --wait` times exactly one full scan.
  mpd_conf "$d/empty"
  rm -f "$d/mpd.db"
  mpd_start "$d/mpd.conf" "$port" || { NOTE[$name]="failed to start"; return 0; }
  mpc -q -p "$port" update --wait >/dev/null 2>&1 || true
  mpd_stop
  [[ -s $d/mpd.db ]] || { NOTE[$name]="could not create an empty database"; return 0; }
  cp "$d/mpd.db" "$d/empty.db"
  mpd_conf "$LIB"
  warm_cache
  log "mpd: first database update x$RUNS (port $port)"
  for ((i = 0; i < RUNS; i++)); do
    cp "$d/empty.db" "$d/mpd.db"
    mpd_start "$d/mpd.conf" "$port" || { NOTE[$name]="failed to start"; return 0; }
    [[ $(mpc -p "$port" stats | awk '/^Songs:/ {print $2}') = 0 ]] || log "mpd: database not empty at start"
    clock t0; mpc -q -p "$port" update --wait >/dev/null; clock t1
    T=$(sub "$t0" "$t1"); best_c=$(minf "$best_c" "$T"); SAMPLES[$name.cold]+=" $T"
    songs=$(mpc -p "$port" stats | awk '/^Songs:/ {print $2}')
    if ((i == RUNS - 1)); then
      log "mpd: unchanged update x$((RUNS * 3))"
      local j
      for ((j = 0; j < RUNS * 3; j++)); do
        clock t0; mpc -q -p "$port" update --wait >/dev/null; clock t1
        T=$(sub "$t0" "$t1"); best_u=$(minf "$best_u" "$T"); SAMPLES[$name.unch]+=" $T"
      done
    fi
    rss=$(maxi "$rss" "$(hwm "$MPD_PID")")
    mpd_stop
  done
  TRACKS[$name]=$songs
  COLD[$name]=$best_c; UNCH[$name]=$best_u; RSS[$name]=$rss
}

# ---- beets
bench_beets() {
  local name=beets d="$WORK/beets" best_c="" best_u="" rss="" i n
  TOOLS+=("$name")
  if ! have beet; then NOTE[$name]="not installed (apt-get install -y beets)"; log "beets: ${NOTE[$name]}"; return 0; fi
  mkdir -p "$d/home" "$d/beetsdir"
  cat >"$d/config.yaml" <<EOF
directory: $LIB
library: $d/lib.db
plugins: []
import:
  copy: no
  move: no
  write: no
  resume: no
  incremental: no
  log:
EOF
  local -a env=(env HOME="$d/home" BEETSDIR="$d/beetsdir")
  VERSION[$name]=$("${env[@]}" beet -c "$d/config.yaml" version 2>/dev/null | sed -n 1p)
  warm_cache
  log "beets: import -A (cold) x$RUNS"
  for ((i = 0; i < RUNS; i++)); do
    rm -f "$d/lib.db" "$d/beetsdir/state.pickle"
    timed "${env[@]}" beet -c "$d/config.yaml" import -A -q "$LIB" || { NOTE[$name]="import failed: $(tail -3 "$WORK/err" | tr '\n' ' ')"; return 0; }
    best_c=$(minf "$best_c" "$T"); SAMPLES[$name.cold]+=" $T"; rss=$(maxi "$rss" "$R")
  done
  # shellcheck disable=SC2016 # a beets format, not a shell variable
  n=$("${env[@]}" beet -c "$d/config.yaml" ls -f '$id' 2>/dev/null | wc -l)
  TRACKS[$name]=$n
  # beets' "nothing changed" rescan is `beet update` (stats every item, re-reads changed ones)
  log "beets: update (unchanged) x$RUNS"
  for ((i = 0; i < RUNS; i++)); do
    timed "${env[@]}" beet -c "$d/config.yaml" update || { NOTE[$name]="update failed"; break; }
    best_u=$(minf "$best_u" "$T"); SAMPLES[$name.unch]+=" $T"; rss=$(maxi "$rss" "$R")
  done
  COLD[$name]=$best_c; UNCH[$name]=$best_u; RSS[$name]=$rss
}

# ---- Mopidy-Local
bench_mopidy() {
  local name=mopidy d="$WORK/mopidy" best_c="" best_u="" rss="" i n
  TOOLS+=("$name")
  if ! have mopidy; then NOTE[$name]="not installed (apt-get install -y mopidy mopidy-local)"; log "mopidy: ${NOTE[$name]}"; return 0; fi
  mkdir -p "$d/home"
  local -a env=(env HOME="$d/home" XDG_CONFIG_HOME="$d/home/.config" XDG_DATA_HOME="$d/home/.local/share"
                XDG_CACHE_HOME="$d/home/.cache" XDG_MUSIC_DIR="$LIB")
  # disable every other extension that is installed, so that only [local] loads
  local sections ext
  sections=$("${env[@]}" mopidy --config /dev/null config 2>/dev/null | sed -n 's/^\[\(.*\)\]$/\1/p')
  {
    echo "[core]"
    echo "cache_dir = $d/cache"
    echo "config_dir = $d/config"
    echo "data_dir = $d/data"
    echo "[logging]"
    echo "color = false"
    echo "[audio]"
    echo "output = fakesink"
    echo "mixer = none"
    echo "[local]"
    echo "enabled = true"
    echo "media_dir = $LIB"
    for ext in $sections; do
      case $ext in core|logging|audio|proxy|local|loglevels) ;; *) printf '[%s]\nenabled = false\n' "$ext" ;; esac
    done
  } >"$d/mopidy.conf"
  local effective
  effective=$("${env[@]}" mopidy --config "$d/mopidy.conf" config 2>/dev/null || true)
  if ! grep -q '^\[local\]' <<<"$effective" || grep -q 'Extension disabled' <<<"$(sed -n '/^\[local\]/,/^\[/p' <<<"$effective")"; then
    NOTE[$name]="Mopidy-Local missing or disabled by a config error (apt-get install -y mopidy-local)"; log "mopidy: ${NOTE[$name]}"; return 0
  fi
  VERSION[$name]="Mopidy $(mopidy --version 2>/dev/null | awk '{print $2}'), Mopidy-Local $(dpkg-query -W -f '${Version}' mopidy-local 2>/dev/null)"
  count_tracks() {
    "$PY" - "$d/data/local/library.db" <<'EOF' 2>/dev/null || echo "?"
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from track").fetchone()[0])
EOF
  }
  warm_cache
  log "mopidy: local scan (cold) x$RUNS"
  for ((i = 0; i < RUNS; i++)); do
    rm -rf "$d/data" "$d/cache"
    timed "${env[@]}" mopidy --config "$d/mopidy.conf" local scan || { NOTE[$name]="scan failed: $(tail -3 "$WORK/err" | tr '\n' ' ')"; return 0; }
    best_c=$(minf "$best_c" "$T"); SAMPLES[$name.cold]+=" $T"; rss=$(maxi "$rss" "$R")
  done
  n=$(count_tracks)
  TRACKS[$name]=$n
  log "mopidy: local scan (unchanged) x$RUNS"
  for ((i = 0; i < RUNS; i++)); do
    timed "${env[@]}" mopidy --config "$d/mopidy.conf" local scan || { NOTE[$name]="rescan failed"; break; }
    best_u=$(minf "$best_u" "$T"); SAMPLES[$name.unch]+=" $T"; rss=$(maxi "$rss" "$R")
  done
  COLD[$name]=$best_c; UNCH[$name]=$best_u; RSS[$name]=$rss
}

# ---- unchanged rescans in running daemons: tapedeck and MPD side by side
declare -A DMIN=() DMED=() DCPU=() DRSS=() DRUNS=()
DAEMON_NOTE="" TD_COLD="" TD_SCAN_MEAN=""

# tapedeck_daemon CONF: exec `tapedeck daemon` (in bg_start's subshell) with CONF and no
# TAPEDECK_* setting from the caller's environment.
# shellcheck disable=SC2317 # run by bg_start
tapedeck_daemon() {
  local v
  while read -r v; do unset "$v"; done < <(compgen -e TAPEDECK_)
  export XDG_CONFIG_HOME="$WORK/daemons/xdg" TAPEDECK_SPOTIFY_WATCH_APP=false TAPEDECK_PLAYER_MPRIS=false
  exec "$TAPEDECK" daemon --config "$1"
}

# first_scan_done PORT: the daemon has indexed the library once and is not scanning.
# shellcheck disable=SC2317 # run by wait_for
first_scan_done() {
  local st
  st=$(curl -fsS "http://127.0.0.1:$1/api/v1/status" 2>/dev/null) || return 1
  [[ $st == *'"scanning":false'* && $st != *'"last_scan":null'* ]]
}

# scan_metric PORT: the daemon's tapedeck_scan_duration_seconds sum and count ("sum count").
scan_metric() {
  curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null |
    awk '/^tapedeck_scan_duration_seconds_sum/ {s = $2} /^tapedeck_scan_duration_seconds_count/ {c = $2} END {print s + 0, c + 0}'
}

# min_median FILE TOOL: "min median" of TOOL's seconds in FILE (rescan.py's lines "tool<TAB>seconds<TAB>cpu").
min_median() {
  awk -F'\t' -v t="$2" '$1 == t {print $2}' "$1" | sort -g |
    awk '{v[NR] = $1} END {if (NR) printf "%.4f %.4f\n", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'
}

bench_daemons() {
  local d="$WORK/daemons" port mport="" td_pid t0 t1 m0 m1 tool mm
  [[ -x $TAPEDECK ]] || return 0
  mkdir -p "$d/state" "$d/xdg"
  warm_cache
  # MPD first, on its own port from bench_mpd, so that free_port cannot hand that port out again
  if peer_wanted mpd && [[ -n $MPD_PORT && -s $WORK/mpd/mpd.db ]]; then
    if mpd_start "$WORK/mpd/mpd.conf" "$MPD_PORT"; then
      mport=$MPD_PORT
      [[ $(mpc -p "$mport" stats | awk '/^Songs:/ {print $2}') = "$N" ]] || log "mpd: its database does not hold $N songs"
    fi
  fi
  port=$(free_port) || { DAEMON_NOTE="no free port"; return 0; }
  cat >"$d/config.toml" <<EOF
state_dir = "$d/state"
[library]
dirs = ["$LIB"]
watch = false
rescan_interval = "0s"
[http]
listen = "127.0.0.1:$port"
[player]
output = "null"
mpris = false
[spotify]
watch_app = false
EOF
  log "tapedeck daemon on 127.0.0.1:$port: first scan"
  clock t0
  bg_start "$d/tapedeck.log" tapedeck_daemon "$d/config.toml"
  td_pid=$BG_PID
  if ! wait_for 1200 "$td_pid" first_scan_done "$port"; then
    DAEMON_NOTE="tapedeck daemon did not finish its first scan: $(tail -5 "$d/tapedeck.log" | tr '\n' ' ')"
    log "$DAEMON_NOTE"; bg_stop "$td_pid"; mpd_stop; return 0
  fi
  clock t1
  TD_COLD=$(sub "$t0" "$t1")
  grep -q "\"tracks\":$N," <<<"$(curl -fsS "http://127.0.0.1:$port/api/v1/status")" ||
    log "tapedeck daemon: the index does not hold $N tracks"
  log "daemons: unchanged rescan x$DAEMON_RUNS each, alternating (tapedeck${mport:+ and mpd}; bench/rescan.py)"
  m0=$(scan_metric "$port")
  if ! "$PY" "$ROOT/bench/rescan.py" --runs "$DAEMON_RUNS" --warmup 2 --tapedeck "$port" --tapedeck-pid "$td_pid" \
       ${mport:+--mpd "$mport" --mpd-pid "$MPD_PID"} >"$d/rescans.tsv" 2>"$d/rescan.err"; then
    DAEMON_NOTE="bench/rescan.py failed: $(tail -3 "$d/rescan.err" | tr '\n' ' ')"; log "$DAEMON_NOTE"
  fi
  m1=$(scan_metric "$port")
  # library.Scan's own share: the daemon's scan-duration histogram over the rescans just made
  TD_SCAN_MEAN=$(awk -v a="$m0" -v b="$m1" 'BEGIN{split(a, x, " "); split(b, y, " "); n = y[2] - x[2]; if (n > 0) printf "%.4f", (y[1] - x[1]) / n}')
  for tool in tapedeck mpd; do
    mm=$(min_median "$d/rescans.tsv" "$tool")
    [[ -n $mm ]] || continue
    DMIN[$tool]=${mm% *}; DMED[$tool]=${mm#* }
    DRUNS[$tool]=$(awk -F'\t' -v t="$tool" '$1 == t {printf " %.4f", $2}' "$d/rescans.tsv")
    DCPU[$tool]=$(awk -F'\t' -v t="$tool" '$1 == t && $3 != "" {s += $3; n++} END {if (n) printf "%.4f", s / n}' "$d/rescans.tsv")
  done
  DRSS[tapedeck]=$(hwm "$td_pid")
  [[ -n $mport ]] && DRSS[mpd]=$(hwm "$MPD_PID")
  bg_stop "$td_pid"
  mpd_stop
}

bench_tapedeck
for p in $PEERS; do
  case $p in
    mpd) bench_mpd ;;
    beets) bench_beets ;;
    mopidy) bench_mopidy ;;
    *) log "unknown peer $p (known: mpd beets mopidy)" ;;
  esac
done
bench_daemons

# ---------------------------------------------------------------- 4. report
ratio() { # peer tapedeck -> "N.Nx" or "-"
  awk -v p="$1" -v t="$2" 'BEGIN{ if (p == "" || t == "" || t+0 <= 0) print "-"; else printf "%.1fx", p/t }'
}
sec() { [[ -n $1 ]] && printf '%.3f' "$1" || printf -- '-'; }
ms() { [[ -n $1 ]] && awk -v s="$1" 'BEGIN{printf "%.1f", s*1000}' || printf -- '-'; }
frac() { # tapedeck peer -> tapedeck time / peer time, "N.NN" or "-"
  awk -v t="$1" -v p="$2" 'BEGIN{ if (t == "" || p == "" || p+0 <= 0) print "-"; else printf "%.2f", t/p }'
}

daemon_report() {
  local t
  echo "### Unchanged rescan in a running daemon: tapedeck and MPD side by side"
  echo
  echo "Both daemons up at once on the library, first scan done, page cache warm; 2 untimed rescans each, then $DAEMON_RUNS timed ones each, alternating tapedeck and MPD, 0.2 s apart, by one client (\`bench/rescan.py\`) that holds its connections open."
  echo "Time: from sending the request to the daemon's word that the rescan is complete."
  echo "tapedeck/MPD below 1 means tapedeck is faster. CPU: the daemon's user + system time over the timed rescans (all threads; clock ticks of 10 ms, so a mean over many runs), divided by their number."
  echo
  echo "| daemon | min ms | median ms | tapedeck/MPD (min) | tapedeck/MPD (median) | CPU ms a rescan | daemon RSS MB | request → completion |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  for t in tapedeck mpd; do
    [[ -n ${DMIN[$t]:-} ]] || continue
    # shellcheck disable=SC2016 # Markdown code spans
    case $t in
      tapedeck) how='`POST /api/v1/scan` → `scan` event, phase `done`, on `/api/v1/events` (after the scan, the rematch and the coverage count)' ;;
      mpd) how='`update` → `idle update` / `status` until the job is gone (as `mpc update --wait`)' ;;
    esac
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$t" "$(ms "${DMIN[$t]}")" "$(ms "${DMED[$t]}")" \
      "$([[ $t = mpd ]] && frac "${DMIN[tapedeck]:-}" "${DMIN[mpd]}" || echo -)" \
      "$([[ $t = mpd ]] && frac "${DMED[tapedeck]:-}" "${DMED[mpd]}" || echo -)" "$(ms "${DCPU[$t]:-}")" \
      "$(mb "${DRSS[$t]:-}")" "$how"
  done
  echo
  [[ -n $DAEMON_NOTE ]] && echo "- **daemons: $DAEMON_NOTE**"
  [[ -n $TD_SCAN_MEAN ]] && echo "- tapedeck: of each rescan, the scan itself (library.Scan, the daemon's \`tapedeck_scan_duration_seconds\`) took $(ms "$TD_SCAN_MEAN") ms on average over all $((DAEMON_RUNS + 2)) rescans, untimed ones included; the rest is the rematch, the coverage count, the event and HTTP."
  [[ -n $TD_COLD ]] && echo "- tapedeck: daemon start to first scan done (empty state dir, $N files): $(sec "$TD_COLD") s."
  for t in tapedeck mpd; do
    [[ -n ${DRUNS[$t]:-} ]] && echo "- every $t run (s):${DRUNS[$t]}"
  done
  return 0
}

TC=${COLD[tapedeck]:-}; TU=${UNCH[tapedeck]:-}; TR=${RSS[tapedeck]:-}
{
  nmp3=$(find "$LIB" -type f -name '*.mp3' | wc -l); nflac=$(find "$LIB" -type f -name '*.flac' | wc -l)
  nogg=$(find "$LIB" -type f -name '*.ogg' | wc -l)
  echo "## Library scan: $N files ($nmp3 MP3, $nflac FLAC, $nogg Ogg Vorbis; ${SECS} s each, 44.1 kHz stereo, full tags; $(du -sh "$LIB" | cut -f1))"
  echo
  echo "Run $(machine)."
  load_line
  echo "Best of $RUNS runs (unchanged tapedeck and MPD: best of $((RUNS * 3))), page cache warm (the tree is read before each tool). Cold = empty database; unchanged = rescan with nothing changed."
  echo "Ratios are peer time / tapedeck time (how many times faster tapedeck is)."
  echo "Times: wall clock, best of $RUNS$(have hyperfine && echo " (tapedeck: also hyperfine, min of its runs)"); RSS: /usr/bin/time max RSS (MPD: VmHWM of the daemon)."
  echo "Library: \`bash bench/scan.sh --gen-only\` (BENCH_FILES=$N BENCH_SECONDS=$SECS), layout Artist/Album/NN Title.ext."
  echo
  echo "| tool | cold s | unchanged s | max RSS MB | tracks | cold ratio | unchanged ratio | command |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  for t in "${TOOLS[@]}"; do
    # shellcheck disable=SC2016 # Markdown code spans
    case $t in
      tapedeck) cmd='`tapedeck scan` (fresh state dir) / `tapedeck scan` again' ;;
      mpd) cmd='`mpc update --wait` on an empty db / again' ;;
      beets) cmd='`beet import -A -q` (fresh db) / `beet update`' ;;
      mopidy) cmd='`mopidy local scan` (fresh data dir) / again' ;;
    esac
    if [[ $t = tapedeck ]]; then rc="-"; ru="-"; else rc=$(ratio "${COLD[$t]:-}" "$TC"); ru=$(ratio "${UNCH[$t]:-}" "$TU"); fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$t" "$(sec "${COLD[$t]:-}")" "$(sec "${UNCH[$t]:-}")" \
      "$(mb "${RSS[$t]:-}")" "${TRACKS[$t]:--}" "$rc" "$ru" "$cmd"
  done
  echo
  versions_and_notes
  echo
  echo "Every run (s), cold | unchanged:"
  echo
  for t in "${TOOLS[@]}"; do
    [[ -n ${SAMPLES[$t.cold]:-}${SAMPLES[$t.unch]:-} ]] && echo "- $t:${SAMPLES[$t.cold]:-} |${SAMPLES[$t.unch]:-}"
  done
  echo
  daemon_report
  echo
  echo "### Goals"
  fast="" fastname=""
  for t in "${TOOLS[@]}"; do
    [[ $t = tapedeck || -z ${COLD[$t]:-} ]] && continue
    if [[ -z $fast ]] || awk -v a="${COLD[$t]}" -v b="$fast" 'BEGIN{exit !(a < b)}'; then fast=${COLD[$t]}; fastname=$t; fi
  done
  check "cold scan >= 2x faster than the fastest peer" \
    "$fastname $(sec "$fast") s vs tapedeck $(sec "$TC") s = $(ratio "$fast" "$TC")" 'p >= 2*t' p="$fast" t="$TC"
  check "unchanged rescan in the running daemon <= MPD's in its daemon (medians)" \
    "tapedeck $(ms "${DMED[tapedeck]:-}") ms vs mpd $(ms "${DMED[mpd]:-}") ms: tapedeck/MPD $(frac "${DMED[tapedeck]:-}" "${DMED[mpd]:-}"); minima $(ms "${DMIN[tapedeck]:-}") vs $(ms "${DMIN[mpd]:-}") ms: $(frac "${DMIN[tapedeck]:-}" "${DMIN[mpd]:-}")" \
    't <= m' t="${DMED[tapedeck]:-}" m="${DMED[mpd]:-}"
  check "max RSS < 60 MB" "tapedeck $(mb "$TR") MB" 'r < 60*1024' r="$TR"
  echo "- not a goal: a \`tapedeck scan\` process against \`mpc update --wait\` to a running MPD, unchanged: tapedeck $(sec "$TU") s vs mpd $(sec "${UNCH[mpd]:-}") s (tapedeck/MPD $(frac "$TU" "${UNCH[mpd]:-}"); the process start is in tapedeck's time only)"
} >"$WORK/report.md"

finish_report
