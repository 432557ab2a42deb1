/* Control socket server: serves the command grammar to usnetctl over a unix
 * stream socket without ever blocking the daemon's main loop.
 *
 * Design note. Protocol (all integers big-endian):
 *   request:  u8 flags (bit0 = JSON output), u32 argc (1..256), then per
 *             argument u32 length (0..4096) and that many bytes (no NUL);
 *   response: u8 status (0 = ok, 1 = error), u32 length, then the command's
 *             output (ok) or the one-line error message (error).
 * The server closes the connection after the response.
 *
 * Streaming replies (`capture`, the only command that streams): instead of
 * the response above, a sequence of records, each u8 type, u32 length and
 * that many bytes:
 *   0x10 START  the "listening on ..." banner (text);
 *   0x11 DATA   output for the client to write as is: the pcap file header,
 *               pcap records, or text / JSON lines;
 *   0x12 END    u8 exit code (0 normal end, 1 abnormal: device deleted,
 *               daemon stopping), then the summary text; the server closes.
 * A capture that cannot start answers with the ordinary error response.
 * The client stops a capture by shutting down its sending side (the server
 * then ends the stream with END) or by closing the connection. Records are
 * queued per client up to CTL_STREAM_SOFT bytes; beyond that the capture's
 * own bounded queue fills and counts drops. A streaming client whose
 * pending output does not move for CTL_STREAM_STALL_MS is dropped.
 *
 * Everything is non-blocking. ctl_server_fd() is an epoll fd of our own that
 * holds the listening socket, every client socket and a timerfd, so the
 * daemon watches one fd and ctl_server_handle() serves whatever is ready:
 * a client that sends half a request or never reads its answer only holds a
 * slot until its deadline, never the main loop. At most CTL_CLIENTS_MAX
 * clients are served at once; beyond that new connections wait in the
 * listen backlog. Control thread only. */
#include "ctl/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util.h"
#include "ctl/capture.h"
#include "ctl/cmd.h"
#include "ctl/out.h"

#define CTL_CLIENTS_MAX 32u
#define CTL_ARGS_MAX 256u
#define CTL_ARG_LEN_MAX 4096u
#define CTL_REQ_MAX (5u + CTL_ARGS_MAX * (4u + CTL_ARG_LEN_MAX))
#define CTL_TIMEOUT_MS 5000u
#define CTL_ERR_LEN 256
#define CTL_STREAM_SOFT (1u << 20)   /* output queued before pausing a capture */
#define CTL_STREAM_STALL_MS 30000u
#define CTL_STREAM_POLL_MS 20u       /* how often running captures are drained */

/* Stream record types. */
enum { STREAM_START = 0x10, STREAM_DATA = 0x11, STREAM_END = 0x12 };

struct ctl_client {
	int fd;
	uint64_t deadline_ms;
	/* request being read */
	uint8_t *in;
	size_t in_len, in_cap;
	/* response being written: 5-byte header, then body */
	bool writing;
	uint8_t hdr[5];
	char *body;
	size_t body_len, sent;
	/* streaming reply (capture) */
	bool stream;
	bool rd_eof;              /* the client shut down its sending side */
	uint32_t ev;              /* epoll interest now registered */
	struct cap_session *cap;  /* NULL once END is queued */
	enum cap_end end;         /* why the stream ends; CAP_RUNNING while not */
	uint8_t *obuf;
	size_t olen, ocap, osent;
	uint64_t progress_ms;     /* last time pending output moved */
};

static struct {
	int lfd, epfd, tfd;
	bool listening;           /* lfd is in the epoll set */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_client *cl[CTL_CLIENTS_MAX];
	unsigned ncl;
} srv = { .lfd = -1, .epfd = -1, .tfd = -1 };

/* epoll data: clients by slot index; these two mark the others. */
#define TAG_LISTEN 0xfffffff0u
#define TAG_TIMER 0xfffffff1u

static int ep_set(int op, int fd, uint32_t events, uint32_t tag)
{
	struct epoll_event ev = { .events = events, .data.u32 = tag };

	return epoll_ctl(srv.epfd, op, fd, &ev);
}

/* Is there a live daemon behind an existing socket file? */
static bool socket_in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool used;

	if (fd < 0)
		return false;
	used = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return used;
}

static int start_fail(char *err, int e, const char *what)
{
	snprintf(err, CTL_ERR_LEN, "control socket %s: %s: %s", srv.path, what,
		 strerror(e));
	ctl_server_stop();
	return -e;
}

/* Remove a stale socket file; refuse to touch anything else. */
static int clear_stale(const struct sockaddr_un *sa, char *err)
{
	struct stat st;

	if (lstat(srv.path, &st) < 0)
		return errno == ENOENT ? 0 : start_fail(err, errno, "stat");
	if (!S_ISSOCK(st.st_mode))
		return start_fail(err, EEXIST, "exists and is not a socket");
	if (socket_in_use(sa))
		return start_fail(err, EADDRINUSE, "another daemon is listening");
	if (unlink(srv.path) < 0)
		return start_fail(err, errno, "cannot remove stale socket");
	return 0;
}

int ctl_server_start(const char *path, char *err)
{
	struct sockaddr_un sa;
	mode_t old_mask;
	int rc;

	if (srv.lfd >= 0) {
		snprintf(err, CTL_ERR_LEN, "control socket already started");
		return -EBUSY;
	}
	if (strlen(path) == 0 || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, CTL_ERR_LEN, "control socket path '%.64s' is empty or too long (max %zu)",
			 path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	strcpy(srv.path, path);
	rc = clear_stale(&sa, err);
	if (rc < 0)
		return rc;
	srv.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv.lfd < 0)
		return start_fail(err, errno, "socket");
	old_mask = umask(0177);
	rc = bind(srv.lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (rc < 0)
		return start_fail(err, errno, "bind");
	if (chmod(path, 0600) < 0)
		return start_fail(err, errno, "chmod");
	if (listen(srv.lfd, 64) < 0)
		return start_fail(err, errno, "listen");
	srv.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv.epfd < 0)
		return start_fail(err, errno, "epoll_create1");
	srv.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (srv.tfd < 0)
		return start_fail(err, errno, "timerfd_create");
	if (ep_set(EPOLL_CTL_ADD, srv.lfd, EPOLLIN, TAG_LISTEN) < 0 ||
	    ep_set(EPOLL_CTL_ADD, srv.tfd, EPOLLIN, TAG_TIMER) < 0)
		return start_fail(err, errno, "epoll_ctl");
	srv.listening = true;
	return 0;
}

int ctl_server_fd(void)
{
	return srv.epfd;
}

static void client_close(unsigned slot)
{
	struct ctl_client *c = srv.cl[slot];

	if (!c)
		return;
	close(c->fd); /* also leaves the epoll set */
	cap_stop(c->cap);
	free(c->in);
	free(c->body);
	free(c->obuf);
	free(c);
	srv.cl[slot] = NULL;
	srv.ncl--;
}

static void accept_clients(void)
{
	unsigned slot;
	int fd;

	while (srv.ncl < CTL_CLIENTS_MAX) {
		struct ctl_client *c;

		fd = accept4(srv.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a client that already left */
		for (slot = 0; srv.cl[slot]; slot++)
			;
		c = calloc(1, sizeof(*c));
		if (!c || ep_set(EPOLL_CTL_ADD, fd, EPOLLIN, slot) < 0) {
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->deadline_ms = time_ms() + CTL_TIMEOUT_MS;
		srv.cl[slot] = c;
		srv.ncl++;
	}
}

/* Start sending a response; status 0 ok, 1 error. Takes body (malloc'd). */
static void client_respond(unsigned slot, uint8_t status, char *body,
			   size_t len)
{
	struct ctl_client *c = srv.cl[slot];
	uint32_t n = htonl((uint32_t)len);

	c->hdr[0] = status;
	memcpy(c->hdr + 1, &n, 4);
	c->body = body;
	c->body_len = len;
	c->sent = 0;
	c->writing = true;
	c->deadline_ms = time_ms() + CTL_TIMEOUT_MS;
	free(c->in);
	c->in = NULL;
	c->in_len = c->in_cap = 0;
	if (ep_set(EPOLL_CTL_MOD, c->fd, EPOLLOUT, slot) < 0)
		client_close(slot);
}

static void client_error(unsigned slot, const char *msg)
{
	char *body = strdup(msg);

	if (!body) {
		client_close(slot);
		return;
	}
	client_respond(slot, 1, body, strlen(body));
}

/* ------------------------------------------------ streaming (capture) */

/* Register the epoll interest a streaming client needs now: its reading
 * side until it shuts it down, writability while output is pending. */
static void stream_interest(unsigned slot)
{
	struct ctl_client *c = srv.cl[slot];
	uint32_t ev = (c->rd_eof ? 0 : EPOLLIN | EPOLLRDHUP) |
		      (c->olen > c->osent ? EPOLLOUT : 0);

	if (ev == c->ev)
		return;
	if (ep_set(EPOLL_CTL_MOD, c->fd, ev, slot) < 0) {
		client_close(slot);
		return;
	}
	c->ev = ev;
}

/* Room for a record of up to n body bytes at the end of the output;
 * returns where the body goes, or NULL on no memory. */
static uint8_t *stream_reserve(struct ctl_client *c, size_t n)
{
	if (c->osent && c->osent == c->olen)
		c->olen = c->osent = 0;
	if (c->olen + 5 + n > c->ocap) {
		size_t cap = c->ocap ? c->ocap : 65536;
		uint8_t *nb;

		if (c->osent) { /* move the unsent tail to the front first */
			memmove(c->obuf, c->obuf + c->osent, c->olen - c->osent);
			c->olen -= c->osent;
			c->osent = 0;
		}
		while (c->olen + 5 + n > cap)
			cap *= 2;
		if (cap != c->ocap) {
			nb = realloc(c->obuf, cap);
			if (!nb)
				return NULL;
			c->obuf = nb;
			c->ocap = cap;
		}
	}
	return c->obuf + c->olen + 5;
}

/* Close a record whose body (len bytes) was written after stream_reserve. */
static void stream_commit(struct ctl_client *c, uint8_t type, size_t len)
{
	uint32_t n = htonl((uint32_t)len);

	if (c->olen == c->osent)
		c->progress_ms = time_ms();
	c->obuf[c->olen] = type;
	memcpy(c->obuf + c->olen + 1, &n, 4);
	c->olen += 5 + len;
}

static bool stream_put(struct ctl_client *c, uint8_t type, const void *a,
		       size_t alen, const void *b, size_t blen)
{
	uint8_t *p = stream_reserve(c, alen + blen);

	if (!p)
		return false;
	memcpy(p, a, alen);
	if (blen)
		memcpy(p + alen, b, blen);
	stream_commit(c, type, alen + blen);
	return true;
}

/* Send what the socket takes; closes the client once the stream is over
 * and sent, or when the client is gone. false when the slot was closed. */
static bool stream_flush(unsigned slot)
{
	struct ctl_client *c = srv.cl[slot];

	while (c->osent < c->olen) {
		ssize_t n = send(c->fd, c->obuf + c->osent, c->olen - c->osent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			client_close(slot);
			return false;
		}
		c->osent += (size_t)n;
		c->progress_ms = time_ms();
	}
	if (!c->cap && c->osent == c->olen) {
		client_close(slot); /* END sent */
		return false;
	}
	stream_interest(slot);
	return srv.cl[slot] != NULL;
}

/* Queue END with the summary and free the capture. */
static void stream_finish(unsigned slot)
{
	struct ctl_client *c = srv.cl[slot];
	uint8_t code = c->end == CAP_END_GONE || c->end == CAP_END_SHUTDOWN;
	char sum[512];

	cap_summary(c->cap, c->end, sum, sizeof(sum));
	cap_stop(c->cap);
	c->cap = NULL;
	if (!stream_put(c, STREAM_END, &code, 1, sum, strlen(sum)))
		client_close(slot);
}

/* Move captured packets into the client's output and end the stream when
 * its capture is over. */
static void stream_pump(unsigned slot)
{
	struct ctl_client *c = srv.cl[slot];
	struct cap_session *s = c->cap;
	enum cap_end why;
	bool empty = false;

	if (!s) {
		stream_flush(slot);
		return;
	}
	why = cap_done(s, time_ms());
	if (c->end == CAP_RUNNING)
		c->end = why;
	/* An ending capture takes no new frames (after the grace period in
	 * cap_detach every frame the hook saw is queued), then drains. */
	if (c->end != CAP_RUNNING)
		cap_detach(s);
	while (c->olen - c->osent < CTL_STREAM_SOFT &&
	       cap_done(s, time_ms()) != CAP_END_COUNT) {
		struct cap_rec *r = cap_pop(s);
		uint8_t *p;

		if (!r) {
			empty = true;
			break;
		}
		p = stream_reserve(c, cap_rec_out_max(s, r));
		if (!p) {
			cap_rec_free(s, r);
			client_close(slot);
			return;
		}
		stream_commit(c, STREAM_DATA, cap_rec_format(s, r, p));
		cap_rec_free(s, r);
		cap_delivered(s);
	}
	if (cap_done(s, time_ms()) == CAP_END_COUNT)
		c->end = CAP_END_COUNT;
	if (c->end != CAP_RUNNING &&
	    (empty || c->end == CAP_END_COUNT || c->end == CAP_END_SHUTDOWN))
		stream_finish(slot);
	if (srv.cl[slot])
		stream_flush(slot);
}

/* Readable streaming client: it has nothing more to say, so data is
 * ignored; EOF asks to stop; errors close. */
static void stream_read(unsigned slot)
{
	struct ctl_client *c = srv.cl[slot];
	uint8_t scratch[256];

	for (;;) {
		ssize_t n = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			client_close(slot);
			return;
		}
		c->rd_eof = true;
		if (c->end == CAP_RUNNING)
			c->end = CAP_END_CLIENT;
		stream_pump(slot);
		return;
	}
}

static void stream_event(unsigned slot, uint32_t events)
{
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		stream_read(slot);
		if (!srv.cl[slot])
			return;
	}
	if (events & EPOLLOUT)
		stream_flush(slot);
}

/* `capture ...`: start a capture and turn the connection into a stream. */
static void stream_start(unsigned slot, int argc, char **argv, bool json)
{
	struct ctl_client *c = srv.cl[slot];
	uint8_t fhdr[CAP_PCAP_FILE_HDR];
	char err[CTL_ERR_LEN], banner[256];
	struct cap_opts o;

	if (cap_parse(argc, argv, json, &o, err) < 0 ||
	    !(c->cap = cap_start(&o, err))) {
		client_error(slot, err);
		return;
	}
	free(c->in);
	c->in = NULL;
	c->in_len = c->in_cap = 0;
	c->stream = true;
	c->ev = EPOLLIN;
	c->progress_ms = time_ms();
	cap_banner(c->cap, banner, sizeof(banner));
	cap_pcap_file_header(fhdr, o.snaplen);
	if (!stream_put(c, STREAM_START, banner, strlen(banner), NULL, 0) ||
	    (o.format == CAP_FMT_PCAP &&
	     !stream_put(c, STREAM_DATA, fhdr, sizeof(fhdr), NULL, 0))) {
		client_close(slot);
		return;
	}
	stream_flush(slot);
}

enum { REQ_PARTIAL, REQ_DONE, REQ_BAD };

/* Check the bytes received so far: complete, incomplete, or invalid (with
 * a reason in err). */
static int req_scan(const uint8_t *b, size_t len, uint32_t *argc, char *err)
{
	size_t off = 5;
	uint32_t i, n;

	if (len >= 1 && (b[0] & ~1u)) {
		snprintf(err, CTL_ERR_LEN, "bad request: unknown flags 0x%02x", b[0]);
		return REQ_BAD;
	}
	if (len < 5)
		return REQ_PARTIAL;
	memcpy(&n, b + 1, 4);
	*argc = ntohl(n);
	if (*argc == 0 || *argc > CTL_ARGS_MAX) {
		snprintf(err, CTL_ERR_LEN, "bad request: %u arguments (1..%u)",
			 *argc, CTL_ARGS_MAX);
		return REQ_BAD;
	}
	for (i = 0; i < *argc; i++) {
		if (len < off + 4)
			return REQ_PARTIAL;
		memcpy(&n, b + off, 4);
		n = ntohl(n);
		if (n > CTL_ARG_LEN_MAX) {
			snprintf(err, CTL_ERR_LEN,
				 "bad request: argument %u is %u bytes (max %u)",
				 i + 1, n, CTL_ARG_LEN_MAX);
			return REQ_BAD;
		}
		if (memchr(b + off + 4, '\0', MIN((size_t)n, len - off - 4))) {
			snprintf(err, CTL_ERR_LEN,
				 "bad request: argument %u contains a NUL byte", i + 1);
			return REQ_BAD;
		}
		off += 4 + n;
		if (len < off)
			return REQ_PARTIAL;
	}
	if (len > off) {
		snprintf(err, CTL_ERR_LEN, "bad request: %zu trailing bytes", len - off);
		return REQ_BAD;
	}
	return REQ_DONE;
}

/* Run a complete request and queue the response. */
static void client_exec(unsigned slot, uint32_t argc)
{
	struct ctl_client *c = srv.cl[slot];
	char **argv = calloc(argc, sizeof(*argv));
	char *strs = malloc(c->in_len);  /* room for all args + NULs */
	char err[CTL_ERR_LEN] = "";
	struct ctl_out out;
	size_t off = 5, pos = 0;
	uint32_t i, n;
	int rc;

	if (!argv || !strs) {
		free(argv);
		free(strs);
		client_error(slot, "out of memory");
		return;
	}
	for (i = 0; i < argc; i++) {
		memcpy(&n, c->in + off, 4);
		n = ntohl(n);
		argv[i] = strs + pos;
		memcpy(strs + pos, c->in + off + 4, n);
		strs[pos + n] = '\0';
		pos += n + 1;
		off += 4 + n;
	}
	if (strcmp(argv[0], "capture") == 0) {
		stream_start(slot, (int)argc, argv, c->in[0] & 1);
		free(argv);
		free(strs);
		return;
	}
	out_init(&out, c->in[0] & 1);
	rc = ctl_exec((int)argc, argv, &out, err);
	free(argv);
	free(strs);
	cap_check_devices(); /* the command may have deleted captured devices */
	if (rc < 0 || out.len > UINT32_MAX / 2) {
		out_fini(&out);
		client_error(slot, rc < 0 ? err : "output too large");
		return;
	}
	client_respond(slot, 0, out.buf, out.len);
}

static void client_read(unsigned slot)
{
	struct ctl_client *c = srv.cl[slot];
	char err[CTL_ERR_LEN];
	uint32_t argc = 0;
	ssize_t n;
	int st;

	for (;;) {
		if (c->in_len == c->in_cap) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 4096;
			uint8_t *nb;

			if (cap > CTL_REQ_MAX + 1)
				cap = CTL_REQ_MAX + 1;
			if (cap <= c->in_len) {
				client_error(slot, "bad request: too large");
				return;
			}
			nb = realloc(c->in, cap);
			if (!nb) {
				client_error(slot, "out of memory");
				return;
			}
			c->in = nb;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_close(slot); /* left before finishing its request */
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* wait for more */
		}
		c->in_len += (size_t)n;
		st = req_scan(c->in, c->in_len, &argc, err);
		if (st == REQ_BAD) {
			client_error(slot, err);
			return;
		}
		if (st == REQ_DONE) {
			client_exec(slot, argc);
			return;
		}
	}
}

static void client_write(unsigned slot)
{
	struct ctl_client *c = srv.cl[slot];
	size_t total = 5 + c->body_len;

	while (c->sent < total) {
		struct iovec iov[2];
		struct msghdr mh = { .msg_iov = iov };
		ssize_t n;

		if (c->sent < 5) {
			iov[0].iov_base = c->hdr + c->sent;
			iov[0].iov_len = 5 - c->sent;
			iov[1].iov_base = c->body;
			iov[1].iov_len = c->body_len;
			mh.msg_iovlen = c->body_len ? 2 : 1;
		} else {
			iov[0].iov_base = c->body + (c->sent - 5);
			iov[0].iov_len = total - c->sent;
			mh.msg_iovlen = 1;
		}
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			client_close(slot);
			return;
		}
		c->sent += (size_t)n;
		c->deadline_ms = time_ms() + CTL_TIMEOUT_MS;
	}
	client_close(slot);
}

/* Close clients past their deadline and arm the timer for the next one. */
static void reap_and_arm(void)
{
	struct itimerspec its;
	uint64_t now = time_ms(), next = 0, d;
	unsigned i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *c = srv.cl[i];
		uint64_t due;

		if (!c)
			continue;
		if (c->stream) {
			if (c->olen > c->osent &&
			    now - c->progress_ms >= CTL_STREAM_STALL_MS) {
				client_close(i); /* not reading its capture */
				continue;
			}
			due = now + CTL_STREAM_POLL_MS;
		} else {
			if (c->deadline_ms <= now) {
				client_close(i);
				continue;
			}
			due = c->deadline_ms;
		}
		if (!next || due < next)
			next = due;
	}
	memset(&its, 0, sizeof(its));
	if (next) {
		d = next - now;
		its.it_value.tv_sec = (time_t)(d / 1000);
		its.it_value.tv_nsec = (long)(d % 1000) * 1000000L + 1;
	}
	timerfd_settime(srv.tfd, 0, &its, NULL);
}

/* Keep the listening socket in the epoll set only while a slot is free. */
static void update_listening(void)
{
	bool want = srv.ncl < CTL_CLIENTS_MAX;

	if (want == srv.listening)
		return;
	if (ep_set(want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, srv.lfd, EPOLLIN,
		   TAG_LISTEN) == 0)
		srv.listening = want;
}

void ctl_server_handle(void)
{
	struct epoll_event ev[CTL_CLIENTS_MAX + 2];
	uint64_t ticks;
	int n, i;

	if (srv.epfd < 0)
		return;
	n = epoll_wait(srv.epfd, ev, (int)ARRAY_SIZE(ev), 0);
	for (i = 0; i < n; i++) {
		uint32_t tag = ev[i].data.u32;

		if (tag == TAG_LISTEN) {
			accept_clients();
		} else if (tag == TAG_TIMER) {
			if (read(srv.tfd, &ticks, sizeof(ticks)) < 0)
				ticks = 0;
		} else if (tag < CTL_CLIENTS_MAX && srv.cl[tag]) {
			if (srv.cl[tag]->stream)
				stream_event(tag, ev[i].events);
			else if (srv.cl[tag]->writing)
				client_write(tag);
			else
				client_read(tag);
		}
	}
	cap_check_devices();
	for (i = 0; i < (int)CTL_CLIENTS_MAX; i++)
		if (srv.cl[i] && srv.cl[i]->stream)
			stream_pump((unsigned)i);
	reap_and_arm();
	update_listening();
}

void ctl_server_stop(void)
{
	unsigned i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *c = srv.cl[i];

		if (c && c->stream && c->cap) { /* tell it why, if it listens */
			c->end = CAP_END_SHUTDOWN;
			stream_pump(i);
		}
		client_close(i);
	}
	if (srv.lfd >= 0) {
		close(srv.lfd);
		if (srv.path[0])
			unlink(srv.path);
	}
	if (srv.epfd >= 0)
		close(srv.epfd);
	if (srv.tfd >= 0)
		close(srv.tfd);
	srv.lfd = srv.epfd = srv.tfd = -1;
	srv.listening = false;
	srv.path[0] = '\0';
}
