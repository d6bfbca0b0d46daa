/*
 * vod.c: packages H.264 and AAC streams into an on-demand Smooth Streaming presentation
 * with the native ssf API (ssf.h): one .ismv per video stream, one .isma per audio
 * stream, NAME.ism and NAME.ismc, in OUT_DIR.
 *
 *   vod OUT_DIR NAME DUMP...
 *
 * Each DUMP is one stream's encoded samples (see sample_dump.h). Samples are pushed in
 * decode-time order across streams, as an encoder produces them.
 */
#include <stdio.h>

#include "native_dump.h"

#define MAX_STREAMS 8

/* Adds the dump's stream to the writer; returns its number or -1. */
static long add_stream(ssf_vod_writer *w, const dump *d) {
    ssf_stream_config *config = NULL;
    uint32_t stream = 0;
    ssf_status st = dump_stream_config(d, &config);
    if (st != SSF_STATUS_OK) {
        return -1;
    }
    st = ssf_vod_writer_add_stream(w, config, &stream);
    ssf_stream_config_free(config);
    if (st != SSF_STATUS_OK) {
        fprintf(stderr, "add stream: %s: %s\n", ssf_status_str(st), ssf_vod_writer_last_error(w));
        return -1;
    }
    return (long)stream;
}

int main(int argc, char **argv) {
    dump dumps[MAX_STREAMS];
    uint32_t streams[MAX_STREAMS];
    int have[MAX_STREAMS];
    int count = argc - 3;
    int i;
    int ok = 1;
    unsigned long pushed = 0;
    ssf_vod_writer *w = NULL;
    ssf_status st;

    if (count < 1 || count > MAX_STREAMS) {
        fprintf(stderr, "usage: %s OUT_DIR NAME DUMP...\n", argv[0]);
        return 2;
    }
    st = ssf_vod_writer_create(argv[1], argv[2], NULL, &w);
    if (st != SSF_STATUS_OK) {
        fprintf(stderr, "create: %s: %s\n", ssf_status_str(st), ssf_last_error());
        return 1;
    }
    for (i = 0; i < count; i++) {
        long id;
        have[i] = 0;
        if (dump_open(&dumps[i], argv[3 + i]) != 0) {
            fprintf(stderr, "%s: cannot read\n", argv[3 + i]);
            ok = 0;
            continue;
        }
        id = add_stream(w, &dumps[i]);
        if (id < 0) {
            ok = 0;
            continue;
        }
        streams[i] = (uint32_t)id;
        have[i] = dump_next(&dumps[i]);
    }

    /* Push the sample that decodes first until every stream is drained. */
    while (ok) {
        int next = dump_earliest(dumps, have, count, argv + 3);
        ssf_sample sample;
        if (next < 0) {
            ok = next == -1;
            break;
        }
        sample = dump_sample(&dumps[next]);
        st = ssf_vod_writer_push(w, streams[next], &sample);
        if (st != SSF_STATUS_OK) {
            fprintf(stderr, "push: %s: %s\n", ssf_status_str(st), ssf_vod_writer_last_error(w));
            ok = 0;
            break;
        }
        pushed++;
        have[next] = dump_next(&dumps[next]);
    }

    if (ok) {
        st = ssf_vod_writer_finish(w);
        if (st != SSF_STATUS_OK) {
            fprintf(stderr, "finish: %s: %s\n", ssf_status_str(st), ssf_vod_writer_last_error(w));
            ok = 0;
        }
    }
    for (i = 0; i < count; i++) {
        dump_close(&dumps[i]);
    }
    ssf_vod_writer_free(w);
    if (ok) {
        printf("packaged %lu samples from %d streams\n", pushed, count);
    }
    return ok ? 0 : 1;
}
