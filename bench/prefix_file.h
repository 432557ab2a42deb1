/* The prefix table of the FIB benchmarks (bench/fwd_bench.c,
 * bench/fib_bench.c) and the random numbers that sample it: a gzip'ed file
 * of "PREFIX/LEN" lines, IPv4 and IPv6 mixed, such as
 * ../shared/data/prefixes.txt.gz. Header-only (static inline), so that
 * each benchmark stays one translation unit. Single-threaded. */
#ifndef USNET_BENCH_PREFIX_FILE_H
#define USNET_BENCH_PREFIX_FILE_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One prefix: family AF_INET/AF_INET6, a (4 or 16 bytes used, the rest
 * zero; host bits as written in the file) and len. */
typedef void (*bench_prefix_fn)(int family, const uint8_t a[16], unsigned len,
				void *arg);

/* Call fn for every well-formed line of file, in order; other lines are
 * skipped. false when the file cannot be read or gzip fails. */
static inline bool bench_prefix_file_read(const char *file, bench_prefix_fn fn,
					  void *arg)
{
	char cmd[600], line[128], *slash, *end;
	uint8_t a[16];
	long len;
	FILE *f;

	if (access(file, R_OK) != 0)
		return false;
	snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", file);
	f = popen(cmd, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		bool v6;

		line[strcspn(line, "\r\n")] = '\0';
		slash = strchr(line, '/');
		if (!slash)
			continue;
		*slash = '\0';
		len = strtol(slash + 1, &end, 10);
		v6 = strchr(line, ':') != NULL;
		memset(a, 0, sizeof(a));
		if (*end || len < 0 || len > (v6 ? 128 : 32) ||
		    inet_pton(v6 ? AF_INET6 : AF_INET, line, a) != 1)
			continue;
		fn(v6 ? AF_INET6 : AF_INET, a, (unsigned)len, arg);
	}
	return pclose(f) == 0;
}

/* splitmix64: fast, fixed seed, so that every run samples alike. */
static uint64_t bench_rng_state = 0x853c49e6748fea9bull;

static inline uint64_t bench_rnd(void)
{
	uint64_t z = (bench_rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
