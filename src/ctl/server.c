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
#include "ctl/cmd.h"
#include "ctl/out.h"

#define CTL_CLIENTS_MAX 32u
#define CTL_ARGS_MAX 256u
#define CTL_ARG_LEN_MAX 4096u
#define CTL_REQ_MAX (5u + CTL_ARGS_MAX * (4u + CTL_ARG_LEN_MAX))
#define CTL_TIMEOUT_MS 5000u
#define CTL_ERR_LEN 256

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
	free(c->in);
	free(c->body);
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
	out_init(&out, c->in[0] & 1);
	rc = ctl_exec((int)argc, argv, &out, err);
	free(argv);
	free(strs);
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
		if (!srv.cl[i])
			continue;
		if (srv.cl[i]->deadline_ms <= now) {
			client_close(i);
			continue;
		}
		if (!next || srv.cl[i]->deadline_ms < next)
			next = srv.cl[i]->deadline_ms;
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
			if (srv.cl[tag]->writing)
				client_write(tag);
			else
				client_read(tag);
		}
	}
	reap_and_arm();
	update_listening();
}

void ctl_server_stop(void)
{
	unsigned i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		client_close(i);
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
