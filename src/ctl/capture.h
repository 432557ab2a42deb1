/* Packet capture on any device (`usnetctl capture dev NAME ...`): the
 * device hook that copies frames into a bounded per-session queue, and the
 * formats (pcap records, one-line decodes) the control server streams to
 * the client. Design note in capture.c. */
#ifndef USNET_CTL_CAPTURE_H
#define USNET_CTL_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/dev.h"

#define CAP_SESSIONS_MAX 16u         /* captures running at once */
#define CAP_SNAPLEN_MAX 262144u      /* tcpdump's default snapshot length */
#define CAP_BUF_BYTES (16u << 20)    /* default queue budget per session */
#define CAP_RING_SLOTS 8192u         /* queue records per session (2^n) */
#define CAP_PCAP_FILE_HDR 24u
#define CAP_PCAP_REC_HDR 16u
#define CAP_LINE_MAX 1024u           /* a text or JSON line, newline included */

struct ctl_out;

enum cap_format { CAP_FMT_TEXT, CAP_FMT_JSON, CAP_FMT_PCAP };

struct cap_opts {
	struct dev *dev;
	uint64_t count;          /* stop after this many packets, 0 = never */
	uint64_t timeout_ms;     /* stop after this long, 0 = never */
	uint32_t snaplen;        /* bytes kept per packet (1..CAP_SNAPLEN_MAX) */
	size_t buf_bytes;        /* queue budget (bytes of copies) */
	enum cap_format format;
};

/* Why a session ended (cap_done). */
enum cap_end {
	CAP_RUNNING = 0,
	CAP_END_COUNT,           /* -c N packets delivered */
	CAP_END_TIMEOUT,
	CAP_END_GONE,            /* the device was deleted */
	CAP_END_CLIENT,          /* the client asked to stop (Ctrl-C) */
	CAP_END_SHUTDOWN,        /* usnet is shutting down */
};

/* One captured frame, as queued by the hook. Freed with cap_rec_free. */
struct cap_rec {
	uint64_t ts_ns;          /* CLOCK_REALTIME when the hook saw it */
	uint32_t orig_len;       /* frame length on the wire */
	uint32_t caplen;         /* bytes in data (<= snaplen) */
	uint8_t dir;             /* 0 received, 1 transmitted */
	uint8_t data[];
};

struct cap_session;

/* Parse `capture dev NAME [-c N|count N] [--timeout S|timeout S]
 * [-s N|snaplen N] [format text|pcap]` (argv[0] is "capture"); json picks
 * JSON lines for the text format. 0, or -1 with err (size 256) naming the
 * bad word. Control thread. */
int cap_parse(int argc, char **argv, bool json, struct cap_opts *o,
	      char *err);

/* Start capturing on o->dev: publishes the hook on the device (RCU).
 * Returns the session, or NULL with err (size 256). Control thread. */
struct cap_session *cap_start(const struct cap_opts *o, char *err);

/* Stop and free a session: unpublishes it from its device (if the device
 * still exists), waits for an RCU grace period, frees queued records.
 * Control thread. */
void cap_stop(struct cap_session *s);

/* Stop receiving frames (unpublish; RCU grace period) but keep the queue
 * for draining; cap_stop frees. Idempotent. Control thread. */
void cap_detach(struct cap_session *s);

/* Notice deleted devices: sessions on a device that is no longer
 * registered end with CAP_END_GONE (the device is never touched again).
 * Call after every command that may delete devices and before using
 * sessions. Control thread. */
void cap_check_devices(void);

/* Number of sessions running. Control thread. */
unsigned cap_sessions(void);

/* The next queued frame, or NULL when the queue is empty. The caller owns
 * the record (cap_rec_free). Control thread (single consumer). */
struct cap_rec *cap_pop(struct cap_session *s);
void cap_rec_free(struct cap_session *s, struct cap_rec *r);

/* Count a record as delivered to the client (for -c N and the summary). */
void cap_delivered(struct cap_session *s);

/* CAP_RUNNING, or why the session is over (count reached, timeout at
 * now_ms (monotonic), device gone). Control thread. */
enum cap_end cap_done(const struct cap_session *s, uint64_t now_ms);

const struct cap_opts *cap_session_opts(const struct cap_session *s);
/* Name of the captured device (kept by the session; valid after deletion). */
const char *cap_dev_name(const struct cap_session *s);

/* Counters: frames the hook saw, frames it could not queue (buffer full,
 * no memory), frames delivered. Any thread. */
struct cap_counts {
	uint64_t seen, dropped, delivered;
};
void cap_counts(const struct cap_session *s, struct cap_counts *c);

/* Format one record for the client: a pcap record (header + data) or one
 * text / JSON line ending in '\n'. dst must hold cap_rec_out_max(s, r)
 * bytes. Returns the bytes written. Control thread. */
size_t cap_rec_out_max(const struct cap_session *s, const struct cap_rec *r);
size_t cap_rec_format(const struct cap_session *s, const struct cap_rec *r,
		      uint8_t *dst);

/* "listening on ..." line (no newline) into buf (size n). */
void cap_banner(const struct cap_session *s, char *buf, size_t n);
/* End summary: reason line, then captured / received / dropped lines
 * (newline terminated) into buf (size n). */
void cap_summary(const struct cap_session *s, enum cap_end why, char *buf,
		 size_t n);

/* Classic pcap (LINKTYPE_ETHERNET, microsecond timestamps, host byte order
 * as libpcap writes it) file header and record header. Any thread. */
void cap_pcap_file_header(uint8_t dst[CAP_PCAP_FILE_HDR], uint32_t snaplen);
void cap_pcap_rec_header(uint8_t dst[CAP_PCAP_REC_HDR], uint64_t ts_ns,
			 uint32_t caplen, uint32_t orig_len);

/* Short decode of an Ethernet frame (caplen bytes of it) into buf (size n):
 * "IPv4 10.0.0.1 > 10.0.0.2 ICMP echo request id 1 seq 2", "ARP ...",
 * "IPv6 ...", or what is known of other or truncated frames. Never reads
 * beyond caplen. Any thread. */
void cap_decode(const uint8_t *frame, uint32_t caplen, char *buf, size_t n);

/* The device hook itself (dev_capture_fn), exposed for tests. Worker
 * threads (and the control thread), inside an RCU read side. */
void cap_hook(struct dev *d, const struct pkt *p, int dir);

/* `capture` reached through ctl_exec (config file): explains that capture
 * streams over the control socket. Always -1 with err. */
int cap_cmd(int argc, char **argv, struct ctl_out *out, char *err);

#endif
