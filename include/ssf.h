/*
 * ssf.h: the native C API of ssf, a Smooth Streaming (PIFF) packager.
 * Generated from src/ffi by cbindgen (build.rs); do not edit.
 *
 * Conventions: every call returns an ssf_status (SSF_STATUS_OK = 0); inputs are
 * borrowed (pointer, length) pairs read during the call; outputs are written only on
 * success, and ssf_output bytes belong to the handle and stay valid until the next call
 * on it; *_free(NULL) is a no-op; a failure's message is in ssf_*_last_error(handle)
 * and ssf_last_error().
 *
 * Threads: a handle may move between threads, but calls on it must not overlap. A call
 * that finds a handle it is given in use by another thread returns SSF_STATUS_BUSY and
 * does nothing (calls that only read a handle, passed const, may overlap each other);
 * *_free on a handle in use frees nothing and says so in ssf_last_error().
 *
 *   ssf_vod_writer *w; ssf_stream_config *c; uint32_t v;
 *   ssf_vod_writer_create("out", "movie", NULL, &w);
 *   ssf_stream_config_h264_in_band(4, &c);
 *   ssf_stream_config_set_bitrate(c, 2500000);
 *   ssf_vod_writer_add_stream(w, c, &v);
 *   ssf_stream_config_free(c);
 *   ssf_sample s = {sizeof s, data, len, dts, cts_offset, duration, is_idr, NULL, 0};
 *   if (ssf_vod_writer_push(w, v, &s) != SSF_STATUS_OK)
 *       fprintf(stderr, "%s\n", ssf_vod_writer_last_error(w));
 *   ssf_vod_writer_finish(w);
 *   ssf_vod_writer_free(w);
 */

#ifndef SSF_H
#define SSF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 `ssf_live_options_set_time_origin`: fragment times are the samples' own decode times.
 */
#define SSF_LIVE_TIME_ORIGIN_ZERO 0

/*
 `ssf_live_options_set_time_origin`: sample times are shifted by the wall clock at
 connect (whole seconds since 1970, rounded down to a fragment multiple).
 */
#define SSF_LIVE_TIME_ORIGIN_WALL_CLOCK 1

/*
 `ssf_live_options_set_time_origin`: sample times are shifted by the `epoch_seconds`
 given (a common anchor, e.g. from house timecode).
 */
#define SSF_LIVE_TIME_ORIGIN_EPOCH_SECONDS 2

/*
 The result of every native `ssf_*` call. Values are stable: a code is never
 renumbered or reused, and retired codes stay listed here as comments.
 */
enum ssf_status
#ifdef __cplusplus
  : uint32_t
#endif // __cplusplus
 {
  /*
   Success.
   */
  SSF_STATUS_OK = 0,
  /*
   A required pointer argument was NULL.
   */
  SSF_STATUS_NULL_PARAMETER = 1,
  /*
   An argument or option is out of range (including absurd sizes and struct sizes
   that do not match this library's).
   */
  SSF_STATUS_INVALID_ARGUMENT = 2,
  /*
   A codec configuration (avcC, SPS/PPS, AudioSpecificConfig, media type) was refused.
   */
  SSF_STATUS_INVALID_CONFIG = 3,
  /*
   Bytes that do not follow their format.
   */
  SSF_STATUS_MALFORMED = 4,
  /*
   A stream number this handle never returned.
   */
  SSF_STATUS_UNKNOWN_STREAM = 5,
  /*
   A sample was refused (timing, size, keyframe rules).
   */
  SSF_STATUS_INVALID_SAMPLE = 6,
  /*
   The call does not fit the handle's state (e.g. after finish).
   */
  SSF_STATUS_INVALID_STATE = 7,
  /*
   A file could not be read or written.
   */
  SSF_STATUS_IO = 8,
  /*
   The input asks for something this library does not implement yet.
   */
  SSF_STATUS_UNSUPPORTED = 9,
  /*
   A string was not valid UTF-8 (native API) or UTF-16 (compatible API).
   */
  SSF_STATUS_INVALID_STRING = 10,
  /*
   An output is too large for the interface that has to carry it.
   */
  SSF_STATUS_OUTPUT_TOO_LARGE = 11,
  /*
   A publishing point URL was refused.
   */
  SSF_STATUS_INVALID_URL = 12,
  /*
   A live push failed for good (the publishing point refused it, or retries ran out).
   */
  SSF_STATUS_LIVE_FAILED = 13,
  /*
   The live publisher could not start (runtime or HTTP client setup).
   */
  SSF_STATUS_LIVE_SETUP = 14,
  /*
   The handle is in use by a call on another thread. Nothing was done: calls on one
   handle must not overlap, and the library refuses the second one instead of letting
   two threads change the same memory.
   */
  SSF_STATUS_BUSY = 15,
  /*
   The library hit an internal bug; the handle should be freed and not used again.
   */
  SSF_STATUS_PANIC = 100,
};
#ifndef __cplusplus
typedef uint32_t ssf_status;
#endif // __cplusplus

/*
 The state of one connection (one stream to one publishing point).
 */
enum ssf_live_state
#ifdef __cplusplus
  : uint32_t
#endif // __cplusplus
 {
  /*
   Sending the empty probe POST.
   */
  SSF_LIVE_STATE_PROBING = 0,
  /*
   Waiting for the stream's first fragment (its header is built from it).
   */
  SSF_LIVE_STATE_WAITING_FOR_HEADER = 1,
  /*
   Opening the long POST.
   */
  SSF_LIVE_STATE_CONNECTING = 2,
  /*
   The long POST is open and carrying fragments.
   */
  SSF_LIVE_STATE_STREAMING = 3,
  /*
   Waiting `backoff_ms` before the next attempt after a failure.
   */
  SSF_LIVE_STATE_BACKOFF = 4,
  /*
   Finishing: sending the last fragments and the end of stream.
   */
  SSF_LIVE_STATE_FINISHING = 5,
  /*
   The POST ended and the server answered (`final_http_status`).
   */
  SSF_LIVE_STATE_FINISHED = 6,
  /*
   Given up: a fatal answer, the retry limit, or finish timed out.
   */
  SSF_LIVE_STATE_FAILED = 7,
};
#ifndef __cplusplus
typedef uint32_t ssf_live_state;
#endif // __cplusplus

/*
 What a stream of an `ssf_input` carries.
 */
enum ssf_media_kind
#ifdef __cplusplus
  : uint32_t
#endif // __cplusplus
 {
  /*
   Video.
   */
  SSF_MEDIA_KIND_VIDEO = 0,
  /*
   Audio.
   */
  SSF_MEDIA_KIND_AUDIO = 1,
  /*
   Text (TTML captions): sparse, and tied to a video stream.
   */
  SSF_MEDIA_KIND_TEXT = 2,
};
#ifndef __cplusplus
typedef uint32_t ssf_media_kind;
#endif // __cplusplus

/*
 Input files being read for packaging (Rust `InputSet`). Create with `ssf_input_open`,
 free with `ssf_input_free`. Calls on one handle must not overlap: one that does gets
 `SSF_STATUS_BUSY`.
 */
typedef struct ssf_input ssf_input;

/*
 Options of a live publisher (Rust `LiveOptions`). Create with `ssf_live_options_new`,
 free with `ssf_live_options_free`; connect copies it. Calls on one handle must not
 overlap: one that does gets `SSF_STATUS_BUSY`.
 */
typedef struct ssf_live_options ssf_live_options;

/*
 A live publisher (Rust `LivePublisher`): pushes each stream to every publishing point
 over its own long HTTP POST. Calls on one handle must not
 overlap: one that does gets `SSF_STATUS_BUSY`.
 */
typedef struct ssf_live_publisher ssf_live_publisher;

/*
 The sans-IO muxer (Rust `Muxer`): samples in; header, fragments, index and manifests
 out as bytes the caller writes. Calls on one handle must not
 overlap: one that does gets `SSF_STATUS_BUSY`.
 */
typedef struct ssf_muxer ssf_muxer;

/*
 Muxer-wide options (Rust `Options`). Create with `ssf_options_new`, free with
 `ssf_options_free`. Calls on one handle must not
 overlap: one that does gets `SSF_STATUS_BUSY`.
 */
typedef struct ssf_options ssf_options;

/*
 PlayReady encryption settings (Rust `Protection`); holds the content key, which is
 wiped from memory when the handle is freed. Calls on one handle must not
 overlap: one that does gets `SSF_STATUS_BUSY`.
 */
typedef struct ssf_protection ssf_protection;

/*
 One stream's description (Rust `StreamConfig`), made by one of the
 `ssf_stream_config_*` constructors and adjusted with the `ssf_stream_config_set_*`
 calls. Adding it to a muxer copies it. Calls on one handle must not
 overlap: one that does gets `SSF_STATUS_BUSY`.
 */
typedef struct ssf_stream_config ssf_stream_config;

/*
 A writer of a whole on-demand presentation into a directory (Rust `VodWriter`):
 `.ismv`/`.isma` per stream, `.ism` and `.ismc`. Calls on one handle must not
 overlap: one that does gets `SSF_STATUS_BUSY`.
 */
typedef struct ssf_vod_writer ssf_vod_writer;

/*
 A byte range of a sample, `{offset, length}`.
 */
typedef struct ssf_range {
  /*
   Offset from the start of the sample.
   */
  uint32_t offset;
  /*
   Length in bytes.
   */
  uint32_t length;
} ssf_range;

/*
 One encoded sample. Set `struct_size` to `sizeof(ssf_sample)`: it lets later versions
 add fields without breaking callers built against this one.
 */
typedef struct ssf_sample {
  /*
   `sizeof(ssf_sample)`.
   */
  size_t struct_size;
  /*
   The payload (borrowed for the call; the library copies what it keeps).
   */
  const uint8_t *data;
  /*
   Payload length in bytes.
   */
  size_t len;
  /*
   Decode time in the stream's timescale.
   */
  uint64_t dts;
  /*
   Presentation time minus decode time.
   */
  uint64_t cts_offset;
  /*
   Duration in the stream's timescale; 0 when unknown (the next sample's decode time
   gives it).
   */
  uint64_t duration;
  /*
   Whether the sample is a random access point (IDR picture; every audio frame).
   */
  bool sync;
  /*
   Byte ranges to encrypt instead of the codec's choice; NULL for the default.
   */
  const struct ssf_range *protected_ranges;
  /*
   Number of entries in `protected_ranges`.
   */
  size_t protected_range_count;
} ssf_sample;

/*
 Bytes handed out by the library. `data` is owned by the handle that returned it and
 stays valid until the next call on that handle; `len` is 0 when there is nothing
 (e.g. no fragment closed). `time` and `duration` describe a fragment (presentation
 ticks) and are 0 otherwise.
 */
typedef struct ssf_output {
  /*
   The bytes.
   */
  const uint8_t *data;
  /*
   Their length.
   */
  size_t len;
  /*
   A fragment's decode time of its first sample.
   */
  uint64_t time;
  /*
   A fragment's duration.
   */
  uint64_t duration;
} ssf_output;

/*
 A state change as the state callback sees it. The strings belong to the library and
 are valid only during the callback.
 */
typedef struct ssf_live_state_event {
  /*
   Index of the publishing point in the URL array given to connect.
   */
  size_t target;
  /*
   The stream number (from `ssf_live_publisher_add_stream`).
   */
  uint32_t stream;
  /*
   The new state.
   */
  ssf_live_state state;
  /*
   For `SSF_LIVE_STATE_BACKOFF`: the wait in milliseconds; 0 otherwise.
   */
  uint64_t backoff_ms;
  /*
   For `SSF_LIVE_STATE_FINISHED`: the server's final HTTP status; 0 otherwise.
   */
  uint32_t final_http_status;
  /*
   The stream's full ingest URL (credentials hidden), NUL-terminated UTF-8.
   */
  const char *url;
  /*
   Why (an HTTP status and body, a transport error, counts); may be "".
   */
  const char *detail;
} ssf_live_state_event;

/*
 The state callback: `user_data` is the pointer given with it, `event` is valid only
 during the call.
 */
typedef void (*ssf_live_state_callback)(void *user_data, const struct ssf_live_state_event *event);

/*
 The counters of one connection (Rust `ConnectionStats`). The strings belong to the
 publisher handle, like the array holding this struct.
 */
typedef struct ssf_live_stats {
  /*
   Index of the publishing point in the URL array given to connect.
   */
  size_t target;
  /*
   The stream number.
   */
  uint32_t stream;
  /*
   Current state.
   */
  ssf_live_state state;
  /*
   For `SSF_LIVE_STATE_BACKOFF`: the wait in milliseconds; 0 otherwise.
   */
  uint64_t backoff_ms;
  /*
   For `SSF_LIVE_STATE_FINISHED`: the server's final HTTP status; 0 otherwise.
   */
  uint32_t final_http_status;
  /*
   The stream's full ingest URL (credentials hidden).
   */
  const char *url;
  /*
   Fragments handed to the socket for the first time.
   */
  uint64_t fragments_sent;
  /*
   Fragments sent again on a new POST after a failure.
   */
  uint64_t fragments_replayed;
  /*
   Fragments dropped unsent because the queue overflowed.
   */
  uint64_t fragments_dropped;
  /*
   New POSTs opened after a failure.
   */
  uint64_t reconnects;
  /*
   Body bytes handed to the socket, headers and replays included.
   */
  uint64_t bytes_sent;
  /*
   Fragments waiting in the queue.
   */
  size_t queued_fragments;
  /*
   Bytes waiting in the queue.
   */
  uint64_t queued_bytes;
  /*
   The last failure, or NULL if none.
   */
  const char *last_error;
  /*
   The last HTTP status received (probe, early or final answer); 0 if none.
   */
  uint32_t last_http_status;
  /*
   Largest push-to-socket latency of a fragment, in microseconds.
   */
  uint64_t latency_max_us;
  /*
   Mean push-to-socket latency of the fragments sent, in microseconds.
   */
  uint64_t latency_mean_us;
} ssf_live_stats;

/*
 What one connection knows of delivery (Rust `ConnectionStats`, the counters added
 after `ssf_live_stats`, whose layout stays as it was).
 */
typedef struct ssf_live_delivery {
  /*
   Index of the publishing point in the URL array given to connect.
   */
  size_t target;
  /*
   The stream number.
   */
  uint32_t stream;
  /*
   Fragments known read by the server: acknowledged by its TCP and older than the
   most its receive window could hold unread, or followed by its final 2xx answer.
   */
  uint64_t fragments_acknowledged;
  /*
   Fragments handed to the socket and not yet known read: what a reconnect resends.
   */
  uint64_t fragments_unconfirmed;
  /*
   Fragments the server may never have received (dropped from the queue or the
   replay set, or not known delivered when the connection gave up). 0: nothing may
   be missing on this connection.
   */
  uint64_t fragments_possibly_lost;
} ssf_live_delivery;

/*
 How one connection ended (Rust `FinalReport`).
 */
typedef struct ssf_live_report {
  /*
   The connection's counters at the end.
   */
  struct ssf_live_stats stats;
  /*
   `SSF_STATUS_OK` when the server answered 2xx and nothing may be missing on this
   connection (no fragment dropped or possibly lost, see `ssf_live_delivery`);
   `SSF_STATUS_LIVE_FAILED` otherwise (`stats.last_error` says why).
   */
  ssf_status status;
  /*
   The server's final HTTP status, or 0 when the POST did not end with one.
   */
  uint32_t http_status;
} ssf_live_report;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/*
 Returns the static text of a status code (also for values this version does not know).

 The string is static: never free it. Thread-safe.
 */
const char *ssf_status_str(uint32_t status);

/*
 Returns the message of the last failed `ssf_*` call on the calling thread ("" if none).
 Handle-less calls (constructors, builders) report only here; calls on a muxer or VOD
 writer also keep the message in the handle.

 The string is owned by the library and stays valid until the next failing call on
 this thread. Thread-safe (each thread has its own message).
 */
const char *ssf_last_error(void);

/*
 Creates default options (timescale 10 000 000, automatic 2 s fragments, no
 encryption) in `*out`. Free with `ssf_options_free`.

 Thread safety: safe from any thread (it creates a new handle or reads static data).

 # Safety
 `out` is NULL or valid for writing a pointer.
 */
ssf_status ssf_options_new(struct ssf_options **out);

/*
 Frees options made by `ssf_options_new`; NULL is a no-op.

 Thread safety: no call may use the handle after this one. If a call on another thread
 is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
 so): free it again once that call returned.

 # Safety
 `options` is NULL or a live handle, not used after this call.
 */
void ssf_options_free(struct ssf_options *options);

/*
 Sets the target fragment duration in seconds (automatic fragmenting cuts at the first
 keyframe at or after each multiple of it).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_options_set_fragment_seconds(struct ssf_options *options, double seconds);

/*
 Switches to caller-driven fragmenting: fragments close only on `ssf_muxer_flush`,
 `ssf_muxer_flush_at` or `ssf_vod_writer_flush`.

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_options_set_manual(struct ssf_options *options);

/*
 Lists an `f` element per QualityLevel in every `c` of the client manifest (the SDK's
 FORCE_FRAGMENT_ELEMENT_IN_CLIENT_MANIFEST); off by default.

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_options_set_fragment_elements(struct ssf_options *options, bool on);

/*
 Encrypts every audio and video stream with `protection` (copied; the caller still
 frees its handle).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` and `protection` are NULL or live handles.
 */
ssf_status ssf_options_set_protection(struct ssf_options *options,
                                      const struct ssf_protection *protection);

/*
 Creates PlayReady protection from a key ID (16 bytes in UUID text order, big-endian)
 and a 16-byte AES content key. Free with `ssf_protection_free`.

 Thread safety: safe from any thread (it creates a new handle or reads static data).

 # Safety
 `kid` and `key` point to 16 readable bytes; `out` is valid for writing a pointer.
 */
ssf_status ssf_protection_new(const uint8_t *kid, const uint8_t *key, struct ssf_protection **out);

/*
 Creates PlayReady protection whose content key is derived from a key seed (at least
 30 bytes) and the key ID (16 bytes, UUID text order).

 Thread safety: safe from any thread (it creates a new handle or reads static data).

 # Safety
 `kid` points to 16 readable bytes, `seed` to `seed_len`; `out` is valid for writing.
 */
ssf_status ssf_protection_from_key_seed(const uint8_t *kid,
                                        const uint8_t *seed,
                                        size_t seed_len,
                                        struct ssf_protection **out);

/*
 Sets the license acquisition URL (`LA_URL` of the PlayReady header).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `protection` is NULL or a live handle; `url` NULL or a NUL-terminated string.
 */
ssf_status ssf_protection_set_la_url(struct ssf_protection *protection, const char *url);

/*
 Sets the license UI URL (`LUI_URL` of the PlayReady header).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `protection` is NULL or a live handle; `url` NULL or a NUL-terminated string.
 */
ssf_status ssf_protection_set_lui_url(struct ssf_protection *protection, const char *url);

/*
 Sets the first 8-byte IV (stream n starts at `iv + (n << 48)`); random otherwise.

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `protection` is NULL or a live handle.
 */
ssf_status ssf_protection_set_first_iv(struct ssf_protection *protection, uint64_t iv);

/*
 Frees protection settings and wipes the key; NULL is a no-op.

 Thread safety: no call may use the handle after this one. If a call on another thread
 is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
 so): free it again once that call returned.

 # Safety
 `protection` is NULL or a live handle, not used after this call.
 */
void ssf_protection_free(struct ssf_protection *protection);

/*
 An H.264 stream from an `avcC` record; samples use the avcC's NAL length size.

 Thread safety: safe from any thread (it creates a new handle or reads static data).

 # Safety
 `avcc` points to `avcc_len` readable bytes; `out` is valid for writing a pointer.
 */
ssf_status ssf_stream_config_h264(const uint8_t *avcc,
                                  size_t avcc_len,
                                  struct ssf_stream_config **out);

/*
 An H.264 stream from one SPS and one PPS NAL unit (no start code or length);
 samples are framed with `nal_length_size`-byte lengths (1, 2, 4) or start codes (0).

 Thread safety: safe from any thread (it creates a new handle or reads static data).

 # Safety
 `sps`/`pps` point to their lengths in readable bytes; `out` is valid for writing.
 */
ssf_status ssf_stream_config_h264_parameter_sets(const uint8_t *sps,
                                                 size_t sps_len,
                                                 const uint8_t *pps,
                                                 size_t pps_len,
                                                 uint32_t nal_length_size,
                                                 struct ssf_stream_config **out);

/*
 An H.264 stream whose SPS and PPS come in band with the first IDR sample; samples are
 framed with `nal_length_size`-byte lengths (1, 2, 4) or start codes (0).

 Thread safety: safe from any thread (it creates a new handle or reads static data).

 # Safety
 `out` is NULL or valid for writing a pointer.
 */
ssf_status ssf_stream_config_h264_in_band(uint32_t nal_length_size, struct ssf_stream_config **out);

/*
 An AAC stream from its AudioSpecificConfig; samples are raw AAC frames (no ADTS).

 Thread safety: safe from any thread (it creates a new handle or reads static data).

 # Safety
 `asc` points to `asc_len` readable bytes; `out` is valid for writing a pointer.
 */
ssf_status ssf_stream_config_aac(const uint8_t *asc,
                                 size_t asc_len,
                                 struct ssf_stream_config **out);

/*
 Sets the average bit rate in bits per second (0: measured from the samples).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `config` is NULL or a live handle.
 */
ssf_status ssf_stream_config_set_bitrate(struct ssf_stream_config *config,
                                         uint32_t bits_per_second);

/*
 Sets the ticks per second of this stream's sample times (default 10 000 000).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `config` is NULL or a live handle.
 */
ssf_status ssf_stream_config_set_timescale(struct ssf_stream_config *config,
                                           uint32_t ticks_per_second);

/*
 Sets the ISO 639-2 language code, e.g. "eng".

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `config` is NULL or a live handle; `language` NULL or a NUL-terminated string.
 */
ssf_status ssf_stream_config_set_language(struct ssf_stream_config *config, const char *language);

/*
 Sets the StreamIndex name in the manifests (default "video" / "audio").

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `config` is NULL or a live handle; `name` NULL or a NUL-terminated string.
 */
ssf_status ssf_stream_config_set_track_name(struct ssf_stream_config *config, const char *name);

/*
 Sets the file name the server manifest points at (and the VOD writer writes).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `config` is NULL or a live handle; `name` NULL or a NUL-terminated string.
 */
ssf_status ssf_stream_config_set_source_file_name(struct ssf_stream_config *config,
                                                  const char *name);

/*
 Frees a stream description; NULL is a no-op.

 Thread safety: no call may use the handle after this one. If a call on another thread
 is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
 so): free it again once that call returned.

 # Safety
 `config` is NULL or a live handle, not used after this call.
 */
void ssf_stream_config_free(struct ssf_stream_config *config);

/*
 Creates a muxer with `options` (copied; NULL for the defaults) in `*out`. Free with
 `ssf_muxer_free`.

 Thread safety: safe from any thread (it creates a new handle); `options` may be read
 by other calls at the same time, but one being changed by another thread makes this
 call return `SSF_STATUS_BUSY`.

 # Safety
 `options` is NULL or a live handle; `out` is valid for writing a pointer.
 */
ssf_status ssf_muxer_new(const struct ssf_options *options, struct ssf_muxer **out);

/*
 Frees a muxer and every output it handed out; NULL is a no-op.

 Thread safety: no call may use the handle after this one. If a call on another thread
 is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
 so): free it again once that call returned.

 # Safety
 `muxer` is NULL or a live handle, not used after this call.
 */
void ssf_muxer_free(struct ssf_muxer *muxer);

/*
 The message of the muxer's last failed call ("" if none). Owned by the muxer; valid
 until the next call on it.

 Thread safety: may overlap other calls that only read the muxer; while another
 thread's call changes it, this returns the `SSF_STATUS_BUSY` message instead.

 # Safety
 `muxer` is NULL or a live handle.
 */
const char *ssf_muxer_last_error(const struct ssf_muxer *muxer);

/*
 Adds a stream (copying `config`) and writes its number (0, 1, …) to `*out_stream`.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `muxer` and `config` are NULL or live handles; `out_stream` NULL or writable.
 */
ssf_status ssf_muxer_add_stream(struct ssf_muxer *muxer,
                                const struct ssf_stream_config *config,
                                uint32_t *out_stream);

/*
 Adds a sample to `stream`. When it closes a fragment (automatic fragmenting),
 `*out_fragment` receives the fragment (moof + mdat); otherwise its `len` is 0.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `muxer` is NULL or a live handle; `sample` NULL or a valid `ssf_sample`;
 `out_fragment` NULL or writable.
 */
ssf_status ssf_muxer_push(struct ssf_muxer *muxer,
                          uint32_t stream,
                          const struct ssf_sample *sample,
                          struct ssf_output *out_fragment);

/*
 Closes `stream`'s open fragment now; `*out_fragment` receives it (`len` 0 when no
 sample was pending).

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `muxer` is NULL or a live handle; `out_fragment` NULL or writable.
 */
ssf_status ssf_muxer_flush(struct ssf_muxer *muxer,
                           uint32_t stream,
                           struct ssf_output *out_fragment);

/*
 Closes `stream`'s open fragment so that it ends at `end_time` (stream timescale): the
 last sample lasts until then.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `muxer` is NULL or a live handle; `out_fragment` NULL or writable.
 */
ssf_status ssf_muxer_flush_at(struct ssf_muxer *muxer,
                              uint32_t stream,
                              uint64_t end_time,
                              struct ssf_output *out_fragment);

/*
 `ftyp` + `moov` for a file holding `streams`. Its size never changes, so it can be
 written first and overwritten in place at the end.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `muxer` is NULL or a live handle; `streams` points to `count` stream numbers;
 `out` NULL or writable.
 */
ssf_status ssf_muxer_header(struct ssf_muxer *muxer,
                            const uint32_t *streams,
                            size_t count,
                            struct ssf_output *out);

/*
 The `mfra` index of `streams`' fragments so far.

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 As `ssf_muxer_header`.
 */
ssf_status ssf_muxer_index(struct ssf_muxer *muxer,
                           const uint32_t *streams,
                           size_t count,
                           struct ssf_output *out);

/*
 The client manifest (`.ismc`, UTF-8 XML, not NUL-terminated).

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `muxer` is NULL or a live handle; `out` NULL or writable.
 */
ssf_status ssf_muxer_client_manifest(struct ssf_muxer *muxer, struct ssf_output *out);

/*
 The server manifest (`.ism`, UTF-8 XML, not NUL-terminated) pointing at the client
 manifest `client_manifest_path` (relative to the `.ism`).

 Thread safety: calls on one muxer must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `muxer` is NULL or a live handle; `client_manifest_path` NULL or a NUL-terminated
 string; `out` NULL or writable.
 */
ssf_status ssf_muxer_server_manifest(struct ssf_muxer *muxer,
                                     const char *client_manifest_path,
                                     struct ssf_output *out);

/*
 Creates a VOD writer for presentation `name` in directory `dir`, which the presentation
 owns: everything is written into a hidden sibling (`.DIR.ssf-partial`) and
 `ssf_vod_writer_finish` replaces `dir` whole in one step, so a failed or killed run
 never changes an existing presentation. Fails if `dir` holds other files, or if an
 interrupted run left work there (`SSF_STATUS_INVALID_STATE`: see `ssf_vod_recover`
 and `ssf_vod_discard_interrupted`). `options` is copied (NULL for the defaults). Free
 with `ssf_vod_writer_free`.

 Thread safety: safe from any thread (it creates a new handle); `options` may be read
 by other calls at the same time, but one being changed by another thread makes this
 call return `SSF_STATUS_BUSY`.

 # Safety
 `dir` and `name` are NULL or NUL-terminated UTF-8; `options` NULL or a live handle;
 `out` valid for writing a pointer.
 */
ssf_status ssf_vod_writer_create(const char *dir,
                                 const char *name,
                                 const struct ssf_options *options,
                                 struct ssf_vod_writer **out);

/*
 Frees a VOD writer; NULL is a no-op. A writer that was not finished (nor aborted)
 leaves its partial directory for `ssf_vod_recover`, as a crash would.

 Thread safety: no call may use the handle after this one. If a call on another thread
 is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
 so): free it again once that call returned.

 # Safety
 `writer` is NULL or a live handle, not used after this call.
 */
void ssf_vod_writer_free(struct ssf_vod_writer *writer);

/*
 The message of the writer's last failed call ("" if none). Owned by the writer; valid
 until the next call on it.

 Thread safety: may overlap other calls that only read the writer; while another
 thread's call changes it, this returns the `SSF_STATUS_BUSY` message instead.

 # Safety
 `writer` is NULL or a live handle.
 */
const char *ssf_vod_writer_last_error(const struct ssf_vod_writer *writer);

/*
 Adds a stream (copying `config`) and writes its number to `*out_stream`.

 Thread safety: calls on one writer must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `writer` and `config` are NULL or live handles; `out_stream` NULL or writable.
 */
ssf_status ssf_vod_writer_add_stream(struct ssf_vod_writer *writer,
                                     const struct ssf_stream_config *config,
                                     uint32_t *out_stream);

/*
 Adds a sample to `stream`; finished fragments are appended to the stream's file.

 Thread safety: calls on one writer must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `writer` is NULL or a live handle; `sample` NULL or a valid `ssf_sample`.
 */
ssf_status ssf_vod_writer_push(struct ssf_vod_writer *writer,
                               uint32_t stream,
                               const struct ssf_sample *sample);

/*
 Closes `stream`'s open fragment now and appends it to the stream's file.

 Thread safety: calls on one writer must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `writer` is NULL or a live handle.
 */
ssf_status ssf_vod_writer_flush(struct ssf_vod_writer *writer, uint32_t stream);

/*
 Sets `stream`'s bit rate once it is known (e.g. measured over the whole input, as
 `ssf_input_stream_bitrate` gives it): it names the stream's file and goes into the
 final header and both manifests.

 Thread safety: calls on one writer must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `writer` is NULL or a live handle.
 */
ssf_status ssf_vod_writer_set_bitrate(struct ssf_vod_writer *writer,
                                      uint32_t stream,
                                      uint32_t bits_per_second);

/*
 Ends the presentation: closes every open fragment, writes the index, the final
 headers and both manifests. The handle then only accepts `ssf_vod_writer_free` and
 `ssf_vod_writer_last_error` (other calls return `SSF_STATUS_INVALID_STATE`).

 Thread safety: calls on one writer must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `writer` is NULL or a live handle.
 */
ssf_status ssf_vod_writer_finish(struct ssf_vod_writer *writer);

/*
 Discards everything the writer wrote; the existing presentation in its directory, if
 any, stays as it was. The handle then only accepts `ssf_vod_writer_free` and
 `ssf_vod_writer_last_error`.

 Thread safety: calls on one writer must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `writer` is NULL or a live handle.
 */
ssf_status ssf_vod_writer_abort(struct ssf_vod_writer *writer);

/*
 Turns what an interrupted (killed, crashed, or freed unfinished) writer left for
 presentation directory `dir` into a valid presentation and publishes it: keeps every
 complete fragment the bit rates of each StreamIndex have in common, rewrites the
 headers, appends the indexes, writes both manifests. `*recovered` (when not NULL) is
 set to true when there was an interrupted run, false when `dir` was complete (then nothing is
 changed). Refuses (`SSF_STATUS_MALFORMED`, changing nothing) files that are not this
 library's or are damaged before their last fragment; the message says which.

 Thread safety: safe from any thread; a writer still running on `dir` makes it fail
 with `SSF_STATUS_INVALID_STATE`.

 # Safety
 `dir` is NULL or NUL-terminated UTF-8; `recovered` NULL or writable.
 */
ssf_status ssf_vod_recover(const char *dir, bool *recovered);

/*
 Discards what an interrupted writer left for presentation directory `dir`, so a new
 writer can start there; the published presentation, if any, is kept. `*discarded`
 (when not NULL) is set to true when there was something to discard.

 Thread safety: safe from any thread; a writer still running on `dir` makes it fail
 with `SSF_STATUS_INVALID_STATE`.

 # Safety
 `dir` is NULL or NUL-terminated UTF-8; `discarded` NULL or writable.
 */
ssf_status ssf_vod_discard_interrupted(const char *dir, bool *discarded);

/*
 Creates default live options in `*out` (probe on, 10 s connect timeout, send timeout
 twice the fragment duration, back-off 250 ms doubling up to a fragment duration,
 unlimited retries, queue of 60 s or 64 MiB per connection, replay of 2 fragments,
 catch-up at 4x real time, end-of-stream `mfra` on, 10 s to finish, times from 0, no
 callback). Free with `ssf_live_options_free`.

 Thread safety: safe from any thread (it creates a new handle).

 # Safety
 `out` is NULL or valid for writing a pointer.
 */
ssf_status ssf_live_options_new(struct ssf_live_options **out);

/*
 Frees live options; NULL is a no-op. Publishers connected with them keep their copy.

 Thread safety: no call may use the handle after this one. If a call on another thread
 is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
 so): free it again once that call returned.

 # Safety
 `options` is NULL or a live handle, not used after this call.
 */
void ssf_live_options_free(struct ssf_live_options *options);

/*
 Sends an empty POST to each stream URL first and starts the stream only after a 2xx
 answer (default on). Turn it off for receivers that take a single request
 (`ffmpeg -listen 1`).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_live_options_set_probe(struct ssf_live_options *options, bool on);

/*
 Sets the `Events(<id>)` URL segment; NULL removes it (the default). The identifier
 is checked at connect (`A-Z a-z 0-9 _ . -`).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle; `event_id` NULL or a NUL-terminated string.
 */
ssf_status ssf_live_options_set_event_id(struct ssf_live_options *options, const char *event_id);

/*
 Makes the `Events(<id>)` segment the publisher's start time (seconds since 1970), so
 every start is a new event.

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_live_options_set_event_id_from_start_time(struct ssf_live_options *options);

/*
 Longest wait for a TCP (and TLS) connection, in milliseconds (default 10 000).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_live_options_set_connect_timeout_ms(struct ssf_live_options *options,
                                                   uint64_t milliseconds);

/*
 Longest time a write may make no progress before the POST is abandoned as stalled,
 in milliseconds (default twice the fragment duration, at least 1 s).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_live_options_set_send_timeout_ms(struct ssf_live_options *options,
                                                uint64_t milliseconds);

/*
 Back-off after failures, in milliseconds: the first retry is immediate, the next
 waits `initial_ms`, doubling up to `max_ms` (default 250 up to a fragment duration).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_live_options_set_backoff_ms(struct ssf_live_options *options,
                                           uint64_t initial_ms,
                                           uint64_t max_ms);

/*
 Gives up a connection after `retries` consecutive failed attempts; a negative value
 retries forever (the default).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_live_options_set_max_retries(struct ssf_live_options *options, int64_t retries);

/*
 Bounds each connection's queue of unsent fragments by duration (milliseconds) and
 bytes: past either, the oldest are dropped and counted (default 60 000 ms, 64 MiB).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_live_options_set_queue_bounds(struct ssf_live_options *options,
                                             uint64_t duration_ms,
                                             uint64_t bytes);

/*
 How many of the last fragments sent before a failure are sent again on the new POST
 (default 2; 0 turns replay off).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_live_options_set_replay_depth(struct ssf_live_options *options, size_t fragments);

/*
 After a reconnect, sends the backlog at most `speed` times faster than real time
 (default 4); 0, a negative or a non-finite value sends as fast as the connection
 takes it.

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_live_options_set_catch_up_speed(struct ssf_live_options *options, double speed);

/*
 Sends the empty `mfra` end-of-stream box on finish (default on; IIS-style points
 stop the presentation on it).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_live_options_set_end_of_stream(struct ssf_live_options *options, bool on);

/*
 Longest time `ssf_live_publisher_finish` waits for the last fragments and the
 servers' answers, in milliseconds (default 10 000).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_live_options_set_finish_timeout_ms(struct ssf_live_options *options,
                                                  uint64_t milliseconds);

/*
 Where the timeline starts: `SSF_LIVE_TIME_ORIGIN_ZERO` (default),
 `SSF_LIVE_TIME_ORIGIN_WALL_CLOCK` (recommended beyond lab tests), or
 `SSF_LIVE_TIME_ORIGIN_EPOCH_SECONDS` with `epoch_seconds` (ignored otherwise).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_live_options_set_time_origin(struct ssf_live_options *options,
                                            uint32_t origin,
                                            uint64_t epoch_seconds);

/*
 The `User-Agent` header (default `ssf/<version>`).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle; `user_agent` NULL or a NUL-terminated string.
 */
ssf_status ssf_live_options_set_user_agent(struct ssf_live_options *options,
                                           const char *user_agent);

/*
 Accepts any TLS certificate (self-signed test points). Off by default; never in
 production.

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle.
 */
ssf_status ssf_live_options_set_danger_accept_invalid_certs(struct ssf_live_options *options,
                                                            bool accept);

/*
 Calls `callback(user_data, event)` on every connection state change; NULL removes
 the callback.

 The callback runs on the publisher's network threads (and, for a connection that
 does not finish in time, on the thread calling `ssf_live_publisher_finish`), possibly
 on two threads at once, so `user_data` must be safe to use from any thread. It must
 return quickly and must not call any `ssf_live_publisher_*` function. It is never
 called after `ssf_live_publisher_finish` or `ssf_live_publisher_free` returns, so
 `user_data` only has to live until then.

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `options` is NULL or a live handle; `callback` NULL or a function following the above.
 */
ssf_status ssf_live_options_set_state_callback(struct ssf_live_options *options,
                                               ssf_live_state_callback callback,
                                               void *user_data);

/*
 Creates a publisher pushing to every publishing point in `urls` (`url_count` strings
 `http(s)://host/path/Name.isml`), with muxer `options` and live `live_options`
 (both copied; NULL for the defaults). Nothing is sent until streams are added.
 Free with `ssf_live_publisher_free`.

 Thread safety: safe from any thread (it creates a new handle); the option handles it
 reads may be read by other calls at the same time, but one being changed by another
 thread makes this call return `SSF_STATUS_BUSY`. The publisher starts
 two worker threads.

 # Safety
 `urls` points to `url_count` NUL-terminated strings; `options` and `live_options`
 are NULL or live handles; `out` is valid for writing a pointer.
 */
ssf_status ssf_live_publisher_connect(const char *const *urls,
                                      size_t url_count,
                                      const struct ssf_options *options,
                                      const struct ssf_live_options *live_options,
                                      struct ssf_live_publisher **out);

/*
 Frees a publisher; NULL is a no-op. Without a finish, its connections are cut at
 once without an end of stream (servers keep the event open, as after an encoder
 failure). Never waits on the network; it waits only for a state callback already
 running to return.

 Thread safety: no other call may use the handle during or after this one; must not
 be called from the state callback.

 # Safety
 `publisher` is NULL or a live handle, not used after this call.
 */
void ssf_live_publisher_free(struct ssf_live_publisher *publisher);

/*
 The message of the publisher's last failed call ("" if none). Owned by the
 publisher; valid until the next call on it.

 Thread safety: may overlap other calls that only read the publisher; while another
 thread's call changes it, this returns the `SSF_STATUS_BUSY` message instead.

 # Safety
 `publisher` is NULL or a live handle.
 */
const char *ssf_live_publisher_last_error(const struct ssf_live_publisher *publisher);

/*
 The seconds since 1970 added to every sample time (0 unless a UTC time origin is
 set), in `*out_seconds`.

 Thread safety: calls on one publisher must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `publisher` is NULL or a live handle; `out_seconds` NULL or writable.
 */
ssf_status ssf_live_publisher_time_anchor(struct ssf_live_publisher *publisher,
                                          uint64_t *out_seconds);

/*
 Adds a stream (copying `config`), opens its connections, and writes its number to
 `*out_stream`. Its `Streams(<id>)` identifier is the config's source file name, or
 `<track name>_<bit rate>.ismv` / `.isma`; it must be unique.

 Thread safety: calls on one publisher must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `publisher` and `config` are NULL or live handles; `out_stream` NULL or writable.
 */
ssf_status ssf_live_publisher_add_stream(struct ssf_live_publisher *publisher,
                                         const struct ssf_stream_config *config,
                                         uint32_t *out_stream);

/*
 Adds a sample to `stream`; a fragment it completes is queued on every connection of
 the stream. Never waits on the network. Fails with `SSF_STATUS_LIVE_FAILED` once
 every connection of the stream has given up.

 Thread safety: calls on one publisher must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `publisher` is NULL or a live handle; `sample` NULL or a valid `ssf_sample`.
 */
ssf_status ssf_live_publisher_push(struct ssf_live_publisher *publisher,
                                   uint32_t stream,
                                   const struct ssf_sample *sample);

/*
 Closes `stream`'s open fragment now and queues it (caller-chosen boundaries).

 Thread safety: calls on one publisher must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `publisher` is NULL or a live handle.
 */
ssf_status ssf_live_publisher_flush(struct ssf_live_publisher *publisher, uint32_t stream);

/*
 The counters of every connection: for each stream in order, one per publishing point
 in order. `*out_stats` receives an array of `*out_count` entries owned by the
 publisher, valid (with its strings) until the next call on it.

 Thread safety: calls on one publisher must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `publisher` is NULL or a live handle; `out_stats` and `out_count` NULL or writable.
 */
ssf_status ssf_live_publisher_stats(struct ssf_live_publisher *publisher,
                                    const struct ssf_live_stats **out_stats,
                                    size_t *out_count);

/*
 The delivery counters of every connection, in the order of `ssf_live_publisher_stats`:
 fragments known read by the server, not yet known read, and possibly lost. After
 `ssf_live_publisher_finish`, those of the final reports. `*out_delivery` receives an
 array of `*out_count` entries owned by the publisher, valid until the next call on it.

 Thread safety: calls on one publisher must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `publisher` is NULL or a live handle; `out_delivery` and `out_count` NULL or writable.
 */
ssf_status ssf_live_publisher_delivery(struct ssf_live_publisher *publisher,
                                       const struct ssf_live_delivery **out_delivery,
                                       size_t *out_count);

/*
 Ends the push: closes every stream's last fragment, sends what is queued, then
 (unless switched off) the end-of-stream `mfra`, ends each POST and waits for each
 server's answer, at most the finish timeout in all. `*out_reports` receives one report
 per connection (stream by stream, publishing point by publishing point), an array of
 `*out_count` entries owned by the publisher and valid until it is freed.

 Returns `SSF_STATUS_OK` when the publisher finished, even if some connections failed:
 each report carries its own status. The handle then only accepts
 `ssf_live_publisher_free` and `ssf_live_publisher_last_error` (other calls return
 `SSF_STATUS_INVALID_STATE`); no state callback runs after this returns.

 Thread safety: must not run at the same time as another call on the same publisher;
 must not be called from the state callback.

 # Safety
 `publisher` is NULL or a live handle; `out_reports` and `out_count` NULL or writable.
 */
ssf_status ssf_live_publisher_finish(struct ssf_live_publisher *publisher,
                                     const struct ssf_live_report **out_reports,
                                     size_t *out_count);

/*
 Opens the file `path` (raw H.264, ADTS, MP4, VC-1, WMA or TTML; the kind from the
 extension, else the first bytes) into a new input set in `*out`. `path` may carry
 options: `FILE@BITRATE,lang=LANG,name=NAME` (e.g. `fr.aac@128k,lang=fra`) sets the bit
 rate instead of measuring it, the language of its audio or captions and its
 StreamIndex name; an existing file is a path whatever it contains. Free with
 `ssf_input_free`.

 Thread safety: safe from any thread (it creates a new handle).

 # Safety
 `path` is NULL or NUL-terminated UTF-8; `out` is valid for writing a pointer.
 */
ssf_status ssf_input_open(const char *path, struct ssf_input **out);

/*
 Adds another file (same syntax as `ssf_input_open`) to the set, before any sample is
 read. Its streams take their place in presentation order, so stream indexes given
 out before may change: list the streams once every file is added.

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `input` is NULL or a live handle; `path` NULL or NUL-terminated UTF-8.
 */
ssf_status ssf_input_add_file(struct ssf_input *input, const char *path);

/*
 Frees an input set; NULL is a no-op.

 Thread safety: no call may use the handle after this one. If a call on another thread
 is still inside it, nothing is freed (the handle stays valid and `ssf_last_error` says
 so): free it again once that call returned.

 # Safety
 `input` is NULL or a live handle, not used after this call.
 */
void ssf_input_free(struct ssf_input *input);

/*
 The message of the input's last failed call ("" if none). Owned by the input; valid
 until the next call on it.

 Thread safety: may overlap other calls that only read the input; while another
 thread's call changes it, this returns the `SSF_STATUS_BUSY` message instead.

 # Safety
 `input` is NULL or a live handle.
 */
const char *ssf_input_last_error(const struct ssf_input *input);

/*
 Writes the number of streams of all the set's files to `*out`. Streams are numbered
 from 0 in presentation order: video, then audio, then captions.

 Thread safety: may overlap other calls that only read the input.

 # Safety
 `input` is NULL or a live handle; `out` NULL or writable.
 */
ssf_status ssf_input_stream_count(const struct ssf_input *input, size_t *out);

/*
 Writes what stream `index` carries to `*out`.

 Thread safety: may overlap other calls that only read the input.

 # Safety
 `input` is NULL or a live handle; `out` NULL or writable.
 */
ssf_status ssf_input_stream_kind(const struct ssf_input *input, size_t index, ssf_media_kind *out);

/*
 Writes the ticks per second of stream `index`'s sample times to `*out` (its
 configuration from `ssf_input_stream_config` carries it already).

 Thread safety: may overlap other calls that only read the input.

 # Safety
 `input` is NULL or a live handle; `out` NULL or writable.
 */
ssf_status ssf_input_stream_timescale(const struct ssf_input *input, size_t index, uint32_t *out);

/*
 Makes the configuration of stream `index` in `*out`, ready to add to a writer: codec
 configuration, timescale, language, StreamIndex name (streams a player can switch
 between share one) and the given bit rate (0: measured; set it from
 `ssf_input_stream_bitrate` once the samples are read). For captions,
 `parent_stream` is the writer's number of the video stream they belong to (ignored
 for other streams). Free with `ssf_stream_config_free`.

 Thread safety: may overlap other calls that only read the input.

 # Safety
 `input` is NULL or a live handle; `out` valid for writing a pointer.
 */
ssf_status ssf_input_stream_config(const struct ssf_input *input,
                                   size_t index,
                                   uint32_t parent_stream,
                                   struct ssf_stream_config **out);

/*
 Writes stream `index`'s bit rate to `*out`: the one given (`FILE@BITRATE`), or the
 one measured from its size and duration. Raw H.264 and ADTS are measured as they are
 read: until every sample has been read this fails with `SSF_STATUS_INVALID_STATE`.

 Thread safety: may overlap other calls that only read the input.

 # Safety
 `input` is NULL or a live handle; `out` NULL or writable.
 */
ssf_status ssf_input_stream_bitrate(const struct ssf_input *input, size_t index, uint32_t *out);

/*
 Reads the next sample of all streams in decode order: `*has_sample` says whether there
 was one; if so `*stream` is its stream's index and `*sample` the sample (its
 `struct_size` set, no protected ranges), its bytes owned by the input and valid until
 the next call on it. Streams are shifted so that they all start presenting together;
 a captions sample should be flushed into a fragment of its own
 (`ssf_vod_writer_flush`).

 Thread safety: calls on one handle must not overlap; a call that finds a handle it is
 given in use by another thread returns `SSF_STATUS_BUSY` and does nothing.

 # Safety
 `input` is NULL or a live handle; `has_sample`, `stream` and `sample` valid for writes.
 */
ssf_status ssf_input_next_sample(struct ssf_input *input,
                                 bool *has_sample,
                                 size_t *stream,
                                 struct ssf_sample *sample);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* SSF_H */
