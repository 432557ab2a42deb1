/* Path MTU exceptions in a lock-free hash table (liburcu rculfhash), keyed
 * by (table, family, destination). Entries are immutable: an update adds a
 * replacement and frees the old entry after a grace period. */
#include "fib/fib_exc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <urcu-qsbr.h>
#include <urcu/rculfhash.h>

#include "core/util.h"

struct fib_exc_params fib_exc_params = {
	.mtu_expires_s = 600,
	.min_pmtu4 = 552,
};

struct exc_key {
	uint32_t table;
	uint32_t family;
	union pkt_addr dst;
};

struct exc {
	struct cds_lfht_node node;
	struct rcu_head rcu;
	struct exc_key key;
	uint32_t mtu;
	uint64_t expires_ms;
};

static struct cds_lfht *exc_ht;
static uint64_t exc_n; /* atomic */

static unsigned long exc_hash(const struct exc_key *k)
{
	uint64_t h = ((uint64_t)k->table << 8 | k->family) * 0x9e3779b97f4a7c15ull;
	h ^= k->dst.v6q[0] * 0xff51afd7ed558ccdull;
	h ^= k->dst.v6q[1] * 0xc4ceb9fe1a85ec53ull;
	return (unsigned long)(h ^ (h >> 29));
}

static int exc_match(struct cds_lfht_node *node, const void *key)
{
	const struct exc *e = caa_container_of(node, struct exc, node);
	return memcmp(&e->key, key, sizeof(e->key)) == 0;
}

static void exc_key_make(struct exc_key *k, uint32_t table, int family,
			 const union pkt_addr *dst)
{
	memset(k, 0, sizeof(*k));
	k->table = table;
	k->family = (uint32_t)family;
	if (family == AF_INET)
		k->dst.v4 = dst->v4;
	else
		memcpy(k->dst.v6, dst->v6, 16);
}

static void exc_free_rcu(struct rcu_head *head)
{
	free(caa_container_of(head, struct exc, rcu));
}

int fib_exc_init(void)
{
	exc_ht = cds_lfht_new(64, 64, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
			      NULL);
	return exc_ht ? 0 : -1;
}

void fib_exc_fini(void)
{
	struct cds_lfht_iter it;
	struct exc *e;

	if (!exc_ht)
		return;
	cds_lfht_for_each_entry(exc_ht, &it, e, node) {
		cds_lfht_del(exc_ht, &e->node);
		free(e);
	}
	cds_lfht_destroy(exc_ht, NULL);
	exc_ht = NULL;
	exc_n = 0;
}

static struct exc *exc_find(const struct exc_key *k)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	cds_lfht_lookup(exc_ht, exc_hash(k), exc_match, k, &it);
	n = cds_lfht_iter_get_node(&it);
	return n ? caa_container_of(n, struct exc, node) : NULL;
}

void fib_exc_learn(uint32_t table, int family, const union pkt_addr *dst,
		   uint32_t mtu, uint64_t now_ms)
{
	uint32_t floor = family == AF_INET ? fib_exc_params.min_pmtu4 : 1280u;
	struct exc *e, *old;
	struct cds_lfht_node *replaced;

	if (!exc_ht)
		return;
	mtu = MAX(mtu, floor);
	e = calloc(1, sizeof(*e));
	if (!e)
		return;
	exc_key_make(&e->key, table, family, dst);
	old = exc_find(&e->key);
	if (old && old->expires_ms > now_ms && old->mtu <= mtu) {
		free(e); /* nothing new */
		return;
	}
	e->mtu = mtu;
	e->expires_ms = now_ms + (uint64_t)fib_exc_params.mtu_expires_s * 1000u;
	cds_lfht_node_init(&e->node);
	replaced = cds_lfht_add_replace(exc_ht, exc_hash(&e->key), exc_match,
					&e->key, &e->node);
	if (replaced)
		call_rcu(&caa_container_of(replaced, struct exc, node)->rcu,
			 exc_free_rcu);
	else
		__atomic_fetch_add(&exc_n, 1, __ATOMIC_RELAXED);
}

uint32_t fib_exc_mtu(uint32_t table, int family, const union pkt_addr *dst,
		     uint64_t now_ms, uint64_t *expires_ms)
{
	struct exc_key k;
	struct exc *e;

	if (!exc_ht || __atomic_load_n(&exc_n, __ATOMIC_RELAXED) == 0)
		return 0;
	exc_key_make(&k, table, family, dst);
	e = exc_find(&k);
	if (!e || e->expires_ms <= now_ms)
		return 0;
	if (expires_ms)
		*expires_ms = e->expires_ms;
	return e->mtu;
}

static void exc_remove_if(bool (*pred)(const struct exc *e, uint64_t arg),
			  uint64_t arg)
{
	struct cds_lfht_iter it;
	struct exc *e;

	if (!exc_ht)
		return;
	cds_lfht_for_each_entry(exc_ht, &it, e, node) {
		if (pred(e, arg) && cds_lfht_del(exc_ht, &e->node) == 0) {
			__atomic_fetch_sub(&exc_n, 1, __ATOMIC_RELAXED);
			call_rcu(&e->rcu, exc_free_rcu);
		}
	}
}

static bool exc_expired(const struct exc *e, uint64_t now_ms)
{
	return e->expires_ms <= now_ms;
}

static bool exc_in_table(const struct exc *e, uint64_t table)
{
	return table == 0 || e->key.table == table;
}

void fib_exc_expire(uint64_t now_ms)
{
	exc_remove_if(exc_expired, now_ms);
}

void fib_exc_flush(uint32_t table)
{
	exc_remove_if(exc_in_table, table);
}

uint64_t fib_exc_count(void)
{
	return __atomic_load_n(&exc_n, __ATOMIC_RELAXED);
}
