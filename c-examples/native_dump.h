/*
 * What live.c needs on top of sample_dump.h: a dump's stream configuration and samples in
 * the native API's types, and the decode-order merge across dumps (an encoder's own
 * streams). Files are read with ssf_input instead (see vod.c).
 */
#ifndef NATIVE_DUMP_H
#define NATIVE_DUMP_H

#include "ssf.h"
#include "sample_dump.h"

/* The stream configuration of a dump (timescale and bit rate set); prints the error. */
static ssf_status dump_stream_config(const dump *d, ssf_stream_config **out) {
    ssf_stream_config *config = NULL;
    ssf_status st;
    if (d->kind == DUMP_H264) {
        st = ssf_stream_config_h264_in_band(4, &config);
    } else if (d->kind == DUMP_AAC) {
        st = ssf_stream_config_aac(d->config, d->config_len, &config);
    } else {
        fprintf(stderr, "unknown stream kind %u\n", (unsigned)d->kind);
        return SSF_STATUS_INVALID_ARGUMENT;
    }
    if (st != SSF_STATUS_OK) {
        fprintf(stderr, "stream config: %s: %s\n", ssf_status_str(st), ssf_last_error());
        return st;
    }
    st = ssf_stream_config_set_timescale(config, d->timescale);
    if (st == SSF_STATUS_OK) {
        st = ssf_stream_config_set_bitrate(config, d->bitrate);
    }
    if (st != SSF_STATUS_OK) {
        fprintf(stderr, "stream config: %s: %s\n", ssf_status_str(st), ssf_last_error());
        ssf_stream_config_free(config);
        return st;
    }
    *out = config;
    return SSF_STATUS_OK;
}

/* The dump's current sample as an ssf_sample (borrowing its bytes). */
static ssf_sample dump_sample(const dump *d) {
    ssf_sample sample;
    sample.struct_size = sizeof sample;
    sample.data = d->data;
    sample.len = d->size;
    sample.dts = d->dts;
    sample.cts_offset = d->cts_offset;
    sample.duration = d->duration;
    sample.sync = d->sync != 0;
    sample.protected_ranges = NULL;
    sample.protected_range_count = 0;
    return sample;
}

/* The dump whose current sample decodes first (have[i]: dump_next's last result), -1
 * when all are drained, -2 (after printing which) when one is corrupt. */
static int dump_earliest(const dump *dumps, const int *have, int count,
                         char *const *paths) {
    int next = -1;
    int i;
    for (i = 0; i < count; i++) {
        if (have[i] < 0) {
            fprintf(stderr, "%s: corrupt dump\n", paths[i]);
            return -2;
        }
        if (have[i] == 1 && (next < 0 || !dump_before(&dumps[next], &dumps[i]))) {
            next = i;
        }
    }
    return next;
}

#endif
