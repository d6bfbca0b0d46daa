#!/usr/bin/env bash
# Whole-process benchmark of ssfmux against `cp` of the same input bytes and against
# FFmpeg's ISMV muxer, in the same call, in alternated runs, with medians and min–max of
# the per-pair ratios, and peak RSS. Inputs are generated with ffmpeg (sizes are options),
# outputs go both to tmpfs and to the input's own filesystem.
#
#   scripts/bench.sh [--seconds 600] [--height 1080] [--bitrate 20M] [--runs 5]
#                    [--work DIR] [--tmpfs DIR] [--keep]
#
# Cases (the table of issue 13): T1 LONG.mp4 -> Smooth clear; T6 LONG.mp4 -> PIFF
# encrypted; T7 LONG.h264 + LONG.aac -> Smooth; T3 a 4-rung ladder of .h264 + .aac;
# T8 a 1 s clip; RSS of each. A ratio is A/B of one pair of runs made back to back.
# ssfmux syncs its files before it publishes them, so each case also times `cp` followed
# by `sync` of the copies (the column ssfmux/(cp+sync)).
set -euo pipefail

seconds=600
height=1080
bitrate=20M
runs=5
work=""
tmpfs=/dev/shm
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --height) height=$2; shift 2 ;;
        --bitrate) bitrate=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --tmpfs) tmpfs=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
for tool in ffmpeg /usr/bin/time cargo; do
    command -v "$tool" >/dev/null || { echo "bench.sh: $tool is needed (apt-get install ffmpeg time)" >&2; exit 2; }
done
[ -d "$tmpfs" ] || { echo "bench.sh: tmpfs directory $tmpfs missing" >&2; exit 2; }
work=${work:-$root/target/bench}
mkdir -p "$work"
scratch_disk="$work/out"
scratch_tmpfs="$tmpfs/ssf-bench.$$"
mkdir -p "$scratch_disk" "$scratch_tmpfs"
cleanup() {
    rm -rf "$scratch_tmpfs"
    [ "$keep" = 1 ] || rm -rf "$scratch_disk"
}
trap cleanup EXIT

echo "building ssfmux (release)..." >&2
cargo build -q --release --example ssfmux
ssfmux="$root/target/release/examples/ssfmux"

width=$(( height * 16 / 9 / 2 * 2 ))
long="$work/long_${seconds}s_${height}p"
# A noisy picture so x264 spends the bit rate; closed 2 s GOPs as Smooth needs.
x264=(-c:v libx264 -preset ultrafast -b:v "$bitrate" -maxrate "$bitrate" -bufsize "$bitrate"
      -g 50 -keyint_min 50 -sc_threshold 0 -flags +cgop)
if [ ! -s "$long.mp4" ]; then
    echo "generating $long.* ($seconds s, ${height}p, $bitrate)..." >&2
    ffmpeg -hide_banner -loglevel error -y \
        -f lavfi -t "$seconds" -i "testsrc2=size=${width}x${height}:rate=25,noise=alls=12:allf=t" \
        -f lavfi -t "$seconds" -i "sine=frequency=440:sample_rate=48000" \
        -map 0:v "${x264[@]}" -bsf:v h264_mp4toannexb -f h264 "$long.h264" \
        -map 1:a -c:a aac -b:a 128k -f adts "$long.aac"
    ffmpeg -hide_banner -loglevel error -y -r 25 -i "$long.h264" -i "$long.aac" \
        -c copy -movflags +faststart "$long.mp4"
fi
ladder="$work/ladder_${seconds}s"
if [ ! -s "${ladder}_4.h264" ]; then
    echo "generating the ladder..." >&2
    rung=1
    for h in 1080 720 540 360; do
        w=$(( h * 16 / 9 / 2 * 2 ))
        b=$(( 8 >> (rung - 1) ))M
        ffmpeg -hide_banner -loglevel error -y \
            -f lavfi -t "$seconds" -i "testsrc2=size=${w}x${h}:rate=25,noise=alls=12:allf=t" \
            -c:v libx264 -preset ultrafast -b:v "$b" -maxrate "$b" -bufsize "$b" \
            -g 50 -keyint_min 50 -sc_threshold 0 -flags +cgop \
            -bsf:v h264_mp4toannexb -f h264 "${ladder}_${rung}.h264"
        rung=$((rung + 1))
    done
    cp "$long.aac" "$ladder.aac"
fi
clip="$work/clip_1s"
if [ ! -s "$clip.mp4" ]; then
    ffmpeg -hide_banner -loglevel error -y -i "$long.mp4" -t 1 -c copy "$clip.mp4"
fi

# One timed run: prints "seconds max_rss_kib" (wall time from the shell's microsecond
# clock; peak RSS from /usr/bin/time). The output directory is emptied first so every
# run writes fresh files (the page cache holds the inputs: earlier runs read them).
timed() {
    local out=$1; shift
    rm -rf "$out"; mkdir -p "$out"
    local start=$EPOCHREALTIME
    /usr/bin/time -f "%M" -o "$out.time" "$@" >/dev/null 2>"$out.err" || {
        echo "FAILED: $*" >&2; cat "$out.err" >&2; echo "nan 0"; return 0; }
    local end=$EPOCHREALTIME
    echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f", b - a }') $(cat "$out.time")"
}

# case name, input files (for cp), then the ssfmux arguments, then -- and ffmpeg's.
results=()
bench() {
    local name=$1 dest=$2; shift 2
    local inputs=() ssf_args=() ff_args=() part=inputs
    for a in "$@"; do
        case "$a" in
            ::ssf) part=ssf ;; ::ff) part=ff ;;
            *) case $part in inputs) inputs+=("$a") ;; ssf) ssf_args+=("$a") ;; ff) ff_args+=("$a") ;; esac ;;
        esac
    done
    local bytes; bytes=$(cat "${inputs[@]}" | wc -c)
    for i in $(seq 1 "$runs"); do
        read -r t_cp _ < <(timed "$dest/cp" cp "${inputs[@]}" "$dest/cp/")
        # ssfmux syncs what it wrote before it publishes (a presentation that exists is
        # complete on disk), so it is also compared with a copy made as durable.
        read -r t_cps _ < <(timed "$dest/cps" bash -c 'd=${!#}; cp "$@" && sync "$d"/*' _ "${inputs[@]}" "$dest/cps/")
        read -r t_ssf rss_ssf < <(timed "$dest/ssf" "$ssfmux" -q -o "$dest/ssf/p" -n p "${ssf_args[@]}")
        # A fast run that wrote less than it read measured nothing: every payload byte of
        # the inputs is in the output (ADTS headers aside, which moof boxes outweigh).
        local wrote; wrote=$(du -sb "$dest/ssf/p" | cut -f1)
        if [ "$wrote" -lt $(( bytes * 99 / 100 )) ]; then
            echo "bench.sh: $name: ssfmux wrote $wrote bytes for $bytes of input" >&2; exit 1
        fi
        if [ ${#ff_args[@]} -gt 0 ]; then
            read -r t_ff rss_ff < <(timed "$dest/ff" ffmpeg -hide_banner -loglevel error -y "${ff_args[@]}" "$dest/ff/p.ismv")
        else
            t_ff=nan; rss_ff=0
        fi
        results+=("$name $bytes $t_cp $t_ssf $t_ff $rss_ssf $rss_ff $t_cps")
    done
}

for where in tmpfs disk; do
    dest=$scratch_tmpfs; [ "$where" = disk ] && dest=$scratch_disk
    bench "T1-mp4-clear@$where" "$dest" "$long.mp4" ::ssf "$long.mp4" \
        ::ff -i "$long.mp4" -c copy -f ismv
    bench "T6-mp4-encrypted@$where" "$dest" "$long.mp4" ::ssf \
        --kid 8ba94ade-6eb9-449d-b44f-a5beefaf43b0 --key 00112233445566778899aabbccddeeff \
        --iv 0123456789abcdef "$long.mp4"
    bench "T7-es@$where" "$dest" "$long.h264" "$long.aac" ::ssf "$long.h264" "$long.aac" \
        ::ff -r 25 -i "$long.h264" -i "$long.aac" -c copy -bsf:a aac_adtstoasc -f ismv
    bench "T3-ladder@$where" "$dest" "${ladder}_1.h264" "${ladder}_2.h264" "${ladder}_3.h264" \
        "${ladder}_4.h264" "$ladder.aac" ::ssf "${ladder}_1.h264" "${ladder}_2.h264" \
        "${ladder}_3.h264" "${ladder}_4.h264" "$ladder.aac"
    bench "T8-clip@$where" "$dest" "$clip.mp4" ::ssf "$clip.mp4" \
        ::ff -i "$clip.mp4" -c copy -f ismv
done

# Medians and ranges per case: ssfmux/cp, ffmpeg/cp, ssfmux/ffmpeg per pair; RSS.
printf '%s\n' "${results[@]}" | awk '
function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t } }
function med(a, n) { sort(a, n); return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
function show(a, n) { if (n == 0) return "-"; m = med(a, n); return sprintf("%.2fx (%.2f-%.2f)", m, a[1], a[n]) }
{
    c = $1; if (!(c in seen)) { seen[c] = 1; order[++cases] = c }
    bytes[c] = $2; k = ++n[c]
    tcp[c, k] = $3; tssf[c, k] = $4; tff[c, k] = $5; tcps[c, k] = $8
    if ($6 > rss[c]) rss[c] = $6; if ($7 > rssff[c]) rssff[c] = $7
}
END {
    printf "%-22s %6s %7s %7s %-20s %-20s %-20s %-20s %8s %8s\n", "case", "MB", "cp ms", "ssf ms", "ssfmux/cp", "ssfmux/(cp+sync)", "ffmpeg/cp", "ssfmux/ffmpeg", "ssf RSS", "ff RSS"
    for (i = 1; i <= cases; i++) {
        c = order[i]; m = n[c]; a = 0; b = 0; d = 0; e = 0; delete r1; delete r2; delete r3; delete r4; delete s1; delete s2
        for (k = 1; k <= m; k++) {
            s1[k] = tcp[c, k]; s2[k] = tssf[c, k]
            if (tcp[c, k] > 0) r1[++a] = tssf[c, k] / tcp[c, k]
            if (tcps[c, k] > 0) r4[++e] = tssf[c, k] / tcps[c, k]
            if (tcp[c, k] > 0 && tff[c, k] != "nan") r2[++b] = tff[c, k] / tcp[c, k]
            if (tff[c, k] != "nan" && tff[c, k] > 0) r3[++d] = tssf[c, k] / tff[c, k]
        }
        printf "%-22s %6.0f %7.1f %7.1f %-20s %-20s %-20s %-20s %6.1fMi %6.1fMi\n", c, bytes[c] / 1e6, med(s1, m) * 1000, med(s2, m) * 1000, show(r1, a), show(r4, e), show(r2, b), show(r3, d), rss[c] / 1024, rssff[c] / 1024
    }
}'
