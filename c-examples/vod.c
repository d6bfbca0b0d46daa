/*
 * vod.c: packages files into an on-demand Smooth Streaming presentation with the native
 * ssf API (ssf.h). ssf_input opens the files (raw H.264, ADTS AAC, MP4, VC-1, WMA in ASF,
 * TTML captions), lists their streams in presentation order and gives their samples in
 * decode order; ssf_vod_writer writes one .ismv per video stream, one .isma per audio
 * stream, .ismt for captions, NAME.ism and NAME.ismc in OUT_DIR.
 *
 *   vod OUT_DIR NAME FILE[@BITRATE][,lang=LANG][,name=NAME]...
 *
 * Bit rates not given are measured while the files are read and set at the end.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ssf.h"

/* Prints a failed call's status and message; returns 0 so callers can `ok = fail(...)`. */
static int fail(const char *what, ssf_status st, const char *message) {
    fprintf(stderr, "%s: %s: %s\n", what, ssf_status_str(st), message);
    return 0;
}

/* Adds every stream of the input to the writer: ids[i] is stream i's number in the
 * writer. Captions belong to the first video stream, which comes first. */
static int add_streams(ssf_input *in, ssf_vod_writer *w, size_t count, uint32_t *ids,
                       ssf_media_kind *kinds) {
    uint32_t video = 0;
    int have_video = 0;
    size_t i;
    for (i = 0; i < count; i++) {
        ssf_stream_config *config = NULL;
        ssf_status st = ssf_input_stream_kind(in, i, &kinds[i]);
        if (st == SSF_STATUS_OK) {
            st = ssf_input_stream_config(in, i, video, &config);
        }
        if (st != SSF_STATUS_OK) {
            return fail("stream", st, ssf_last_error());
        }
        st = ssf_vod_writer_add_stream(w, config, &ids[i]);
        ssf_stream_config_free(config);
        if (st != SSF_STATUS_OK) {
            return fail("add stream", st, ssf_vod_writer_last_error(w));
        }
        if (kinds[i] == SSF_MEDIA_KIND_VIDEO && !have_video) {
            video = ids[i];
            have_video = 1;
        }
    }
    return 1;
}

/* Pushes every sample in decode order; returns the count, or -1 on failure. */
static long push_all(ssf_input *in, ssf_vod_writer *w, const uint32_t *ids,
                     const ssf_media_kind *kinds) {
    long pushed = 0;
    for (;;) {
        ssf_sample sample;
        size_t index = 0;
        bool more = false;
        ssf_status st = ssf_input_next_sample(in, &more, &index, &sample);
        if (st != SSF_STATUS_OK) {
            fail("read", st, ssf_input_last_error(in));
            return -1;
        }
        if (!more) {
            return pushed;
        }
        st = ssf_vod_writer_push(w, ids[index], &sample);
        /* A caption sample is a fragment of its own: players get it when it is due. */
        if (st == SSF_STATUS_OK && kinds[index] == SSF_MEDIA_KIND_TEXT) {
            st = ssf_vod_writer_flush(w, ids[index]);
        }
        if (st != SSF_STATUS_OK) {
            fail("push", st, ssf_vod_writer_last_error(w));
            return -1;
        }
        pushed++;
    }
}

/* Sets the bit rates, given or measured now that every file has been read. */
static int set_bitrates(ssf_input *in, ssf_vod_writer *w, size_t count, const uint32_t *ids) {
    size_t i;
    for (i = 0; i < count; i++) {
        uint32_t bitrate = 0;
        ssf_status st = ssf_input_stream_bitrate(in, i, &bitrate);
        if (st != SSF_STATUS_OK) {
            return fail("bit rate", st, ssf_last_error());
        }
        st = ssf_vod_writer_set_bitrate(w, ids[i], bitrate);
        if (st != SSF_STATUS_OK) {
            return fail("bit rate", st, ssf_vod_writer_last_error(w));
        }
    }
    return 1;
}

int main(int argc, char **argv) {
    ssf_input *in = NULL;
    ssf_vod_writer *w = NULL;
    uint32_t *ids = NULL;
    ssf_media_kind *kinds = NULL;
    size_t count = 0;
    long pushed = 0;
    int ok = 1;
    int i;
    ssf_status st;

    if (argc < 4) {
        fprintf(stderr, "usage: %s OUT_DIR NAME FILE[@BITRATE][,lang=LANG][,name=NAME]...\n",
                argv[0]);
        return 2;
    }
    st = ssf_input_open(argv[3], &in);
    if (st != SSF_STATUS_OK) {
        fail(argv[3], st, ssf_last_error());
        return 1;
    }
    for (i = 4; ok && i < argc; i++) {
        st = ssf_input_add_file(in, argv[i]);
        if (st != SSF_STATUS_OK) {
            ok = fail(argv[i], st, ssf_input_last_error(in));
        }
    }
    if (ok) {
        st = ssf_input_stream_count(in, &count);
        ids = calloc(count ? count : 1, sizeof *ids);
        kinds = calloc(count ? count : 1, sizeof *kinds);
        if (st != SSF_STATUS_OK || ids == NULL || kinds == NULL) {
            ok = fail("streams", st, ssf_last_error());
        }
    }
    if (ok) {
        st = ssf_vod_writer_create(argv[1], argv[2], NULL, &w);
        if (st != SSF_STATUS_OK) {
            ok = fail("create", st, ssf_last_error());
        }
    }
    ok = ok && add_streams(in, w, count, ids, kinds);
    if (ok) {
        pushed = push_all(in, w, ids, kinds);
        ok = pushed >= 0;
    }
    ok = ok && set_bitrates(in, w, count, ids);
    if (ok) {
        st = ssf_vod_writer_finish(w);
        if (st != SSF_STATUS_OK) {
            ok = fail("finish", st, ssf_vod_writer_last_error(w));
        }
    } else if (w != NULL) {
        /* Nothing half-written is left behind; an earlier presentation stays as it was. */
        ssf_vod_writer_abort(w);
    }
    ssf_vod_writer_free(w);
    ssf_input_free(in);
    free(ids);
    free(kinds);
    if (ok) {
        printf("packaged %ld samples from %lu streams\n", pushed, (unsigned long)count);
    }
    return ok ? 0 : 1;
}
