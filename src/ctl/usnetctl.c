/* usnetctl: command-line client of the usnet control socket.
 *   usnetctl [-s PATH] [-j] CMD...
 *   usnetctl [-s PATH] [-j] capture dev NAME [-c N] [-w FILE] [--timeout S]
 *            [-s SNAPLEN]
 * Sends the words of CMD (protocol in src/ctl/server.c), prints the daemon's
 * output on stdout. `capture` is streamed: packets are written to FILE
 * (pcap; "-" for stdout) or printed one per line until the daemon ends the
 * stream (count, timeout, device deleted) or Ctrl-C, which asks the daemon
 * to stop and prints its summary. Exit status: 0 success, 1 command failed
 * (the daemon's error on stderr), bad usage or an abnormal end of a
 * capture, 2 cannot reach the daemon. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SOCK "/run/usnet.sock"
#define ARGS_MAX 256
#define MIN_SZ(a, b) ((a) < (b) ? (a) : (b))
#define ARG_LEN_MAX 4096
#define REPLY_TIMEOUT_S 120
#define CAPTURE_END_WAIT_MS 5000 /* for END after asking the daemon to stop */

/* Stream record types (see src/ctl/server.c). */
enum { STREAM_START = 0x10, STREAM_DATA = 0x11, STREAM_END = 0x12 };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: usnetctl [-s PATH] [-j] CMD...\n"
		"  -s PATH  control socket (default " DEFAULT_SOCK ")\n"
		"  -j       JSON output\n"
		"  CMD      a command of the usnet grammar; 'usnetctl help' lists them\n"
		"capture:  usnetctl capture dev NAME [-c N] [-w FILE|-] [--timeout S] [-s SNAPLEN]\n"
		"  -c N     stop after N packets        -w FILE  write a pcap file (- = stdout)\n"
		"  --timeout S  stop after S seconds    -s N     bytes kept per packet\n"
		"  Ctrl-C stops; without -w one line per packet (JSON lines with -j).\n");
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads exactly len bytes; 0, or -1 on error / early EOF. */
static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int connect_daemon(const char *path)
{
	struct sockaddr_un sa;
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usnetctl: socket path '%s' is too long\n", path);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "usnetctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr,
			"usnetctl: cannot connect to the usnet daemon at %s: %s\n",
			path, strerror(errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static int send_request(int fd, bool json, int argc, char **argv)
{
	uint8_t hdr[5];
	uint32_t n;
	int i;

	hdr[0] = json ? 1 : 0;
	n = htonl((uint32_t)argc);
	memcpy(hdr + 1, &n, 4);
	if (write_all(fd, hdr, 5) < 0)
		return -1;
	for (i = 0; i < argc; i++) {
		size_t len = strlen(argv[i]);

		n = htonl((uint32_t)len);
		if (write_all(fd, &n, 4) < 0 || write_all(fd, argv[i], len) < 0)
			return -1;
	}
	return 0;
}

/* Reads the reply; returns the exit status. */
static int read_reply(int fd)
{
	uint8_t hdr[5];
	uint32_t n;
	char *body;
	FILE *f;

	errno = 0;
	if (read_all(fd, hdr, 5) < 0) {
		fprintf(stderr, "usnetctl: no reply from the daemon (%s)\n",
			errno ? strerror(errno) : "connection closed");
		return 2;
	}
	memcpy(&n, hdr + 1, 4);
	n = ntohl(n);
	body = malloc((size_t)n + 1);
	if (!body) {
		fprintf(stderr, "usnetctl: out of memory for a %u-byte reply\n", n);
		return 1;
	}
	if (read_all(fd, body, n) < 0) {
		fprintf(stderr, "usnetctl: truncated reply from the daemon\n");
		free(body);
		return 2;
	}
	body[n] = '\0';
	/* Output (JSON has none of its own) and errors end with a newline. */
	f = hdr[0] == 0 ? stdout : stderr;
	fwrite(body, 1, n, f);
	if (n > 0 && body[n - 1] != '\n')
		fputc('\n', f);
	free(body);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "usnetctl: write error: %s\n", strerror(errno));
		return 1;
	}
	return hdr[0] == 0 ? 0 : 1;
}


/* ------------------------------------------------------------- capture */

static volatile sig_atomic_t stop_signals;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_signals++;
}

struct cap_cl {
	int fd;
	const char *wpath;      /* -w FILE, or NULL: lines on stdout */
	FILE *out;
	sigset_t waitmask;      /* mask while waiting: stop signals open */
	bool shut;              /* asked the daemon to stop */
	long shut_deadline_ms;
	uint8_t buf[65536];     /* received bytes not consumed yet */
	size_t r, w;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the socket is readable, turning stop signals into a request
 * to stop. 0 readable, -1 error (printed), -2 abort now. */
static int cap_wait(struct cap_cl *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	for (;;) {
		struct timespec ts, *tp = NULL;
		long left;
		int n;

		if (stop_signals >= 2)
			return -2;
		if (stop_signals && !c->shut) {
			c->shut = true;
			c->shut_deadline_ms = now_ms() + CAPTURE_END_WAIT_MS;
			shutdown(c->fd, SHUT_WR); /* the daemon ends the stream */
		}
		if (c->shut) {
			left = c->shut_deadline_ms - now_ms();
			if (left <= 0) {
				fprintf(stderr, "usnetctl: capture: the daemon did not end the capture\n");
				return -1;
			}
			ts.tv_sec = left / 1000;
			ts.tv_nsec = left % 1000 * 1000000;
			tp = &ts;
		}
		n = ppoll(&pfd, 1, tp, &c->waitmask);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "usnetctl: capture: poll: %s\n", strerror(errno));
			return -1;
		}
	}
}

/* Read exactly len bytes of the stream. 0, -1 error or early EOF (printed),
 * -2 abort. Output is flushed before waiting, so files are complete
 * whenever the capture is idle. */
static int cap_read(struct cap_cl *c, void *dst, size_t len)
{
	uint8_t *p = dst;

	while (len > 0) {
		size_t k = MIN_SZ(len, c->w - c->r);
		ssize_t n;
		int rc;

		if (k) {
			memcpy(p, c->buf + c->r, k);
			c->r += k;
			p += k;
			len -= k;
			continue;
		}
		if (c->out)
			fflush(c->out);
		rc = cap_wait(c);
		if (rc < 0)
			return rc;
		n = recv(c->fd, c->buf, sizeof(c->buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			fprintf(stderr, "usnetctl: capture: %s\n",
				n == 0 ? "the daemon closed the connection before the end"
				       : strerror(errno));
			return -1;
		}
		c->r = 0;
		c->w = (size_t)n;
	}
	return 0;
}

/* The body of a record of len bytes (malloc'd, NUL terminated) or NULL. */
static char *cap_body(struct cap_cl *c, uint32_t len, int *rc)
{
	char *b = malloc((size_t)len + 1);

	if (!b) {
		fprintf(stderr, "usnetctl: out of memory for a %u-byte record\n", len);
		*rc = -1;
		return NULL;
	}
	*rc = cap_read(c, b, len);
	if (*rc < 0) {
		free(b);
		return NULL;
	}
	b[len] = '\0';
	return b;
}

/* Print a text body on stderr with a final newline. */
static void cap_note(const char *b, uint32_t len)
{
	fwrite(b, 1, len, stderr);
	if (len && b[len - 1] != '\n')
		fputc('\n', stderr);
}

static int cap_open_out(struct cap_cl *c)
{
	if (!c->wpath || strcmp(c->wpath, "-") == 0) {
		c->out = stdout;
		return 0;
	}
	c->out = fopen(c->wpath, "wb");
	if (!c->out) {
		fprintf(stderr, "usnetctl: capture: cannot open %s: %s\n", c->wpath,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* One record; returns -1 to go on, else the exit status. */
static int cap_record(struct cap_cl *c)
{
	uint8_t hdr[5];
	uint32_t len;
	char *b;
	int rc, st = 1;

	rc = cap_read(c, hdr, 5);
	if (rc < 0)
		return rc == -2 ? 130 : 2;
	memcpy(&len, hdr + 1, 4);
	len = ntohl(len);
	b = cap_body(c, len, &rc);
	if (!b)
		return rc == -2 ? 130 : 2;
	switch (hdr[0]) {
	case STREAM_START:
		cap_note(b, len);
		st = cap_open_out(c) < 0 ? 1 : -1;
		break;
	case STREAM_DATA:
		if (!c->out) {
			fprintf(stderr, "usnetctl: capture: data before the start\n");
			st = 2;
		} else if (fwrite(b, 1, len, c->out) != len) {
			fprintf(stderr, "usnetctl: capture: writing %s: %s\n",
				c->wpath ? c->wpath : "stdout", strerror(errno));
			st = 1;
		} else {
			st = -1;
		}
		break;
	case STREAM_END:
		if (c->out && fflush(c->out) != 0) {
			fprintf(stderr, "usnetctl: capture: writing %s: %s\n",
				c->wpath ? c->wpath : "stdout", strerror(errno));
			st = 1;
		} else {
			st = len && b[0] ? 1 : 0;
		}
		if (len > 1)
			cap_note(b + 1, len - 1);
		break;
	case 0:
	case 1:
		cap_note(b, len); /* the capture did not start: an error */
		st = 1;
		break;
	default:
		fprintf(stderr, "usnetctl: capture: unknown record type 0x%02x\n", hdr[0]);
		st = 2;
	}
	free(b);
	return st < 0 ? -1 : st;
}

/* Words for the daemon: argv without "-w FILE" (kept in c->wpath), plus
 * "format pcap" when writing a file. NULL (printed) on bad usage. */
static char **cap_words(int argc, char **argv, struct cap_cl *c, int *n)
{
	char **v = calloc((size_t)argc + 3, sizeof(*v));
	int k = 0;

	if (!v) {
		fprintf(stderr, "usnetctl: out of memory\n");
		return NULL;
	}
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-w") != 0) {
			v[k++] = argv[i];
			continue;
		}
		if (c->wpath || i + 1 >= argc) {
			fprintf(stderr, "usnetctl: capture: %s\n", c->wpath
				? "-w given twice" : "-w needs a file name (or - for stdout)");
			free(v);
			return NULL;
		}
		c->wpath = argv[++i];
	}
	if (c->wpath) {
		v[k++] = (char *)"format";
		v[k++] = (char *)"pcap";
	}
	*n = k;
	return v;
}

static int run_capture(const char *path, bool json, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	struct cap_cl *c = calloc(1, sizeof(*c));
	sigset_t stops;
	char **words;
	int n = 0, st;

	if (!c) {
		fprintf(stderr, "usnetctl: out of memory\n");
		return 1;
	}
	c->fd = -1;
	words = cap_words(argc, argv, c, &n);
	if (!words) {
		free(c);
		return 1;
	}
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGHUP);
	sigprocmask(SIG_BLOCK, &stops, &c->waitmask); /* open only in ppoll */
	sigdelset(&c->waitmask, SIGINT);
	sigdelset(&c->waitmask, SIGTERM);
	sigdelset(&c->waitmask, SIGHUP);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	c->fd = connect_daemon(path);
	if (c->fd < 0) {
		st = 2;
	} else if (send_request(c->fd, json, n, words) < 0) {
		fprintf(stderr, "usnetctl: sending to the daemon failed: %s\n",
			strerror(errno));
		st = 2;
	} else {
		while ((st = cap_record(c)) < 0)
			;
	}
	if (c->fd >= 0)
		close(c->fd);
	if (c->out && c->out != stdout && fclose(c->out) != 0 && st == 0) {
		fprintf(stderr, "usnetctl: capture: closing %s: %s\n", c->wpath,
			strerror(errno));
		st = 1;
	}
	free(words);
	free(c);
	return st;
}

int main(int argc, char **argv)
{
	const char *path = DEFAULT_SOCK;
	bool json = false;
	int opt, fd, rc, i;

	while ((opt = getopt(argc, argv, "+s:jh")) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	if (argc - optind > ARGS_MAX) {
		fprintf(stderr, "usnetctl: too many words (max %d)\n", ARGS_MAX);
		return 1;
	}
	for (i = optind; i < argc; i++) {
		if (strlen(argv[i]) > ARG_LEN_MAX) {
			fprintf(stderr, "usnetctl: word %d is too long (max %d bytes)\n",
				i - optind + 1, ARG_LEN_MAX);
			return 1;
		}
	}
	if (strcmp(argv[optind], "capture") == 0)
		return run_capture(path, json, argc - optind, argv + optind);
	fd = connect_daemon(path);
	if (fd < 0)
		return 2;
	if (send_request(fd, json, argc - optind, argv + optind) < 0) {
		fprintf(stderr, "usnetctl: sending to the daemon failed: %s\n",
			strerror(errno));
		close(fd);
		return 2;
	}
	rc = read_reply(fd);
	close(fd);
	return rc;
}
