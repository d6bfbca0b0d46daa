/*
 * bad_input.c [DIR]: misuse of both C APIs (with DIR, a new or empty directory, also of a
 * finished VOD writer there). Every case must return its error code and leave a
 * message, never crash; run under valgrind by tests/c_abi.rs, so any invalid read or
 * leak behind an error path is caught too.
 */
#include <stdio.h>
#include <string.h>

#include "ssf.h"
#include "ssfsdkapi.h"

static int failures = 0;
static int cases = 0;

/* Checks a native status and that a message was left. */
static void check_native(const char *what, ssf_status got, ssf_status want, const char *message) {
    cases++;
    if (got != want || message == NULL || message[0] == '\0') {
        fprintf(stderr, "FAIL %s: status %u (%s), want %u; message \"%s\"\n", what, (unsigned)got,
                ssf_status_str(got), (unsigned)want, message ? message : "(null)");
        failures++;
    }
}

/* Checks an HRESULT and that a message was left. */
static void check_compat(const char *what, HRESULT got, HRESULT want, SSFMUXHANDLE mux) {
    const char *message = SSFMuxGetLastErrorMessage(mux);
    cases++;
    if (got != want || message == NULL || message[0] == '\0') {
        fprintf(stderr, "FAIL %s: 0x%08X, want 0x%08X; message \"%s\"\n", what, (unsigned)got,
                (unsigned)want, message ? message : "(null)");
        failures++;
    }
}

/* The call runs before the message is fetched: a failing call replaces the message. */
#define native(what, call, want, message)                                                    \
    do {                                                                                       \
        ssf_status got_ = (call);                                                              \
        check_native(what, got_, want, message);                                               \
    } while (0)
#define compat(what, call, want, mux)                                                        \
    do {                                                                                       \
        HRESULT got_ = (call);                                                                 \
        check_compat(what, got_, want, mux);                                                   \
    } while (0)

static const WCHAR video_ismv[] = {'v', '.', 'i', 's', 'm', 'v', 0};

static void native_cases(void) {
    ssf_muxer *mux = NULL;
    ssf_stream_config *config = NULL;
    ssf_options *options = NULL;
    ssf_output out;
    ssf_sample sample;
    uint32_t stream = 0;
    uint8_t byte = 0;
    const uint8_t asc[2] = {0x11, 0x90};
    const uint8_t bad_asc[2] = {0x00, 0x00};
    const uint8_t kid[16] = {1};

    memset(&sample, 0, sizeof sample);
    /* _free(NULL) is a no-op. */
    ssf_muxer_free(NULL);
    ssf_vod_writer_free(NULL);
    ssf_options_free(NULL);
    ssf_stream_config_free(NULL);
    ssf_protection_free(NULL);

    native("muxer_new out NULL", ssf_muxer_new(NULL, NULL), SSF_STATUS_NULL_PARAMETER, ssf_last_error());
    native("push on NULL muxer", ssf_muxer_push(NULL, 0, &sample, &out), SSF_STATUS_NULL_PARAMETER,
           ssf_last_error());
    native("aac NULL config bytes", ssf_stream_config_aac(NULL, 2, &config), SSF_STATUS_NULL_PARAMETER,
           ssf_last_error());
    native("aac invalid config", ssf_stream_config_aac(bad_asc, sizeof bad_asc, &config),
           SSF_STATUS_INVALID_CONFIG, ssf_last_error());
    native("h264 absurd avcC length", ssf_stream_config_h264(&byte, (size_t)-1, &config),
           SSF_STATUS_INVALID_ARGUMENT, ssf_last_error());
    native("nal length size 3", ssf_stream_config_h264_in_band(3, &config), SSF_STATUS_INVALID_ARGUMENT,
           ssf_last_error());
    native("protection NULL key", ssf_protection_new(kid, NULL, NULL), SSF_STATUS_NULL_PARAMETER,
           ssf_last_error());
    native("options_new", ssf_options_new(&options), SSF_STATUS_OK, "-");
    native("fragment seconds NaN-ish", ssf_options_set_fragment_seconds(options, -1.0),
           SSF_STATUS_INVALID_ARGUMENT, ssf_last_error());
    native("vod NULL out", ssf_vod_writer_create("/tmp", "x", options, NULL), SSF_STATUS_NULL_PARAMETER,
           ssf_last_error());
    {
        ssf_vod_writer *w = NULL;
        native("vod bad name", ssf_vod_writer_create("/tmp", "a/b", options, &w), SSF_STATUS_INVALID_ARGUMENT,
               ssf_last_error());
        native("vod push on a failed create", ssf_vod_writer_push(w, 0, &sample), SSF_STATUS_NULL_PARAMETER,
               ssf_last_error());
    }

    if (ssf_muxer_new(options, &mux) != SSF_STATUS_OK ||
        ssf_stream_config_aac(asc, sizeof asc, &config) != SSF_STATUS_OK ||
        ssf_muxer_add_stream(mux, config, &stream) != SSF_STATUS_OK) {
        fprintf(stderr, "FAIL setting up a muxer: %s\n", ssf_last_error());
        failures++;
    }
    ssf_options_free(options);
    ssf_stream_config_free(config);

    memset(&sample, 0, sizeof sample);
    sample.struct_size = sizeof sample - 1;
    sample.data = &byte;
    sample.len = 1;
    native("wrong ssf_sample size", ssf_muxer_push(mux, stream, &sample, &out), SSF_STATUS_INVALID_ARGUMENT,
           ssf_muxer_last_error(mux));
    sample.struct_size = sizeof sample;
    native("unknown stream", ssf_muxer_push(mux, 7, &sample, &out), SSF_STATUS_UNKNOWN_STREAM,
           ssf_muxer_last_error(mux));
    sample.data = NULL;
    native("NULL sample data", ssf_muxer_push(mux, stream, &sample, &out), SSF_STATUS_NULL_PARAMETER,
           ssf_muxer_last_error(mux));
    sample.data = &byte;
    native("NULL output", ssf_muxer_push(mux, stream, &sample, NULL), SSF_STATUS_NULL_PARAMETER,
           ssf_muxer_last_error(mux));
    native("empty sample", (sample.len = 0, ssf_muxer_push(mux, stream, &sample, &out)),
           SSF_STATUS_INVALID_SAMPLE, ssf_muxer_last_error(mux));
    native("header of no streams", ssf_muxer_header(mux, NULL, 0, &out), SSF_STATUS_INVALID_ARGUMENT,
           ssf_muxer_last_error(mux));
    native("server manifest NULL path", ssf_muxer_server_manifest(mux, NULL, &out), SSF_STATUS_NULL_PARAMETER,
           ssf_muxer_last_error(mux));
    cases++;
    if (strcmp(ssf_status_str(12345), "unknown status code") != 0) {
        fprintf(stderr, "FAIL status_str of an unknown code\n");
        failures++;
    }
    ssf_muxer_free(mux);
}

/* Calls on a VOD writer after it finished (in directory `dir`). */
static void finished_writer_cases(const char *dir) {
    ssf_vod_writer *w = NULL;
    ssf_stream_config *config = NULL;
    uint32_t stream = 0;
    uint8_t frame[16] = {0x21};
    const uint8_t asc[2] = {0x11, 0x90};
    ssf_sample sample;

    memset(&sample, 0, sizeof sample);
    sample.struct_size = sizeof sample;
    sample.data = frame;
    sample.len = sizeof frame;
    sample.duration = 1024;
    sample.sync = true;
    if (ssf_vod_writer_create(dir, "finished", NULL, &w) != SSF_STATUS_OK ||
        ssf_stream_config_aac(asc, sizeof asc, &config) != SSF_STATUS_OK ||
        ssf_stream_config_set_timescale(config, 48000) != SSF_STATUS_OK ||
        ssf_vod_writer_add_stream(w, config, &stream) != SSF_STATUS_OK ||
        ssf_vod_writer_push(w, stream, &sample) != SSF_STATUS_OK) {
        fprintf(stderr, "FAIL setting up a VOD writer: %s\n", ssf_last_error());
        failures++;
    }
    native("flush of an unknown stream", ssf_vod_writer_flush(w, 3), SSF_STATUS_UNKNOWN_STREAM,
           ssf_vod_writer_last_error(w));
    native("finish", ssf_vod_writer_finish(w), SSF_STATUS_OK, "-");
    native("push after finish", ssf_vod_writer_push(w, stream, &sample), SSF_STATUS_INVALID_STATE,
           ssf_vod_writer_last_error(w));
    native("add stream after finish", ssf_vod_writer_add_stream(w, config, &stream), SSF_STATUS_INVALID_STATE,
           ssf_vod_writer_last_error(w));
    native("finish twice", ssf_vod_writer_finish(w), SSF_STATUS_INVALID_STATE, ssf_vod_writer_last_error(w));
    ssf_stream_config_free(config);
    ssf_vod_writer_free(w);
}

static void compat_cases(void) {
    SSFMUXHANDLE mux = NULL;
    SSF_STREAM_INFO info;
    SSF_SAMPLE sample;
    SSF_BUFFER buffer;
    DWORD stream = 0;
    DWORD value = 1;
    int64_t scale = 0;
    ULONG size = 0;
    BYTE wave[sizeof(WAVEFORMATEX) + 2];
    WAVEFORMATEX *wfx = (WAVEFORMATEX *)wave;
    MPEG2VIDEOINFO mvi;
    BYTE guid[16] = {0};
    BYTE byte = 0;

    memset(&info, 0, sizeof info);
    compat("create NULL", SSFMuxCreate(NULL), E_POINTER, NULL);
    compat("destroy NULL", SSFMuxDestroy(NULL), E_INVALIDARG, NULL);
    compat("add on NULL handle", SSFMuxAddStream(NULL, &info, &stream), E_INVALIDARG, NULL);
    if (FAILED(SSFMuxCreate(&mux))) {
        fprintf(stderr, "FAIL SSFMuxCreate\n");
        failures++;
        return;
    }
    compat("process output before any stream", SSFMuxProcessOutput(mux, 0, &buffer), E_FAIL, mux);
    compat("live mode with a wrong size", SSFMuxSetOption(mux, SSF_MUX_OPTION_LIVE_MODE, &value, 2),
           E_INVALIDARG, mux);
    compat("option with a wrong size", SSFMuxSetOption(mux, SSF_MUX_OPTION_VARIABLE_RATE, &value, 2),
           E_INVALIDARG, mux);
    compat("time scale 0", SSFMuxSetOption(mux, SSF_MUX_OPTION_TIME_SCALE, &scale, sizeof scale), E_INVALIDARG,
           mux);
    compat("unknown option", SSFMuxSetOption(mux, 99, &value, sizeof value), E_INVALIDARG, mux);
    compat("absurd option size", SSFMuxSetOption(mux, SSF_MUX_OPTION_PLAYREADY_UI_URL, &value, 0xFFFFFFFFu),
           E_INVALIDARG, mux);
    compat("query NULL size", SSFMuxQueryOption(mux, SSF_MUX_OPTION_TIME_SCALE, &scale, NULL), E_POINTER, mux);
    size = 1;
    cases++;
    if (SSFMuxQueryOption(mux, SSF_MUX_OPTION_TIME_SCALE, &scale, &size) != E_NOT_SUFFICIENT_BUFFER ||
        size != 8) {
        fprintf(stderr, "FAIL query with a small buffer\n");
        failures++;
    }
    compat("DRM on without a key ID",
           (SSFMuxSetOption(mux, SSF_MUX_OPTION_ENABLE_PLAYREADY_DRM, &value, sizeof value),
            SSFMuxAddStream(mux, &info, &stream)),
           E_INVALIDARG, mux);
    SSFMuxDestroy(mux);

    if (FAILED(SSFMuxCreate(&mux))) {
        failures++;
        return;
    }
    compat("DRM key ID with a wrong size", SSFMuxSetOption(mux, SSF_MUX_OPTION_PLAYREADY_KEY_ID, guid, 15),
           E_INVALIDARG, mux);
    compat("add stream NULL info", SSFMuxAddStream(mux, NULL, &stream), E_POINTER, mux);

    memset(&info, 0, sizeof info);
    memset(wave, 0, sizeof wave);
    wfx->wFormatTag = WAVE_FORMAT_RAW_AAC1;
    wfx->cbSize = 2;
    wave[sizeof(WAVEFORMATEX)] = 0x11;
    wave[sizeof(WAVEFORMATEX) + 1] = 0x90;
    info.streamType = SSF_STREAM_AUDIO;
    info.pTypeSpecificInfo = wave;
    info.cbTypeSpecificInfo = sizeof wave;
    info.pszSourceFileName = NULL;
    compat("missing source file name", SSFMuxAddStream(mux, &info, &stream), E_POINTER, mux);
    info.pszSourceFileName = video_ismv;
    info.cbTypeSpecificInfo = 10;
    compat("WAVEFORMATEX too short", SSFMuxAddStream(mux, &info, &stream), E_INVALIDARG, mux);
    info.cbTypeSpecificInfo = 0x7FFFFFFF;
    compat("absurd type info size", SSFMuxAddStream(mux, &info, &stream), E_INVALIDARG, mux);
    info.cbTypeSpecificInfo = sizeof wave;
    wfx->cbSize = 200;
    compat("cbSize past the end", SSFMuxAddStream(mux, &info, &stream), E_INVALIDARG, mux);
    wfx->cbSize = 2;
    wfx->wFormatTag = 0x0001;
    compat("PCM refused", SSFMuxAddStream(mux, &info, &stream), E_INVALIDARG, mux);
    wfx->wFormatTag = WAVE_FORMAT_RAW_AAC1;
    info.streamType = 42;
    compat("bad stream type", SSFMuxAddStream(mux, &info, &stream), E_INVALIDARG, mux);
    info.streamType = SSF_STREAM_TTML1;
    compat("sparse via AddStream", SSFMuxAddStream(mux, &info, &stream), E_INVALIDARG, mux);

    memset(&mvi, 0, sizeof mvi);
    mvi.hdr.bmiHeader.biCompression = 'A' | 'V' << 8 | 'C' << 16 | (DWORD)'1' << 24;
    mvi.dwFlags = 3;
    info.streamType = SSF_STREAM_VIDEO;
    info.pTypeSpecificInfo = &mvi;
    info.cbTypeSpecificInfo = sizeof mvi;
    compat("NAL length size 3", SSFMuxAddStream(mux, &info, &stream), E_INVALIDARG, mux);
    mvi.dwFlags = 4;
    mvi.cbSequenceHeader = 1000;
    compat("sequence header past the end", SSFMuxAddStream(mux, &info, &stream), E_INVALIDARG, mux);

    info.streamType = SSF_STREAM_AUDIO;
    info.pTypeSpecificInfo = wave;
    info.cbTypeSpecificInfo = sizeof wave;
    if (FAILED(SSFMuxAddStream(mux, &info, &stream))) {
        fprintf(stderr, "FAIL adding a valid audio stream: %s\n", SSFMuxGetLastErrorMessage(mux));
        failures++;
    }
    compat("option after the first stream", SSFMuxSetOption(mux, SSF_MUX_OPTION_VARIABLE_RATE, &value, 4),
           E_FAIL, mux);
    info.streamType = SSF_STREAM_XML;
    info.cbTypeSpecificInfo = 3;
    compat("XML info with a wrong struct size", SSFMuxAddSparseStream(mux, &info, stream, TRUE, &stream),
           E_INVALIDARG, mux);

    memset(&sample, 0, sizeof sample);
    sample.pSampleData = &byte;
    sample.cbSampleData = 1;
    compat("sample without a start time", SSFMuxProcessInput(mux, stream, &sample), E_INVALIDARG, mux);
    sample.flags = SSF_SAMPLE_FLAG_START_TIME;
    compat("sample on an unknown stream", SSFMuxProcessInput(mux, 9, &sample), E_INVALIDARG, mux);
    sample.pSampleData = NULL;
    compat("NULL sample data", SSFMuxProcessInput(mux, stream, &sample), E_POINTER, mux);
    sample.cbSampleData = 0xFFFFFFFFu;
    sample.pSampleData = &byte;
    compat("absurd sample size", SSFMuxProcessInput(mux, stream, &sample), E_INVALIDARG, mux);
    compat("NULL input sample", SSFMuxProcessInput(mux, stream, NULL), E_POINTER, mux);
    compat("header of no streams", SSFMuxGetHeader(mux, &stream, 0, &buffer), E_INVALIDARG, mux);
    compat("header NULL indices", SSFMuxGetHeader(mux, NULL, 1, &buffer), E_POINTER, mux);
    compat("index NULL buffer", SSFMuxGetIndex(mux, &stream, 1, NULL), E_POINTER, mux);
    compat("server manifest NULL path", SSFMuxGetServerManifest(mux, NULL, &buffer), E_POINTER, mux);
    compat("adjust unknown stream", SSFMuxAdjustDuration(mux, 5, 100), E_INVALIDARG, mux);
    cases++;
    if (SSFMuxProcessOutput(mux, stream, &buffer) != S_FALSE || buffer.cbBuffer != 0) {
        fprintf(stderr, "FAIL ProcessOutput with nothing pending\n");
        failures++;
    }
    SSFMuxDestroy(mux);
}

int main(int argc, char **argv) {
    native_cases();
    compat_cases();
    if (argc > 1) {
        finished_writer_cases(argv[1]);
    }
    if (failures) {
        fprintf(stderr, "%d of %d cases failed\n", failures, cases);
        return 1;
    }
    printf("%d bad-input cases ok\n", cases);
    return 0;
}
