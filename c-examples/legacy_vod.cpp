// legacy_vod.cpp: an on-demand packager written the way encoders used Microsoft's IIS
// Smooth Streaming Format SDK (ssfsdkapi.h), unchanged apart from building against
// ssf's compatible header and library.
//
//   legacy_vod OUT_DIR VIDEO_DUMP AUDIO_DUMP
//
// Writes OUT_DIR/video.ismv, OUT_DIR/audio.isma, OUT_DIR/legacy.ism and
// OUT_DIR/legacy.ismc. The flow is the SDK's: set TIME_SCALE and VARIABLE_RATE; add the
// streams from an MPEG2VIDEOINFO and a WAVEFORMATEX; ProcessInput per sample; at each
// keyframe 2 s or more past the fragment start, AdjustDuration + ProcessOutput; the
// header first, fragments appended, the index appended, the header rewritten in place;
// then the server and client manifests.
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ssfsdkapi.h"
#include "sample_dump.h"

namespace {

const UINT64 kTimeScale = 10000000; // DirectShow REFERENCE_TIME units
const UINT64 kFragment = 2 * kTimeScale;

struct Output {
    FILE* file = nullptr;
    DWORD stream = 0;
    DWORD headerSize = 0;
    UINT64 fragmentStart = 0;
    UINT64 end = 0; // latest presentation end so far
    bool fragmentOpen = false;
};

HRESULT Fail(SSFMUXHANDLE mux, const char* what, HRESULT hr) {
    std::fprintf(stderr, "%s failed: 0x%08X %s\n", what, (unsigned)hr, SSFMuxGetLastErrorMessage(mux));
    return hr;
}

bool Write(FILE* file, const SSF_BUFFER& buffer) {
    return buffer.cbBuffer == 0 || std::fwrite(buffer.pbBuffer, 1, buffer.cbBuffer, file) == buffer.cbBuffer;
}

UINT64 ToRefTime(UINT64 t, uint32_t timescale) {
    return t * kTimeScale / timescale;
}

// Closes the open fragment of `out` at `end` and appends it to the file.
HRESULT Flush(SSFMUXHANDLE mux, Output& out, UINT64 end) {
    HRESULT hr = SSFMuxAdjustDuration(mux, out.stream, end);
    if (FAILED(hr)) {
        return Fail(mux, "SSFMuxAdjustDuration", hr);
    }
    SSF_BUFFER buffer = {};
    hr = SSFMuxProcessOutput(mux, out.stream, &buffer);
    if (FAILED(hr)) {
        return Fail(mux, "SSFMuxProcessOutput", hr);
    }
    if (!Write(out.file, buffer)) {
        return E_FAIL;
    }
    out.fragmentOpen = false;
    return S_OK;
}

HRESULT WriteText(const char* dir, const char* name, const SSF_BUFFER& buffer) {
    std::string path = std::string(dir) + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        return E_FAIL;
    }
    bool ok = Write(f, buffer);
    ok = std::fclose(f) == 0 && ok;
    return ok ? S_OK : E_FAIL;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s OUT_DIR VIDEO_DUMP AUDIO_DUMP\n", argv[0]);
        return 2;
    }
    dump dumps[2];
    if (dump_open(&dumps[0], argv[2]) != 0 || dumps[0].kind != DUMP_H264 ||
        dump_open(&dumps[1], argv[3]) != 0 || dumps[1].kind != DUMP_AAC) {
        std::fprintf(stderr, "cannot read the sample dumps\n");
        return 1;
    }

    SSFMUXHANDLE mux = NULL;
    HRESULT hr = SSFMuxCreate(&mux);
    if (FAILED(hr)) {
        return 1;
    }
    int64_t timeScale = (int64_t)kTimeScale;
    hr = SSFMuxSetOption(mux, SSF_MUX_OPTION_TIME_SCALE, &timeScale, sizeof timeScale);
    if (FAILED(hr)) {
        return Fail(mux, "SSFMuxSetOption(TIME_SCALE)", hr), 1;
    }
    DWORD variableRate = 1;
    hr = SSFMuxSetOption(mux, SSF_MUX_OPTION_VARIABLE_RATE, &variableRate, sizeof variableRate);
    if (FAILED(hr)) {
        return Fail(mux, "SSFMuxSetOption(VARIABLE_RATE)", hr), 1;
    }

    // Video: MPEG2VIDEOINFO with the SPS and PPS in dwSequenceHeader (so the header can
    // be written before the first sample) and 4-byte NAL lengths.
    std::vector<BYTE> videoInfo(sizeof(MPEG2VIDEOINFO) + dumps[0].config_len);
    MPEG2VIDEOINFO& mvi = *reinterpret_cast<MPEG2VIDEOINFO*>(videoInfo.data());
    mvi.hdr.rcSource.right = mvi.hdr.rcTarget.right = 640;
    mvi.hdr.rcSource.bottom = mvi.hdr.rcTarget.bottom = 360;
    mvi.hdr.dwBitRate = dumps[0].bitrate;
    mvi.hdr.AvgTimePerFrame = 400000;
    mvi.hdr.dwPictAspectRatioX = 16;
    mvi.hdr.dwPictAspectRatioY = 9;
    mvi.hdr.bmiHeader.biSize = sizeof(BITMAPINFOHEADER);
    mvi.hdr.bmiHeader.biWidth = 640;
    mvi.hdr.bmiHeader.biHeight = 360;
    mvi.hdr.bmiHeader.biCompression = 'A' | 'V' << 8 | 'C' << 16 | (DWORD)'1' << 24;
    mvi.cbSequenceHeader = dumps[0].config_len;
    std::memcpy(mvi.dwSequenceHeader, dumps[0].config, dumps[0].config_len);
    mvi.dwProfile = 100;
    mvi.dwLevel = 30;
    mvi.dwFlags = 4;

    SSF_STREAM_INFO video = {};
    video.streamType = SSF_STREAM_VIDEO;
    video.dwBitrate = (INT32)dumps[0].bitrate;
    video.dwBitrateID = 0;
    video.pTypeSpecificInfo = videoInfo.data();
    video.cbTypeSpecificInfo = (DWORD)(offsetof(MPEG2VIDEOINFO, dwSequenceHeader) + mvi.cbSequenceHeader);
    video.pszSourceFileName = u"video.ismv";
    video.pszTrackName = u"video";

    // Audio: WAVEFORMATEX 0x00FF with the AudioSpecificConfig as the extra bytes.
    std::vector<BYTE> wave(sizeof(WAVEFORMATEX) + dumps[1].config_len);
    WAVEFORMATEX* wfx = reinterpret_cast<WAVEFORMATEX*>(wave.data());
    wfx->wFormatTag = WAVE_FORMAT_RAW_AAC1;
    wfx->nChannels = 2;
    wfx->nSamplesPerSec = 48000;
    wfx->nAvgBytesPerSec = dumps[1].bitrate / 8;
    wfx->nBlockAlign = 1;
    wfx->wBitsPerSample = 16;
    wfx->cbSize = (WORD)dumps[1].config_len;
    std::memcpy(wave.data() + sizeof(WAVEFORMATEX), dumps[1].config, dumps[1].config_len);

    SSF_STREAM_INFO audio = {};
    audio.streamType = SSF_STREAM_AUDIO;
    audio.dwBitrate = (INT32)dumps[1].bitrate;
    audio.dwBitrateID = 0;
    audio.pTypeSpecificInfo = wave.data();
    audio.cbTypeSpecificInfo = (DWORD)wave.size();
    audio.wLanguage = ('e' - 0x60) << 10 | ('n' - 0x60) << 5 | ('g' - 0x60);
    audio.pszSourceFileName = u"audio.isma";

    Output outs[2];
    hr = SSFMuxAddStream(mux, &video, &outs[0].stream);
    if (FAILED(hr)) {
        return Fail(mux, "SSFMuxAddStream(video)", hr), 1;
    }
    hr = SSFMuxAddStream(mux, &audio, &outs[1].stream);
    if (FAILED(hr)) {
        return Fail(mux, "SSFMuxAddStream(audio)", hr), 1;
    }

    const char* names[2] = {"video.ismv", "audio.isma"};
    for (int i = 0; i < 2; i++) {
        std::string path = std::string(argv[1]) + "/" + names[i];
        outs[i].file = std::fopen(path.c_str(), "w+b");
        if (!outs[i].file) {
            std::fprintf(stderr, "cannot create %s\n", path.c_str());
            return 1;
        }
        // The header goes first; it is rewritten in place at the end.
        SSF_BUFFER header = {};
        hr = SSFMuxGetHeader(mux, &outs[i].stream, 1, &header);
        if (FAILED(hr)) {
            return Fail(mux, "SSFMuxGetHeader", hr), 1;
        }
        outs[i].headerSize = header.cbBuffer;
        if (!Write(outs[i].file, header)) {
            return 1;
        }
    }

    // ProcessInput in decode order across both streams, cutting fragments at keyframes.
    int have[2] = {dump_next(&dumps[0]), dump_next(&dumps[1])};
    unsigned long samples = 0;
    for (;;) {
        if (have[0] < 0 || have[1] < 0) {
            std::fprintf(stderr, "corrupt dump\n");
            return 1;
        }
        int i = have[0] == 1 && (have[1] != 1 || dump_before(&dumps[0], &dumps[1])) ? 0 : 1;
        if (have[i] != 1) {
            break;
        }
        dump& d = dumps[i];
        Output& out = outs[i];
        // DirectShow sample times: presentation times, handed over in decode order.
        UINT64 start = ToRefTime(d.dts + d.cts_offset, d.timescale);
        UINT64 stop = ToRefTime(d.dts + d.cts_offset + d.duration, d.timescale);
        if (out.fragmentOpen && d.sync && start - out.fragmentStart >= kFragment) {
            if (FAILED(Flush(mux, out, start))) {
                return 1;
            }
        }
        if (!out.fragmentOpen) {
            out.fragmentStart = start;
            out.fragmentOpen = true;
        }
        SSF_SAMPLE sample = {};
        sample.pSampleData = d.data;
        sample.cbSampleData = d.size;
        sample.flags = SSF_SAMPLE_FLAG_START_TIME | SSF_SAMPLE_FLAG_DURATION | SSF_SAMPLE_FLAG_FRAME_TYPE;
        sample.qwSampleStartTime = start;
        sample.qwSampleDuration = stop - start;
        sample.FrameType = d.sync ? FRAMETYPE_I : FRAMETYPE_P;
        hr = SSFMuxProcessInput(mux, out.stream, &sample);
        if (FAILED(hr)) {
            return Fail(mux, "SSFMuxProcessInput", hr), 1;
        }
        samples++;
        if (stop > out.end) {
            out.end = stop;
        }
        have[i] = dump_next(&d);
    }

    for (int i = 0; i < 2; i++) {
        Output& out = outs[i];
        if (out.fragmentOpen && FAILED(Flush(mux, out, out.end))) {
            return 1;
        }
        SSF_BUFFER index = {};
        hr = SSFMuxGetIndex(mux, &out.stream, 1, &index);
        if (FAILED(hr)) {
            return Fail(mux, "SSFMuxGetIndex", hr), 1;
        }
        if (!Write(out.file, index)) {
            return 1;
        }
        // The final header (with the duration) has the size of the first one.
        SSF_BUFFER header = {};
        hr = SSFMuxGetHeader(mux, &out.stream, 1, &header);
        if (FAILED(hr)) {
            return Fail(mux, "SSFMuxGetHeader", hr), 1;
        }
        if (header.cbBuffer != out.headerSize || std::fseek(out.file, 0, SEEK_SET) != 0 ||
            !Write(out.file, header) || std::fclose(out.file) != 0) {
            std::fprintf(stderr, "cannot rewrite the header of %s\n", names[i]);
            return 1;
        }
        out.file = nullptr;
    }

    SSF_BUFFER manifest = {};
    hr = SSFMuxGetServerManifest(mux, u"legacy.ismc", &manifest);
    if (FAILED(hr) || FAILED(WriteText(argv[1], "legacy.ism", manifest))) {
        return Fail(mux, "SSFMuxGetServerManifest", hr), 1;
    }
    hr = SSFMuxGetClientManifest(mux, &manifest);
    if (FAILED(hr) || FAILED(WriteText(argv[1], "legacy.ismc", manifest))) {
        return Fail(mux, "SSFMuxGetClientManifest", hr), 1;
    }

    SSFMuxDestroy(mux);
    dump_close(&dumps[0]);
    dump_close(&dumps[1]);
    std::printf("packaged %lu samples\n", samples);
    return 0;
}
