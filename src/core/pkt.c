/* Packet buffer allocation, clones, copies and per-thread pools.
 *
 * Metadata (struct pkt) and data buffers (struct pkt_buf) come from separate
 * per-thread caches; the buffer's refcount alone decides when it is free, so
 * clones are just extra metadata. Beyond PKT_CACHE_MAX objects a cache gives
 * memory back to the allocator: packets freed on another thread than the one
 * that allocated them are fine and memory stays bounded. */
#include "core/pkt.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

enum { PKT_CLASS_SMALL, PKT_CLASS_LARGE, PKT_CLASS_NUM, PKT_CLASS_EXT = 0xff };

#define PKT_CACHE_MAX 2048u

struct free_obj {
	struct free_obj *next;
};

struct obj_cache {
	struct free_obj *head;
	uint32_t count;
};

static __thread struct obj_cache buf_cache[PKT_CLASS_NUM];
static __thread struct obj_cache meta_cache;
/* Metadata objects in use, counted per thread on private cache lines (a
 * global atomic would bounce between workers on every packet); the sum over
 * all slots is the number alive. Threads beyond the private slots share the
 * last one with atomic updates. */
#define PKT_COUNT_SLOTS 64u

struct pkt_count {
	int64_t n;
} __attribute__((aligned(64)));

static struct pkt_count pkt_counts[PKT_COUNT_SLOTS];
static unsigned pkt_count_next;          /* atomic */
static __thread struct pkt_count *pkt_count_mine;
static __thread bool pkt_count_shared;

static void pkt_count_add(int64_t d)
{
	if (unlikely(!pkt_count_mine)) {
		unsigned i = __atomic_fetch_add(&pkt_count_next, 1, __ATOMIC_RELAXED);
		pkt_count_shared = i >= PKT_COUNT_SLOTS - 1;
		pkt_count_mine = &pkt_counts[pkt_count_shared ? PKT_COUNT_SLOTS - 1 : i];
	}
	if (pkt_count_shared)
		__atomic_fetch_add(&pkt_count_mine->n, d, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&pkt_count_mine->n, pkt_count_mine->n + d,
				 __ATOMIC_RELAXED);
}

static const uint32_t class_size[PKT_CLASS_NUM] = {
	PKT_HEADROOM + PKT_BUF_SMALL,
	PKT_HEADROOM + PKT_BUF_LARGE,
};

static void *cache_get(struct obj_cache *c)
{
	struct free_obj *o = c->head;
	if (o) {
		c->head = o->next;
		c->count--;
	}
	return o;
}

static void cache_put(struct obj_cache *c, void *obj)
{
	struct free_obj *o = obj;
	if (c->count >= PKT_CACHE_MAX) {
		free(obj);
		return;
	}
	o->next = c->head;
	c->head = o;
	c->count++;
}

static void cache_drain(struct obj_cache *c)
{
	void *o;
	while ((o = cache_get(c)))
		free(o);
}

static struct pkt_buf *buf_alloc(unsigned cls)
{
	struct pkt_buf *b = cache_get(&buf_cache[cls]);
	if (!b) {
		size_t sz = sizeof(*b) + class_size[cls];
		b = aligned_alloc(CACHE_LINE, (sz + CACHE_LINE - 1) &
						  ~(size_t)(CACHE_LINE - 1));
		if (!b)
			return NULL;
	}
	b->refcnt = 1;
	b->size = class_size[cls];
	b->size_class = (uint8_t)cls;
	b->ext_free = NULL;
	b->ext_arg = NULL;
	b->head = b->data;
	return b;
}

static void buf_put(struct pkt_buf *b)
{
	if (__atomic_sub_fetch(&b->refcnt, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (b->size_class == PKT_CLASS_EXT) {
		if (b->ext_free)
			b->ext_free(b, b->ext_arg);
		free(b);
		return;
	}
	cache_put(&buf_cache[b->size_class], b);
}

static struct pkt *meta_alloc(void)
{
	struct pkt *p = cache_get(&meta_cache);
	if (!p)
		p = malloc(sizeof(*p));
	if (p)
		pkt_count_add(1);
	return p;
}

static void meta_free(struct pkt *p)
{
	pkt_count_add(-1);
	cache_put(&meta_cache, p);
}

/* Metadata is cleared with explicit 16-byte stores: left to itself the
 * compiler emits `rep stos`, whose start-up cost dominated allocation. */
typedef uint64_t pkt_v2 __attribute__((vector_size(16), may_alias, aligned(8)));
_Static_assert(sizeof(struct pkt) == 7 * sizeof(pkt_v2),
	       "struct pkt is cleared in seven 16-byte stores: update both");

static void pkt_init_meta(struct pkt *p, struct pkt_buf *b, uint32_t headroom)
{
	pkt_v2 *v = (pkt_v2 *)(void *)p;
	const pkt_v2 zero = { 0, 0 };

	/* written out: a loop is turned back into memset */
	v[0] = zero; v[1] = zero; v[2] = zero; v[3] = zero;
	v[4] = zero; v[5] = zero; v[6] = zero;
	p->l2_off = p->l3_off = p->l4_off = PKT_OFF_UNSET;
	p->buf = b;
	p->data = b->head + headroom;
}

struct pkt *pkt_alloc(uint32_t size)
{
	unsigned cls = size <= PKT_BUF_SMALL ? PKT_CLASS_SMALL : PKT_CLASS_LARGE;
	struct pkt_buf *b;
	struct pkt *p;

	if (size > PKT_BUF_LARGE)
		return NULL;
	b = buf_alloc(cls);
	if (!b)
		return NULL;
	p = meta_alloc();
	if (!p) {
		buf_put(b);
		return NULL;
	}
	pkt_init_meta(p, b, PKT_HEADROOM);
	return p;
}

struct pkt *pkt_alloc_ext(uint8_t *mem, uint32_t size, uint32_t headroom,
			  void (*ext_free)(struct pkt_buf *, void *), void *arg)
{
	struct pkt_buf *b = malloc(sizeof(*b));
	struct pkt *p;

	if (!b)
		return NULL;
	p = meta_alloc();
	if (!p) {
		free(b);
		return NULL;
	}
	b->refcnt = 1;
	b->size = size;
	b->size_class = PKT_CLASS_EXT;
	b->ext_free = ext_free;
	b->ext_arg = arg;
	b->head = mem;
	pkt_init_meta(p, b, headroom);
	return p;
}

void pkt_free(struct pkt *p)
{
	while (p) {
		struct pkt *next = p->next_seg;
		buf_put(p->buf);
		meta_free(p);
		p = next;
	}
}

struct pkt *pkt_clone(const struct pkt *p)
{
	struct pkt *head = NULL, **tail = &head;

	for (; p; p = p->next_seg) {
		struct pkt *c = meta_alloc();
		if (!c) {
			pkt_free(head);
			return NULL;
		}
		*c = *p;
		c->next_seg = NULL;
		c->qnext = NULL;
		__atomic_fetch_add(&p->buf->refcnt, 1, __ATOMIC_RELAXED);
		*tail = c;
		tail = &c->next_seg;
	}
	return head;
}

int pkt_copy_bits(const struct pkt *p, uint32_t off, void *dst, uint32_t len)
{
	uint8_t *d = dst;

	for (; p && len; p = p->next_seg) {
		if (off >= p->len) {
			off -= p->len;
			continue;
		}
		uint32_t n = MIN(len, p->len - off);
		memcpy(d, p->data + off, n);
		d += n;
		len -= n;
		off = 0;
	}
	return len ? -1 : 0;
}

/* Head-relative offsets of `p` rebased onto a buffer whose data starts
 * `delta` bytes later (relative to its head) than p's does. */
static void pkt_rebase_offsets(struct pkt *p, int32_t delta)
{
	if (p->l2_off != PKT_OFF_UNSET)
		p->l2_off = (uint16_t)(p->l2_off + delta);
	if (p->l3_off != PKT_OFF_UNSET)
		p->l3_off = (uint16_t)(p->l3_off + delta);
	if (p->l4_off != PKT_OFF_UNSET)
		p->l4_off = (uint16_t)(p->l4_off + delta);
	if (p->csum == PKT_CSUM_PARTIAL || p->csum == PKT_CSUM_COMPLETE)
		p->csum_start = (uint16_t)(p->csum_start + delta);
}

/* A fresh linear buffer holding all bytes of p with `headroom` in front. */
static struct pkt_buf *pkt_flatten(const struct pkt *p, uint32_t headroom)
{
	uint32_t need = headroom + p->total_len;
	unsigned cls = need <= class_size[PKT_CLASS_SMALL] ? PKT_CLASS_SMALL
							    : PKT_CLASS_LARGE;
	struct pkt_buf *b;

	if (need > class_size[PKT_CLASS_LARGE])
		return NULL;
	b = buf_alloc(cls);
	if (b && pkt_copy_bits(p, 0, b->head + headroom, p->total_len) < 0) {
		buf_put(b);
		return NULL;
	}
	return b;
}

struct pkt *pkt_copy(const struct pkt *p, uint32_t extra_headroom)
{
	uint32_t hr = PKT_HEADROOM + extra_headroom;
	struct pkt_buf *b = pkt_flatten(p, hr);
	struct pkt *c;

	if (!b)
		return NULL;
	c = meta_alloc();
	if (!c) {
		buf_put(b);
		return NULL;
	}
	*c = *p;
	c->buf = b;
	c->data = b->head + hr;
	c->len = c->total_len = p->total_len;
	c->next_seg = NULL;
	c->qnext = NULL;
	pkt_rebase_offsets(c, (int32_t)hr - (int32_t)pkt_headroom(p));
	return c;
}

/* Move p onto the private linear buffer b whose data starts at headroom hr. */
static void pkt_rehome(struct pkt *p, struct pkt_buf *b, uint32_t hr)
{
	int32_t delta = (int32_t)hr - (int32_t)pkt_headroom(p);

	pkt_free(p->next_seg);
	p->next_seg = NULL;
	buf_put(p->buf);
	p->buf = b;
	p->data = b->head + hr;
	p->len = p->total_len;
	pkt_rebase_offsets(p, delta);
}

int pkt_make_writable(struct pkt *p)
{
	uint32_t hr = MAX(pkt_headroom(p), PKT_HEADROOM);
	struct pkt_buf *b;

	if (!pkt_is_shared(p) && pkt_is_linear(p))
		return 0;
	b = pkt_flatten(p, hr);
	if (!b)
		return -1;
	pkt_rehome(p, b, hr);
	return 0;
}

int pkt_linearize(struct pkt *p)
{
	if (pkt_is_linear(p))
		return 0;
	return pkt_make_writable(p);
}

bool pkt_may_pull(struct pkt *p, uint32_t n)
{
	if (p->len >= n || p->len == p->total_len)
		return true;
	return pkt_linearize(p) == 0;
}

int pkt_append(struct pkt *p, const void *src, uint32_t len)
{
	uint8_t *t = pkt_put(p, len);
	if (!t)
		return -1;
	memcpy(t, src, len);
	return 0;
}

void pkt_pool_thread_release(void)
{
	for (unsigned i = 0; i < PKT_CLASS_NUM; i++)
		cache_drain(&buf_cache[i]);
	cache_drain(&meta_cache);
}

uint64_t pkt_pool_outstanding(void)
{
	int64_t sum = 0;

	for (unsigned i = 0; i < PKT_COUNT_SLOTS; i++)
		sum += __atomic_load_n(&pkt_counts[i].n, __ATOMIC_RELAXED);
	return sum > 0 ? (uint64_t)sum : 0;
}
