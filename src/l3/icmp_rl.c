/* ICMP error rate limiting, as Linux: a global token bucket
 * (icmp_msgs_per_sec, icmp_msgs_burst) and a per-destination bucket (one
 * token per icmp_ratelimit ms, burst 6) kept in a small per-thread hash. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"
#include "l3/icmp.h"

#define RL_SLOTS 1024u
#define RL_DEST_BURST 6u

struct icmp_rl_slot {
	union pkt_addr dst;
	uint8_t family;
	uint32_t tokens;
	uint64_t last_ms;
};

struct icmp_rl_state {
	uint64_t global_last_ms;
	uint32_t global_tokens;
	struct icmp_rl_slot slot[RL_SLOTS];
};

struct icmp_params icmp_params = {
	.ratelimit_ms = 1000,
	.ratelimit6_ms = 1000,
	.msgs_per_sec = 1000,
	.msgs_burst = 50,
	.echo_ignore_all = 0,
};

struct icmp_rl_state *icmp_rl_new(void)
{
	struct icmp_rl_state *s = calloc(1, sizeof(*s));
	if (s)
		s->global_tokens = icmp_params.msgs_burst;
	return s;
}

void icmp_rl_free(struct icmp_rl_state *s)
{
	free(s);
}

/* Refill a bucket of `burst` tokens at one token per `interval_ms`. */
static bool bucket_take(uint32_t *tokens, uint64_t *last, uint64_t now,
			uint32_t interval_ms, uint32_t burst)
{
	if (interval_ms == 0)
		return true;
	if (now > *last) {
		uint64_t add = (now - *last) / interval_ms;
		if (add) {
			*tokens = (uint32_t)MIN((uint64_t)burst, *tokens + add);
			*last += add * interval_ms;
		}
	}
	if (*tokens == 0)
		return false;
	(*tokens)--;
	return true;
}

static unsigned rl_slot(int family, const union pkt_addr *dst)
{
	uint32_t h = family == AF_INET ? dst->v4
				       : (uint32_t)(dst->v6q[0] ^ dst->v6q[1] ^
						    (dst->v6q[1] >> 32));
	h *= 0x9e3779b1u;
	return h >> 22; /* 10 bits */
}

bool icmp_rl_allow(struct icmp_rl_state *s, int family,
		   const union pkt_addr *dst, uint64_t now_ms)
{
	uint32_t interval = family == AF_INET ? icmp_params.ratelimit_ms
					      : icmp_params.ratelimit6_ms;
	struct icmp_rl_slot *sl;
	bool same;

	if (!s)
		return false;
	if (icmp_params.msgs_per_sec &&
	    !bucket_take(&s->global_tokens, &s->global_last_ms, now_ms,
			 MAX(1u, 1000u / icmp_params.msgs_per_sec),
			 icmp_params.msgs_burst))
		return false;
	sl = &s->slot[rl_slot(family, dst)];
	same = sl->family == family &&
	       (family == AF_INET ? sl->dst.v4 == dst->v4
				  : memcmp(sl->dst.v6, dst->v6, 16) == 0);
	if (!same) {
		sl->family = (uint8_t)family;
		sl->dst = *dst;
		sl->tokens = RL_DEST_BURST;
		sl->last_ms = now_ms;
	}
	return bucket_take(&sl->tokens, &sl->last_ms, now_ms, interval,
			   RL_DEST_BURST);
}
