#!/usr/bin/env bash
# Load benchmark of `ssfmux serve` (issue 14): fragment requests per second and latency
# for many concurrent clients fetching every fragment of the bundled sample (each level,
# audio too) by their Smooth URLs, against nginx and `python3 -m http.server` serving the
# same fragment bytes as whole files. wrk (from Debian) makes the load; rounds alternate
# the servers; medians with min–max; the origin's peak RSS (VmHWM) under that load.
#
#   scripts/origin_bench.sh [--seconds 20] [--connections 64] [--rounds 3] [--threads 2]
#
# Needs wrk, curl, python3 (and nginx for its column): apt-get install wrk curl nginx-light.
set -euo pipefail

seconds=20
connections=64
rounds=3
threads=2
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "origin_bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
for tool in wrk curl python3 cargo; do
    command -v "$tool" >/dev/null || { echo "origin_bench.sh: $tool is needed" >&2; exit 2; }
done
nginx=$(command -v nginx || true)

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "building ssfmux (release)..." >&2
cargo build -q --release --example ssfmux
ssfmux="$root/target/release/examples/ssfmux"
"$ssfmux" -o "$work/vod/sample" >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

origin_port=$(free_port)
"$ssfmux" serve "$work/vod" --listen "127.0.0.1:$origin_port" >"$work/serve.log" 2>&1 &
origin_pid=$!
pids+=("$origin_pid")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$origin_port/" >/dev/null && break; sleep 0.05; done

# Every fragment URL of the client manifest (times from its t/d list), and the same bytes
# fetched once into plain files for the static servers.
python3 - "$work/vod/sample/sample.ismc" >"$work/paths" <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for si in root.findall("StreamIndex"):
    url = si.get("Url")
    times, t = [], 0
    for c in si.findall("c"):
        t = int(c.get("t", t))
        times.append(t)
        t += int(c.get("d", 0)) * int(c.get("r", 1))
    for q in si.findall("QualityLevel"):
        for t in times:
            print("/sample/sample.ism/" + url.replace("{bitrate}", q.get("Bitrate")).replace("{start time}", str(t)))
EOF
mkdir -p "$work/static/f"
n=0
: >"$work/static_paths"
while read -r path; do
    curl -sf "http://127.0.0.1:$origin_port$path" -o "$work/static/f/$n.bin"
    echo "/f/$n.bin" >>"$work/static_paths"
    n=$((n + 1))
done <"$work/paths"
bytes=$(du -sb "$work/static/f" | cut -f1)
echo "fragments: $n ($bytes bytes, mean $((bytes / n)) bytes)" >&2

lua() {
    {
        echo "local paths = {"
        sed 's/.*/"&",/' "$1"
        echo "}"
        echo 'local i = math.random(#paths)'
        echo 'request = function() i = i % #paths + 1; return wrk.format("GET", paths[i]) end'
    } >"$2"
}
lua "$work/paths" "$work/origin.lua"
lua "$work/static_paths" "$work/static.lua"

python_port=$(free_port)
python3 -m http.server "$python_port" --bind 127.0.0.1 --directory "$work/static" >/dev/null 2>&1 &
pids+=($!)

servers=(origin python)
if [ -n "$nginx" ]; then
    nginx_port=$(free_port)
    mkdir -p "$work/nginx"
    cat >"$work/nginx/nginx.conf" <<EOF
user $(id -un) $(id -gn);
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    client_body_temp_path $work/nginx;
    proxy_temp_path $work/nginx;
    fastcgi_temp_path $work/nginx;
    uwsgi_temp_path $work/nginx;
    scgi_temp_path $work/nginx;
    server { listen 127.0.0.1:$nginx_port; root $work/static; }
}
EOF
    "$nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
    pids+=($!)
    servers+=(nginx)
fi
sleep 0.5
# Every server answers the same bytes for the first fragment.
first=$(head -1 "$work/paths")
curl -sf "http://127.0.0.1:$origin_port$first" -o "$work/check.origin"
for s in "${servers[@]}"; do
    case $s in
        python) curl -sf "http://127.0.0.1:$python_port/f/0.bin" -o "$work/check.$s" ;;
        nginx) curl -sf "http://127.0.0.1:$nginx_port/f/0.bin" -o "$work/check.$s" ;;
        *) continue ;;
    esac
    cmp -s "$work/check.origin" "$work/check.$s" || { echo "origin_bench.sh: $s does not serve the fragment's bytes" >&2; exit 1; }
done

declare -A rps p50 p99 errors
for round in $(seq "$rounds"); do
    for s in "${servers[@]}"; do
        case $s in
            origin) url="http://127.0.0.1:$origin_port"; script="$work/origin.lua" ;;
            python) url="http://127.0.0.1:$python_port"; script="$work/static.lua" ;;
            nginx) url="http://127.0.0.1:$nginx_port"; script="$work/static.lua" ;;
        esac
        out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s "$script" "$url")
        r=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
        l50=$(awk '$1 == "50%" {print $2}' <<<"$out")
        l99=$(awk '$1 == "99%" {print $2}' <<<"$out")
        # Failed answers and socket errors (connect, read, write, timeout) of the run.
        e=$(awk '/Non-2xx/ {bad += $NF} /Socket errors/ {gsub(",", ""); sock += $4 + $6 + $8 + $10}
                 END {print bad + 0, sock + 0}' <<<"$out")
        echo "round $round $s: $r req/s, p50 $l50, p99 $l99, non-2xx and socket errors: $e" >&2
        rps[$s]+="$r "
        p50[$s]+="$l50 "
        p99[$s]+="$l99 "
        errors[$s]+="$e "
    done
done
hwm=$(awk '/VmHWM/ {print $2 " " $3}' "/proc/$origin_pid/status")
rss=$(awk '/VmRSS/ {print $2 " " $3}' "/proc/$origin_pid/status")

# Median (min–max) of a list of numbers with a unit suffix (wrk prints 1.23ms, 456.00us).
summary() {
    python3 - "$@" <<'EOF'
import re, statistics, sys
def ms(v):
    m = re.fullmatch(r"([\d.]+)(us|ms|s)?", v)
    if not m: return float("nan")
    x = float(m.group(1)); u = m.group(2) or ""
    return x / 1000 if u == "us" else x * 1000 if u == "s" else x
vals = [ms(v) if re.search(r"[a-z]", v) else float(v) for v in sys.argv[1:]]
fmt = "{:.0f}" if all(re.fullmatch(r"[\d.]+", v) for v in sys.argv[1:]) else "{:.2f} ms"
print(fmt.format(statistics.median(vals)), "(" + fmt.format(min(vals)) + " – " + fmt.format(max(vals)) + ")")
EOF
}

echo
echo "$connections connections, $threads wrk threads, ${seconds} s per run, $rounds alternated rounds; $n fragments of the sample ($bytes bytes)"
echo
echo "| server | requests/s | p50 latency | p99 latency | errors (all rounds) |"
echo "|---|---|---|---|---|"
for s in "${servers[@]}"; do
    # shellcheck disable=SC2086
    read -r -a e <<<"${errors[$s]}"
    bad=0 sock=0
    for ((i = 0; i < ${#e[@]}; i += 2)); do bad=$((bad + e[i])); sock=$((sock + e[i + 1])); done
    echo "| $s | $(summary ${rps[$s]}) | $(summary ${p50[$s]}) | $(summary ${p99[$s]}) | $bad non-2xx, $sock socket errors |"
done
echo
echo "origin RSS after the load: $rss; peak (VmHWM): $hwm"
