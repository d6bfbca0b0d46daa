#!/usr/bin/env bash
# Makes the sample content in sample/: a 10 s synthetic clip as three H.264 Annex B
# bit rates plus one AAC-LC ADTS track, sized for tests and demos (< 2 MB in total).
#
# Why these settings:
# - Smooth Streaming needs fragment boundaries aligned across bit rates, so every
#   rendition uses a fixed 2 s closed GOP (25 fps, keyint 50, no scene cut, no open GOP).
# - B-frames (2) so the muxer's composition offsets are exercised.
# - Deterministic lavfi sources, -bitexact and a fixed x264 thread count so a rerun
#   with the same ffmpeg/x264 build gives the same bytes.
#
# Usage: scripts/make-sample.sh [output-dir]   (default: sample/ next to this script)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-"$here/../sample"}"
mkdir -p "$out"

command -v ffmpeg >/dev/null || { echo "make-sample.sh: ffmpeg not found" >&2; exit 1; }

duration=10
fps=25
gop=50 # 2 s at 25 fps

# Picture: the moving testsrc2 pattern (has a running frame counter) with a Game of
# Life inset, both fully deterministic (life uses a fixed seed).
video_src="testsrc2=size=1280x720:rate=${fps}:duration=${duration}[bg];
life=size=320x180:rate=${fps}:seed=42:ratio=0.12:mold=8:life_color=#40e0d0:death_color=#303060:mold_color=#102040,scale=480:270:flags=neighbor[fg];
[bg][fg]overlay=x=W-w-32:y=32:shortest=1,format=yuv420p"

common_ff=(-hide_banner -loglevel error -nostdin -y -fflags +bitexact)

encode_video() { # name width height kbps
    local name=$1 w=$2 h=$3 kbps=$4
    ffmpeg "${common_ff[@]}" \
        -filter_complex "${video_src},scale=${w}:${h}:flags=bicubic[v]" -map '[v]' \
        -c:v libx264 -preset medium -profile:v high -pix_fmt yuv420p \
        -threads 1 -flags:v +bitexact \
        -g "$gop" -keyint_min "$gop" -sc_threshold 0 -bf 2 \
        -x264-params "keyint=${gop}:min-keyint=${gop}:scenecut=0:open-gop=0:threads=1" \
        -b:v "${kbps}k" -maxrate "${kbps}k" -bufsize "$((kbps * 2))k" \
        -f h264 "$out/sample_${name}.h264"
}

encode_video 360p 640 360 120
encode_video 540p 960 540 220
encode_video 720p 1280 720 400

# Sound: two sines, one per channel (440 Hz left, 660 Hz right), AAC-LC 48 kHz stereo.
ffmpeg "${common_ff[@]}" \
    -filter_complex "sine=frequency=440:sample_rate=48000:duration=${duration}[l];
sine=frequency=660:sample_rate=48000:duration=${duration}[r];
[l][r]amerge=inputs=2,volume=0.5[a]" -map '[a]' \
    -c:a aac -profile:a aac_low -b:a 96k -ar 48000 -ac 2 -flags:a +bitexact \
    -f adts "$out/sample.aac"

ls -l "$out"
du -cb "$out"/sample_*.h264 "$out"/sample.aac | tail -1
