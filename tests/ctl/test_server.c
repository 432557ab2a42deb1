/* Unit tests for the control socket server (src/ctl/server.c): protocol,
 * request bounds, big answers, many and slow clients, stale sockets. The
 * test is client and daemon at once: it writes requests on ordinary
 * sockets and turns the server's crank with ctl_server_handle(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "core/worker.h"
#include "ctl/server.h"
#include "dev/dev.h"
#include "fib/fib.h"
#include "l2/neigh.h"
#include "json_check.h"

static char sock_path[108];

/* A growable byte string. */
struct bytes {
	uint8_t *p;
	size_t n;
};

static void put(struct bytes *b, const void *src, size_t n)
{
	b->p = realloc(b->p, b->n + n + 1);
	memcpy(b->p + b->n, src, n);
	b->n += n;
}

static void put_u32(struct bytes *b, uint32_t v)
{
	v = htonl(v);
	put(b, &v, 4);
}

static struct bytes request(bool json, int argc, const char *const *argv)
{
	struct bytes b = { 0 };
	uint8_t flags = json ? 1 : 0;

	put(&b, &flags, 1);
	put_u32(&b, (uint32_t)argc);
	for (int i = 0; i < argc; i++) {
		put_u32(&b, (uint32_t)strlen(argv[i]));
		put(&b, argv[i], strlen(argv[i]));
	}
	return b;
}

static int client_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, sock_path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Drive the server until fd reaches EOF; returns everything received. */
static struct bytes drain(int fd)
{
	struct bytes b = { 0 };
	uint8_t buf[65536];

	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 20000; i++) {
		ssize_t n;

		ctl_server_handle();
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			put(&b, buf, (size_t)n);
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			return b;
		poll(&(struct pollfd){ .fd = ctl_server_fd(), .events = POLLIN }, 1, 1);
	}
	fail_msg("server never closed the connection");
	return b;
}

/* Send raw bytes; returns the status byte and the body (NUL terminated). */
static int roundtrip_raw(const struct bytes *req, char **body)
{
	int fd = client_connect();
	struct bytes r;
	uint32_t len;
	int status;

	assert_int_equal(send(fd, req->p, req->n, 0), (ssize_t)req->n);
	r = drain(fd);
	close(fd);
	assert_true(r.n >= 5);
	memcpy(&len, r.p + 1, 4);
	len = ntohl(len);
	assert_int_equal(r.n, 5 + (size_t)len);
	status = r.p[0];
	*body = malloc(len + 1);
	memcpy(*body, r.p + 5, len);
	(*body)[len] = '\0';
	free(r.p);
	return status;
}

static int roundtrip(bool json, int argc, const char *const *argv, char **body)
{
	struct bytes req = request(json, argc, argv);
	int st = roundtrip_raw(&req, body);

	free(req.p);
	return st;
}

#define CMD(...) (sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(char *)), \
		 ((const char *const[]){ __VA_ARGS__ })

static int setup(void **state)
{
	char err[256];

	(void)state;
	snprintf(sock_path, sizeof(sock_path), "/tmp/usnet_test_srv_%d.sock", getpid());
	assert_int_equal(fib_init(), 0);
	assert_int_equal(neigh_init(), 0);
	if (ctl_server_start(sock_path, err) != 0)
		fail_msg("start: %s", err);
	return 0;
}

static int teardown(void **state)
{
	struct dev *d;

	(void)state;
	ctl_server_stop();
	while ((d = dev_next(NULL))) {
		worker_detach_dev(d);
		fib_flush_dev(d->ifindex);
		neigh_flush_dev(d);
		dev_unregister(d);
	}
	neigh_fini();
	fib_fini();
	return 0;
}

static void test_basic(void **state)
{
	struct stat st;
	char *body;

	(void)state;
	assert_int_equal(stat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(roundtrip(false, CMD("link", "add", "n0", "type", "null"), &body), 0);
	assert_string_equal(body, "");
	free(body);
	assert_int_equal(roundtrip(false, CMD("link", "show"), &body), 0);
	assert_non_null(strstr(body, ": n0: "));
	free(body);
	assert_int_equal(roundtrip(true, CMD("link", "show"), &body), 0);
	assert_true(json_valid(body));
	assert_non_null(strstr(body, "\"ifname\":\"n0\""));
	free(body);
	assert_int_equal(roundtrip(false, CMD("rout", "show"), &body), 1);
	assert_string_equal(body, "unknown command 'rout' (try 'help')");
	free(body);
	/* a word with a space stays one word */
	assert_int_equal(roundtrip(false, CMD("link", "add", "n 1", "type", "null"), &body), 1);
	assert_non_null(strstr(body, "'n 1'"));
	free(body);
}

static void test_bad_requests(void **state)
{
	struct bytes b = { 0 };
	char *body, big[4098];
	uint8_t flags;

	(void)state;
	/* no arguments */
	flags = 0;
	put(&b, &flags, 1);
	put_u32(&b, 0);
	assert_int_equal(roundtrip_raw(&b, &body), 1);
	assert_non_null(strstr(body, "0 arguments"));
	free(body);
	free(b.p);

	/* too many arguments: refused on the header alone */
	memset(&b, 0, sizeof(b));
	put(&b, &flags, 1);
	put_u32(&b, 257);
	assert_int_equal(roundtrip_raw(&b, &body), 1);
	assert_non_null(strstr(body, "257 arguments"));
	free(body);
	free(b.p);

	/* an argument too long */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(roundtrip(false, CMD("link", big), &body), 1);
	assert_non_null(strstr(body, "argument 2 is 4097 bytes"));
	free(body);
	big[4096] = '\0'; /* 4096 is allowed and reaches the grammar */
	assert_int_equal(roundtrip(false, CMD("link", big), &body), 1);
	assert_non_null(strstr(body, "link: unknown verb"));
	free(body);

	/* NUL inside an argument, unknown flag bits, trailing garbage */
	memset(&b, 0, sizeof(b));
	put(&b, &flags, 1);
	put_u32(&b, 1);
	put_u32(&b, 3);
	put(&b, "a\0b", 3);
	assert_int_equal(roundtrip_raw(&b, &body), 1);
	assert_non_null(strstr(body, "NUL"));
	free(body);
	b.p[0] = 0x80;
	assert_int_equal(roundtrip_raw(&b, &body), 1);
	assert_non_null(strstr(body, "flags"));
	free(body);
	free(b.p);
	memset(&b, 0, sizeof(b));
	put(&b, &flags, 1);
	put_u32(&b, 1);
	put_u32(&b, 4);
	put(&b, "helpXYZ", 7);
	assert_int_equal(roundtrip_raw(&b, &body), 1);
	assert_non_null(strstr(body, "trailing"));
	free(body);
	free(b.p);
}

static void test_big_output(void **state)
{
	char *body, pfx[32];
	int lines = 0;

	(void)state;
	assert_int_equal(roundtrip(false, CMD("link", "add", "n0", "type", "null"), &body), 0);
	free(body);
	for (int i = 0; i < 3000; i++) {
		snprintf(pfx, sizeof(pfx), "10.%d.%d.0/24", i / 256, i % 256);
		assert_int_equal(roundtrip(false, CMD("route", "add", pfx, "dev", "n0"), &body), 0);
		free(body);
	}
	assert_int_equal(roundtrip(false, CMD("route", "show"), &body), 0);
	for (char *p = body; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 3000);
	assert_true(strlen(body) > 100000); /* more than a socket buffer */
	free(body);
	assert_int_equal(roundtrip(true, CMD("route", "show"), &body), 0);
	assert_true(json_valid(body));
	free(body);
}

/* Clients that stall or vanish do not stop others from being served. */
static void test_slow_and_many_clients(void **state)
{
	int slow[40], quitter, fd;
	struct bytes req = request(false, CMD("help"));
	char *body;
	uint64_t t0;

	(void)state;
	/* more half-finished clients than the server has slots */
	for (int i = 0; i < 40; i++) {
		slow[i] = client_connect();
		assert_int_equal(send(slow[i], req.p, 3, 0), 3);
	}
	quitter = client_connect();
	assert_int_equal(send(quitter, req.p, 2, 0), 2);
	ctl_server_handle();
	close(quitter);
	ctl_server_handle();

	/* the slow ones finish their requests and are answered */
	for (int i = 0; i < 40; i++) {
		struct bytes r;

		assert_int_equal(send(slow[i], req.p + 3, req.n - 3, 0), (ssize_t)(req.n - 3));
		r = drain(slow[i]);
		assert_true(r.n > 5);
		assert_int_equal(r.p[0], 0);
		free(r.p);
		close(slow[i]);
	}

	/* a client that never finishes is dropped after the timeout, and the
	 * server's fd wakes the main loop for it by itself */
	fd = client_connect();
	assert_int_equal(send(fd, req.p, 4, 0), 4);
	ctl_server_handle();
	assert_int_equal(roundtrip(false, CMD("help"), &body), 0);
	free(body);
	t0 = time_ms();
	for (;;) {
		char c;
		ssize_t n;
		struct pollfd pfd = { .fd = ctl_server_fd(), .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, 8000), 1);
		ctl_server_handle();
		n = recv(fd, &c, 1, MSG_DONTWAIT);
		if (n == 0)
			break;
		assert_true(time_ms() - t0 < 8000);
	}
	assert_true(time_ms() - t0 >= 4000);
	close(fd);
	free(req.p);
}

static void test_stale_and_busy_socket(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[256], *body;
	int fd;

	(void)state;
	ctl_server_stop();
	assert_int_equal(access(sock_path, F_OK), -1); /* stop removed it */

	/* a live listener: refused, its socket left alone */
	strcpy(sa.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(ctl_server_start(sock_path, err), -EADDRINUSE);
	assert_non_null(strstr(err, sock_path));
	assert_int_equal(access(sock_path, F_OK), 0);
	/* the same socket file once its owner is gone: stale, replaced */
	close(fd);
	assert_int_equal(ctl_server_start(sock_path, err), 0);
	assert_int_equal(roundtrip(false, CMD("help"), &body), 0);
	free(body);
	ctl_server_stop();

	/* not a socket: refused and untouched */
	fd = open(sock_path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ctl_server_start(sock_path, err), -EEXIST);
	assert_int_equal(access(sock_path, F_OK), 0);
	unlink(sock_path);

	assert_true(ctl_server_start("/nonexistent-dir/x.sock", err) < 0);
	assert_non_null(strstr(err, "/nonexistent-dir/x.sock"));
	assert_int_equal(ctl_server_start(sock_path, err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_and_many_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_and_busy_socket, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
