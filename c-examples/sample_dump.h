/*
 * A reader for sample dumps: the stand-in for an encoder's output in the C examples.
 * An encoder hands the packager encoded samples with their times; the examples read
 * them from a file that tests/c_abi.rs writes from the bundled sample (so the examples
 * need no H.264 or ADTS parser of their own).
 *
 * File layout, little-endian:
 *   "SSFD", u32 kind (1 = H.264, NAL units behind 4-byte lengths, parameter sets also in
 *   band; 2 = AAC raw frames), u32 timescale, u32 bitrate, u32 config length, config bytes
 *   (AAC: the AudioSpecificConfig; H.264: the first SPS and PPS, each behind a 2-byte
 *   big-endian length, as in MPEG2VIDEOINFO's dwSequenceHeader);
 *   then per sample: u32 size, u32 flags (bit 0: sync sample), u64 dts,
 *   u64 composition offset, u64 duration, the sample bytes.
 */
#ifndef SAMPLE_DUMP_H
#define SAMPLE_DUMP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_H264 1u
#define DUMP_AAC 2u
/* Larger samples are treated as a corrupt file. */
#define DUMP_MAX_SAMPLE (16u << 20)

typedef struct dump {
    FILE *file;
    uint32_t kind;
    uint32_t timescale;
    uint32_t bitrate;
    uint8_t config[512];
    uint32_t config_len;
    /* The current sample, valid after dump_next returned 1. */
    uint8_t *data;
    uint32_t size;
    int sync;
    uint64_t dts;
    uint64_t cts_offset;
    uint64_t duration;
} dump;

static uint32_t dump_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t dump_u64(const uint8_t *p) {
    return (uint64_t)dump_u32(p) | (uint64_t)dump_u32(p + 4) << 32;
}

/* Opens a dump and reads its header; 0 on success. */
static int dump_open(dump *d, const char *path) {
    uint8_t head[20];
    memset(d, 0, sizeof *d);
    d->file = fopen(path, "rb");
    if (!d->file) {
        return -1;
    }
    if (fread(head, 1, sizeof head, d->file) != sizeof head || memcmp(head, "SSFD", 4) != 0) {
        return -1;
    }
    d->kind = dump_u32(head + 4);
    d->timescale = dump_u32(head + 8);
    d->bitrate = dump_u32(head + 12);
    d->config_len = dump_u32(head + 16);
    if (d->config_len > sizeof d->config ||
        fread(d->config, 1, d->config_len, d->file) != d->config_len) {
        return -1;
    }
    return 0;
}

/* Reads the next sample: 1 when there is one, 0 at the end, -1 on a corrupt file. */
static int dump_next(dump *d) {
    uint8_t head[32];
    size_t got = fread(head, 1, sizeof head, d->file);
    if (got == 0) {
        return 0;
    }
    if (got != sizeof head) {
        return -1;
    }
    d->size = dump_u32(head);
    d->sync = (int)(dump_u32(head + 4) & 1u);
    d->dts = dump_u64(head + 8);
    d->cts_offset = dump_u64(head + 16);
    d->duration = dump_u64(head + 24);
    if (d->size == 0 || d->size > DUMP_MAX_SAMPLE) {
        return -1;
    }
    free(d->data);
    d->data = (uint8_t *)malloc(d->size);
    if (!d->data || fread(d->data, 1, d->size, d->file) != d->size) {
        return -1;
    }
    return 1;
}

static void dump_close(dump *d) {
    if (d->file) {
        fclose(d->file);
    }
    free(d->data);
    memset(d, 0, sizeof *d);
}

/* Whether sample a decodes before sample b (times compared across timescales). */
static int dump_before(const dump *a, const dump *b) {
    return (double)a->dts / a->timescale <= (double)b->dts / b->timescale;
}

#endif
