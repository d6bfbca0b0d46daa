/*
 * live.c: pushes H.264 and AAC streams live to one or more Smooth Streaming publishing
 * points with the native ssf API (ssf.h), then prints each connection's statistics and
 * final status.
 *
 *   live URL... -- DUMP...
 *
 * Each URL is a publishing point, http(s)://host/path/Name.isml; every stream goes to
 * each of them (redundant ingest). Each DUMP is one stream's encoded samples (see
 * sample_dump.h). Samples are pushed in decode-time order across streams as fast as
 * they are read: an encoder would push them as it produces them, in real time.
 *
 * Exit status: 0 when every connection delivered every fragment and the server answered
 * 2xx, 1 otherwise, 2 on a usage error.
 */
#include <stdio.h>
#include <string.h>

#include "native_dump.h"

#define MAX_STREAMS 8

/* The state callback: runs on the publisher's network threads, so it only prints (stdio
 * streams are locked per call) and never calls back into the publisher. */
static void on_state(void *user_data, const ssf_live_state_event *event) {
    const char *prefix = (const char *)user_data;
    fprintf(stderr, "%s: point %lu stream %u: state %u%s%s\n", prefix,
            (unsigned long)event->target, (unsigned)event->stream, (unsigned)event->state,
            event->detail[0] ? ": " : "", event->detail);
}

/* Options for a short run: short timeouts and back-off, and a backlog sent as fast as
 * the connection takes it. The defaults suit a real encoder. */
static ssf_status make_live_options(ssf_live_options **out) {
    ssf_live_options *o = NULL;
    ssf_status st = ssf_live_options_new(&o);
    if (st == SSF_STATUS_OK) {
        st = ssf_live_options_set_connect_timeout_ms(o, 2000);
    }
    if (st == SSF_STATUS_OK) {
        st = ssf_live_options_set_backoff_ms(o, 20, 200);
    }
    if (st == SSF_STATUS_OK) {
        st = ssf_live_options_set_catch_up_speed(o, 0.0);
    }
    if (st == SSF_STATUS_OK) {
        st = ssf_live_options_set_finish_timeout_ms(o, 15000);
    }
    if (st == SSF_STATUS_OK) {
        st = ssf_live_options_set_state_callback(o, on_state, (void *)"live");
    }
    if (st != SSF_STATUS_OK) {
        ssf_live_options_free(o);
        return st;
    }
    *out = o;
    return SSF_STATUS_OK;
}

/* Adds the dump's stream to the publisher; returns its number or -1. */
static long add_stream(ssf_live_publisher *p, const dump *d) {
    ssf_stream_config *config = NULL;
    uint32_t stream = 0;
    ssf_status st = dump_stream_config(d, &config);
    if (st != SSF_STATUS_OK) {
        return -1;
    }
    st = ssf_live_publisher_add_stream(p, config, &stream);
    ssf_stream_config_free(config);
    if (st != SSF_STATUS_OK) {
        fprintf(stderr, "add stream: %s: %s\n", ssf_status_str(st), ssf_live_publisher_last_error(p));
        return -1;
    }
    return (long)stream;
}

static void print_stats(const char *what, const ssf_live_stats *s) {
    printf("%s point %lu stream %u %s: state %u, %llu fragments sent, %llu replayed, "
           "%llu dropped, %llu reconnects, %llu bytes, %lu queued, latency max %llu us%s%s\n",
           what, (unsigned long)s->target, (unsigned)s->stream, s->url, (unsigned)s->state,
           (unsigned long long)s->fragments_sent, (unsigned long long)s->fragments_replayed,
           (unsigned long long)s->fragments_dropped, (unsigned long long)s->reconnects,
           (unsigned long long)s->bytes_sent, (unsigned long)s->queued_fragments,
           (unsigned long long)s->latency_max_us, s->last_error ? ", last error: " : "",
           s->last_error ? s->last_error : "");
}

int main(int argc, char **argv) {
    dump dumps[MAX_STREAMS];
    uint32_t streams[MAX_STREAMS];
    int have[MAX_STREAMS];
    const char *const *urls = (const char *const *)(argv + 1);
    size_t url_count = 0;
    int first_dump;
    int count;
    int i;
    int ok = 1;
    unsigned long pushed = 0;
    ssf_live_options *live = NULL;
    ssf_live_publisher *p = NULL;
    ssf_status st;

    while (1 + (int)url_count < argc && strcmp(argv[1 + url_count], "--") != 0) {
        url_count++;
    }
    first_dump = 2 + (int)url_count;
    count = argc - first_dump;
    if (url_count < 1 || count < 1 || count > MAX_STREAMS) {
        fprintf(stderr, "usage: %s URL... -- DUMP...\n", argv[0]);
        return 2;
    }
    st = make_live_options(&live);
    if (st == SSF_STATUS_OK) {
        st = ssf_live_publisher_connect(urls, url_count, NULL, live, &p);
    }
    /* The publisher keeps its own copy of the options. */
    ssf_live_options_free(live);
    if (st != SSF_STATUS_OK) {
        fprintf(stderr, "connect: %s: %s\n", ssf_status_str(st), ssf_last_error());
        return 1;
    }
    for (i = 0; i < count; i++) {
        long id;
        have[i] = 0;
        if (dump_open(&dumps[i], argv[first_dump + i]) != 0) {
            fprintf(stderr, "%s: cannot read\n", argv[first_dump + i]);
            ok = 0;
            continue;
        }
        id = add_stream(p, &dumps[i]);
        if (id < 0) {
            ok = 0;
            continue;
        }
        streams[i] = (uint32_t)id;
        have[i] = dump_next(&dumps[i]);
    }

    /* Push the sample that decodes first until every stream is drained. */
    while (ok) {
        int next = dump_earliest(dumps, have, count, argv + first_dump);
        ssf_sample sample;
        if (next < 0) {
            ok = next == -1;
            break;
        }
        sample = dump_sample(&dumps[next]);
        st = ssf_live_publisher_push(p, streams[next], &sample);
        if (st != SSF_STATUS_OK) {
            fprintf(stderr, "push: %s: %s\n", ssf_status_str(st),
                    ssf_live_publisher_last_error(p));
            ok = 0;
            break;
        }
        pushed++;
        have[next] = dump_next(&dumps[next]);
    }
    for (i = 0; i < count; i++) {
        dump_close(&dumps[i]);
    }

    if (ok) {
        const ssf_live_stats *stats = NULL;
        size_t n = 0;
        size_t k;
        st = ssf_live_publisher_stats(p, &stats, &n);
        if (st != SSF_STATUS_OK) {
            fprintf(stderr, "stats: %s: %s\n", ssf_status_str(st),
                    ssf_live_publisher_last_error(p));
            ok = 0;
        }
        for (k = 0; ok && k < n; k++) {
            print_stats("pushed:", &stats[k]);
        }
    }
    if (ok) {
        const ssf_live_report *reports = NULL;
        size_t n = 0;
        size_t k;
        size_t good = 0;
        st = ssf_live_publisher_finish(p, &reports, &n);
        if (st != SSF_STATUS_OK) {
            fprintf(stderr, "finish: %s: %s\n", ssf_status_str(st),
                    ssf_live_publisher_last_error(p));
            ok = 0;
        }
        for (k = 0; ok && k < n; k++) {
            print_stats("final:", &reports[k].stats);
            printf("final: point %lu stream %u: %s (HTTP %u)\n",
                   (unsigned long)reports[k].stats.target, (unsigned)reports[k].stats.stream,
                   ssf_status_str(reports[k].status), (unsigned)reports[k].http_status);
            if (reports[k].status == SSF_STATUS_OK) {
                good++;
            }
        }
        if (ok) {
            printf("pushed %lu samples from %d streams to %lu points: %lu of %lu connections "
                   "succeeded\n",
                   pushed, count, (unsigned long)url_count, (unsigned long)good,
                   (unsigned long)n);
            ok = good == n;
        }
    }
    /* Without a finish (an error above) this cuts the connections at once. */
    ssf_live_publisher_free(p);
    return ok ? 0 : 1;
}
