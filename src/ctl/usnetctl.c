/* usnetctl: command-line client of the usnet control socket.
 *   usnetctl [-s PATH] [-j] CMD...
 * Sends the words of CMD (protocol in src/ctl/server.c), prints the daemon's
 * output on stdout. Exit status: 0 success, 1 command failed (the daemon's
 * error on stderr) or bad usage, 2 cannot reach the daemon. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCK "/run/usnet.sock"
#define ARGS_MAX 256
#define ARG_LEN_MAX 4096
#define REPLY_TIMEOUT_S 120

static void usage(FILE *f)
{
	fprintf(f,
		"usage: usnetctl [-s PATH] [-j] CMD...\n"
		"  -s PATH  control socket (default " DEFAULT_SOCK ")\n"
		"  -j       JSON output\n"
		"  CMD      a command of the usnet grammar; 'usnetctl help' lists them\n");
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
