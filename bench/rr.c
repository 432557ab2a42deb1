/* Request/response transactions per second, as netperf's TCP_RR / UDP_RR
 * with 1-byte messages (the VRF seed's measurement), over IPv4 or IPv6.
 *
 *   rr server tcp|udp ADDR PORT [SECONDS]     answer each byte with a byte
 *   rr client tcp|udp ADDR PORT SECONDS       print "transactions/s N"
 *
 * The server exits after SECONDS (default 120) or when a TCP client leaves;
 * the client gives up on UDP after 1 s without an answer (counted lost). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int resolve(const char *host, const char *port, int type,
		   struct addrinfo **ai)
{
	struct addrinfo hints = { .ai_socktype = type, .ai_flags = AI_NUMERICHOST };
	int rc = getaddrinfo(host, port, &hints, ai);

	if (rc)
		fprintf(stderr, "rr: %s: %s\n", host, gai_strerror(rc));
	return rc ? -1 : 0;
}

static int serve(int type, struct addrinfo *ai, double seconds)
{
	int one = 1, fd = socket(ai->ai_family, type, 0), c;
	double end = now_s() + seconds;
	char b;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		perror("rr: bind");
		return 1;
	}
	if (type == SOCK_DGRAM) {
		struct sockaddr_storage peer;
		socklen_t pl;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		while (now_s() < end) {
			if (poll(&p, 1, 200) <= 0)
				continue;
			pl = sizeof(peer);
			if (recvfrom(fd, &b, 1, 0, (struct sockaddr *)&peer, &pl) == 1)
				sendto(fd, &b, 1, 0, (struct sockaddr *)&peer, pl);
		}
		return 0;
	}
	if (listen(fd, 1) < 0) {
		perror("rr: listen");
		return 1;
	}
	c = accept(fd, NULL, NULL);
	if (c < 0)
		return 1;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (now_s() < end && recv(c, &b, 1, 0) == 1)
		if (send(c, &b, 1, 0) != 1)
			break;
	close(c);
	close(fd);
	return 0;
}

static int client(int type, struct addrinfo *ai, double seconds)
{
	int one = 1, fd = socket(ai->ai_family, type, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned long n = 0, lost = 0;
	double start, end;
	char b = 'x';

	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		perror("rr: connect");
		return 1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	start = now_s();
	end = start + seconds;
	while (now_s() < end) {
		if (send(fd, &b, 1, 0) != 1) {
			perror("rr: send");
			return 1;
		}
		if (type == SOCK_DGRAM && poll(&p, 1, 1000) <= 0) {
			lost++;
			continue;
		}
		if (recv(fd, &b, 1, 0) != 1) {
			perror("rr: recv");
			return 1;
		}
		n++;
	}
	printf("transactions/s %.0f lost %lu\n", (double)n / (now_s() - start), lost);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct addrinfo *ai;
	int type, rc;

	if (argc < 5 || (strcmp(argv[2], "tcp") && strcmp(argv[2], "udp"))) {
		fprintf(stderr, "usage: rr server|client tcp|udp ADDR PORT [SECONDS]\n");
		return 2;
	}
	type = strcmp(argv[2], "tcp") == 0 ? SOCK_STREAM : SOCK_DGRAM;
	if (resolve(argv[3], argv[4], type, &ai) < 0)
		return 2;
	if (strcmp(argv[1], "server") == 0)
		rc = serve(type, ai, argc > 5 ? atof(argv[5]) : 120.0);
	else
		rc = client(type, ai, argc > 5 ? atof(argv[5]) : 10.0);
	freeaddrinfo(ai);
	return rc;
}
