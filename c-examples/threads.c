/*
 * threads.c: what happens when a program breaks the one-thread-at-a-time rule. Two
 * threads hammer one ssf_muxer (native API) and then one SSFMUXHANDLE (compatible API)
 * at once, each feeding its own AAC stream and now and then asking for the header or a
 * fragment. A call that finds the handle in use by the other thread must be refused with
 * SSF_STATUS_BUSY (E_UNEXPECTED) and change nothing; every other call must succeed; the
 * heap must survive. tests/c_abi.rs runs it natively and built with
 * -fsanitize=address (valgrind runs threads one at a time and would hide the race).
 *
 * Output bytes (ssf_output, SSF_BUFFER) are not read here: they belong to the handle and
 * the other thread's next call replaces them.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ssf.h"
#include "ssfsdkapi.h"

/* Each thread has at least this many calls accepted (so both really work on the handle
   at once: a refused call returns at once, and a thread alone would only spin), then
   goes on until some call was refused. */
#define MIN_ACCEPTED 2000
/* ...but never longer than this. */
#define MAX_SECONDS 30.0

static const uint8_t asc[2] = {0x11, 0x90}; /* AAC LC, 48 kHz, stereo */
static uint8_t frame[4096];

/* Counts shared by both threads. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long busy_total = 0;
static struct timespec start;

static double elapsed(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
}

/* Records a refusal; returns whether a thread that made enough calls may stop. */
static int may_stop(int refused, unsigned long accepted) {
    int stop;
    pthread_mutex_lock(&lock);
    busy_total += (unsigned long)refused;
    stop = (accepted >= MIN_ACCEPTED && busy_total > 0) || elapsed() > MAX_SECONDS;
    pthread_mutex_unlock(&lock);
    return stop;
}

typedef struct {
    ssf_muxer *mux;
    SSFMUXHANDLE compat;
    uint32_t streams[2];
    int thread;
    unsigned long calls, accepted, refused;
    int failed;
} Worker;

static void *native_worker(void *arg) {
    Worker *w = (Worker *)arg;
    for (;;) {
        ssf_output out;
        ssf_status status;
        w->calls++;
        if (w->calls % 8 == 0) {
            status = ssf_muxer_header(w->mux, w->streams, 2, &out);
        } else {
            ssf_sample s;
            memset(&s, 0, sizeof s);
            s.struct_size = sizeof s;
            s.data = frame;
            s.len = sizeof frame;
            s.dts = (uint64_t)w->accepted * 1024; /* refused pushes leave no gap */
            s.duration = 1024;
            s.sync = true;
            status = ssf_muxer_push(w->mux, w->streams[w->thread], &s, &out);
        }
        if (status == SSF_STATUS_OK) {
            w->accepted += w->calls % 8 != 0;
        } else if (status == SSF_STATUS_BUSY) {
            w->refused++;
        } else {
            fprintf(stderr, "thread %d: status %u (%s): %s\n", w->thread, (unsigned)status,
                    ssf_status_str(status), ssf_last_error());
            w->failed = 1;
            return NULL;
        }
        if (may_stop(status == SSF_STATUS_BUSY, w->accepted)) {
            return NULL;
        }
    }
}

static void *compat_worker(void *arg) {
    Worker *w = (Worker *)arg;
    for (;;) {
        SSF_BUFFER out;
        HRESULT hr;
        w->calls++;
        if (w->calls % 50 == 0) {
            hr = SSFMuxProcessOutput(w->compat, w->streams[w->thread], &out);
        } else {
            SSF_SAMPLE s;
            memset(&s, 0, sizeof s);
            s.pSampleData = frame;
            s.cbSampleData = sizeof frame;
            s.flags = SSF_SAMPLE_FLAG_START_TIME | SSF_SAMPLE_FLAG_DURATION;
            s.qwSampleStartTime = (UINT64)w->accepted * 213333;
            s.qwSampleDuration = 213333;
            hr = SSFMuxProcessInput(w->compat, w->streams[w->thread], &s);
        }
        if (hr == S_OK || hr == S_FALSE) {
            w->accepted += w->calls % 50 != 0;
        } else if (hr == E_UNEXPECTED) {
            w->refused++;
        } else {
            fprintf(stderr, "thread %d: 0x%08X: %s\n", w->thread, (unsigned)hr,
                    SSFMuxGetLastErrorMessage(NULL));
            w->failed = 1;
            return NULL;
        }
        if (may_stop(hr == E_UNEXPECTED, w->accepted)) {
            return NULL;
        }
    }
}

/* Runs `body` on two threads sharing `proto`'s handles; returns refusals, or -1. */
static long hammer(const Worker *proto, void *(*body)(void *)) {
    Worker w[2];
    pthread_t t[2];
    int i;
    busy_total = 0;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (i = 0; i < 2; i++) {
        w[i] = *proto;
        w[i].thread = i;
        if (pthread_create(&t[i], NULL, body, &w[i]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return -1;
        }
    }
    for (i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
    }
    if (w[0].failed || w[1].failed) {
        return -1;
    }
    printf("  thread 0: %lu calls, %lu refused; thread 1: %lu calls, %lu refused\n",
           w[0].calls, w[0].refused, w[1].calls, w[1].refused);
    return (long)(w[0].refused + w[1].refused);
}

static int native_run(long *refused) {
    ssf_stream_config *c = NULL;
    ssf_output out;
    Worker proto;
    int i;
    memset(&proto, 0, sizeof proto);
    if (ssf_muxer_new(NULL, &proto.mux) != SSF_STATUS_OK ||
        ssf_stream_config_aac(asc, sizeof asc, &c) != SSF_STATUS_OK ||
        ssf_stream_config_set_timescale(c, 48000) != SSF_STATUS_OK ||
        /* Two StreamIndexes: the threads cut fragments where they please, and bit rates
           of one StreamIndex would have to share their boundaries. */
        ssf_stream_config_set_track_name(c, "audio_a") != SSF_STATUS_OK ||
        ssf_muxer_add_stream(proto.mux, c, &proto.streams[0]) != SSF_STATUS_OK ||
        ssf_stream_config_set_track_name(c, "audio_b") != SSF_STATUS_OK ||
        ssf_muxer_add_stream(proto.mux, c, &proto.streams[1]) != SSF_STATUS_OK) {
        fprintf(stderr, "native setup: %s\n", ssf_last_error());
        return 1;
    }
    ssf_stream_config_free(c);
    *refused = hammer(&proto, native_worker);
    /* The muxer is whole: both streams still close and describe themselves. */
    for (i = 0; i < 2; i++) {
        if (ssf_muxer_flush(proto.mux, proto.streams[i], &out) != SSF_STATUS_OK) {
            fprintf(stderr, "flush: %s\n", ssf_muxer_last_error(proto.mux));
            return 1;
        }
    }
    if (ssf_muxer_client_manifest(proto.mux, &out) != SSF_STATUS_OK) {
        fprintf(stderr, "manifest: %s\n", ssf_muxer_last_error(proto.mux));
        return 1;
    }
    ssf_muxer_free(proto.mux);
    return *refused < 0;
}

static int compat_run(long *refused) {
    uint8_t wave[sizeof(WAVEFORMATEX) + sizeof asc];
    WAVEFORMATEX wfx;
    SSF_STREAM_INFO info;
    SSF_BUFFER out;
    Worker proto;
    int i;
    memset(&proto, 0, sizeof proto);
    memset(&wfx, 0, sizeof wfx);
    wfx.wFormatTag = WAVE_FORMAT_RAW_AAC1;
    wfx.nChannels = 2;
    wfx.nSamplesPerSec = 48000;
    wfx.nAvgBytesPerSec = 16000;
    wfx.nBlockAlign = 1;
    wfx.wBitsPerSample = 16;
    wfx.cbSize = sizeof asc;
    memcpy(wave, &wfx, sizeof wfx);
    memcpy(wave + sizeof wfx, asc, sizeof asc);
    memset(&info, 0, sizeof info);
    info.streamType = SSF_STREAM_AUDIO;
    info.dwBitrate = 128000;
    info.pTypeSpecificInfo = wave;
    info.cbTypeSpecificInfo = sizeof wave;
    if (FAILED(SSFMuxCreate(&proto.compat))) {
        fprintf(stderr, "SSFMuxCreate: %s\n", SSFMuxGetLastErrorMessage(NULL));
        return 1;
    }
    for (i = 0; i < 2; i++) {
        static const WCHAR names[2][7] = {{'a', '.', 'i', 's', 'm', 'a', 0},
                                          {'b', '.', 'i', 's', 'm', 'a', 0}};
        info.pszSourceFileName = names[i];
        info.pszTrackName = names[i]; /* two StreamIndexes, as above */
        if (FAILED(SSFMuxAddStream(proto.compat, &info, &proto.streams[i]))) {
            fprintf(stderr, "SSFMuxAddStream: %s\n", SSFMuxGetLastErrorMessage(proto.compat));
            return 1;
        }
    }
    *refused = hammer(&proto, compat_worker);
    for (i = 0; i < 2; i++) {
        if (FAILED(SSFMuxProcessOutput(proto.compat, proto.streams[i], &out))) {
            fprintf(stderr, "SSFMuxProcessOutput: %s\n", SSFMuxGetLastErrorMessage(proto.compat));
            return 1;
        }
    }
    if (FAILED(SSFMuxGetClientManifest(proto.compat, &out))) {
        fprintf(stderr, "manifest: %s\n", SSFMuxGetLastErrorMessage(proto.compat));
        return 1;
    }
    return FAILED(SSFMuxDestroy(proto.compat)) || *refused < 0;
}

int main(void) {
    long native_refused = 0, compat_refused = 0;
    memset(frame, 0x21, sizeof frame);
    if (native_run(&native_refused) || compat_run(&compat_refused)) {
        return 1;
    }
    printf("busy guard: native muxer refused %ld calls, compatible handle %ld\n",
           native_refused, compat_refused);
    if (native_refused == 0 || compat_refused == 0) {
        fprintf(stderr, "the threads never overlapped: nothing was tested\n");
        return 1;
    }
    printf("threads ok\n");
    return 0;
}
