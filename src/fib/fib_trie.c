/* Longest-prefix-match trie for one FIB table and family, safe for
 * lock-free RCU readers.
 *
 * Design note. A path-compressed binary trie: every node holds a prefix
 * (key masked to plen) and descends by bit `plen` of the address. Nodes that
 * hold no routes exist only where two subtrees diverge, so they always have
 * two children; a trie of N prefixes has fewer than 2N nodes.
 *
 * RCU rules. A node's key and plen never change once it is published. A
 * writer changes the trie only by storing one pointer with
 * rcu_assign_pointer(): a child slot (to hang a fully built node or subtree,
 * or to splice a node out) or a node's route list. A reader therefore sees
 * either the old or the new shape, never a half-built one. Nodes and lists
 * taken out are freed after a grace period (struct fib_gc). */
#include "fib/fib_trie.h"

#include <errno.h>
#include <stdlib.h>

#include <urcu-qsbr.h>

struct fib_trie_node {
	struct fib_key key;
	uint8_t plen;
	struct fib_trie_node *child[2];   /* RCU-published */
	struct fib_rlist *routes;         /* RCU-published; NULL = branch only */
};

void fib_gc_defer(struct fib_gc *gc, void *p)
{
	void **np;
	size_t cap;

	if (!p)
		return;
	if (gc->n == gc->cap) {
		cap = gc->cap ? gc->cap * 2 : 16;
		np = realloc(gc->ptr, cap * sizeof(*np));
		if (!np) {
			/* p is already unpublished: wait here instead. */
			fib_gc_flush(gc);
			synchronize_rcu();
			free(p);
			return;
		}
		gc->ptr = np;
		gc->cap = cap;
	}
	gc->ptr[gc->n++] = p;
}

void fib_gc_flush(struct fib_gc *gc)
{
	if (gc->n)
		synchronize_rcu();
	for (size_t i = 0; i < gc->n; i++)
		free(gc->ptr[i]);
	free(gc->ptr);
	gc->ptr = NULL;
	gc->n = gc->cap = 0;
}

void fib_trie_init(struct fib_trie *t, int family)
{
	t->root = NULL;
	t->family = (uint8_t)family;
	t->nprefixes = 0;
}

static void node_destroy(struct fib_trie_node *n,
			 void (*free_list)(struct fib_rlist *rl))
{
	if (!n)
		return;
	node_destroy(n->child[0], free_list);
	node_destroy(n->child[1], free_list);
	if (n->routes)
		free_list(n->routes);
	free(n);
}

void fib_trie_destroy(struct fib_trie *t,
		      void (*free_list)(struct fib_rlist *rl))
{
	node_destroy(t->root, free_list);
	t->root = NULL;
	t->nprefixes = 0;
}

const struct fib_rlist *fib_trie_lookup(const struct fib_trie *t,
					const union pkt_addr *dst)
{
	struct fib_key k = fib_key_from(t->family, dst);
	unsigned maxlen = fib_family_bits(t->family);
	const struct fib_rlist *best = NULL, *rl;
	const struct fib_trie_node *n = rcu_dereference(t->root);

	while (n && fib_key_match(n->key, k, n->plen)) {
		rl = rcu_dereference(n->routes);
		if (rl)
			best = rl;
		if (n->plen >= maxlen)
			break;
		n = rcu_dereference(n->child[fib_key_bit(k, n->plen)]);
	}
	return best;
}

/* Find the slot holding the node for exactly k/plen. Sets *pslot to the
 * slot that holds the parent (NULL at the root). Returns NULL when absent. */
static struct fib_trie_node **find_slot(const struct fib_trie *t,
					struct fib_key k, unsigned plen,
					struct fib_trie_node ***pslot)
{
	struct fib_trie_node **slot = (struct fib_trie_node **)&t->root;
	struct fib_trie_node *n;

	*pslot = NULL;
	while ((n = *slot) != NULL) {
		if (n->plen > plen || !fib_key_match(n->key, k, n->plen))
			return NULL;
		if (n->plen == plen)
			return slot;
		*pslot = slot;
		slot = &n->child[fib_key_bit(k, n->plen)];
	}
	return NULL;
}

struct fib_rlist *fib_trie_get(const struct fib_trie *t,
			       const union pkt_addr *prefix, unsigned plen)
{
	struct fib_trie_node **slot, **pslot;

	slot = find_slot(t, fib_key_from(t->family, prefix), plen, &pslot);
	return slot ? (*slot)->routes : NULL;
}

static struct fib_trie_node *node_new(struct fib_key k, unsigned plen,
				      struct fib_rlist *rl)
{
	struct fib_trie_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->key = fib_key_mask(k, plen);
	n->plen = (uint8_t)plen;
	n->routes = rl;
	return n;
}

/* Hang a new node for k/plen (holding rl) into the trie. */
static int trie_insert(struct fib_trie *t, struct fib_key k, unsigned plen,
		       struct fib_rlist *rl)
{
	struct fib_trie_node **slot = &t->root;
	struct fib_trie_node *n, *leaf, *branch;
	unsigned c;

	while ((n = *slot) != NULL && n->plen < plen &&
	       fib_key_match(n->key, k, n->plen))
		slot = &n->child[fib_key_bit(k, n->plen)];

	leaf = node_new(k, plen, rl);
	if (!leaf)
		return -ENOMEM;
	if (!n) {
		rcu_assign_pointer(*slot, leaf);
		return 0;
	}
	c = fib_key_common(n->key, k);
	if (c >= plen) {
		/* The new prefix covers n: it becomes n's parent. */
		leaf->child[fib_key_bit(n->key, plen)] = n;
		rcu_assign_pointer(*slot, leaf);
		return 0;
	}
	/* They diverge at bit c (< both lengths): a branch node joins them. */
	branch = node_new(k, c, NULL);
	if (!branch) {
		free(leaf);
		return -ENOMEM;
	}
	branch->child[fib_key_bit(k, c)] = leaf;
	branch->child[fib_key_bit(n->key, c)] = n;
	rcu_assign_pointer(*slot, branch);
	return 0;
}

/* Take the node in *slot (whose routes are already unpublished) out of the
 * trie when it has fewer than two children; collapse a parent branch node
 * left with one child. */
static void trie_prune(struct fib_trie_node **slot,
		       struct fib_trie_node **pslot, struct fib_gc *gc)
{
	struct fib_trie_node *n = *slot, *parent, *sibling;

	if (n->child[0] && n->child[1])
		return;
	rcu_assign_pointer(*slot, n->child[0] ? n->child[0] : n->child[1]);
	fib_gc_defer(gc, n);
	if (!pslot)
		return;
	parent = *pslot;
	if (parent->routes || (parent->child[0] && parent->child[1]))
		return;
	sibling = parent->child[0] ? parent->child[0] : parent->child[1];
	rcu_assign_pointer(*pslot, sibling);
	fib_gc_defer(gc, parent);
}

int fib_trie_set(struct fib_trie *t, const union pkt_addr *prefix,
		 unsigned plen, struct fib_rlist *rl, struct fib_gc *gc)
{
	struct fib_key k = fib_key_mask(fib_key_from(t->family, prefix), plen);
	struct fib_trie_node **slot, **pslot, *n;
	struct fib_rlist *old;
	int rc;

	slot = find_slot(t, k, plen, &pslot);
	if (!slot) {
		if (!rl)
			return 0;
		rc = trie_insert(t, k, plen, rl);
		if (rc == 0)
			t->nprefixes++;
		return rc;
	}
	n = *slot;
	old = n->routes;
	rcu_assign_pointer(n->routes, rl);
	fib_gc_defer(gc, old);
	if (old && !rl)
		t->nprefixes--;
	else if (!old && rl)
		t->nprefixes++;
	if (!rl)
		trie_prune(slot, pslot, gc);
	return 0;
}

static void node_walk(const struct fib_trie_node *n,
		      void (*fn)(struct fib_rlist *rl, void *arg), void *arg)
{
	if (!n)
		return;
	if (n->routes)
		fn(n->routes, arg);
	node_walk(n->child[0], fn, arg);
	node_walk(n->child[1], fn, arg);
}

void fib_trie_walk(const struct fib_trie *t,
		   void (*fn)(struct fib_rlist *rl, void *arg), void *arg)
{
	node_walk(t->root, fn, arg);
}
