/*
 * iova.c - IOVA allocator of iommush (see iova.h for the contract).
 *
 * Written from the behaviour of Linux's drivers/iommu/iova.c (v6.x) as
 * iommush's kernel notes describe it; no kernel code is used.
 *
 * The tree. Allocated ranges are the nodes of an AVL tree keyed by pfn_lo.
 * An anchor node just above the highest pfn is always the rightmost node
 * (Linux's IOVA_ANCHOR plays the same role), so every free pfn lies in the
 * "gap" just below some node: the pfns between the node's predecessor (or
 * start_pfn) and its pfn_lo. Each node stores the size of its own gap and,
 * for its whole subtree (the anchor's gap, all the space above the highest
 * range, is left out and tried on its own first):
 *   max_gap  the largest gap, which answers unaligned requests;
 *   max_ord  1 + the largest order k such that some gap holds a naturally
 *            aligned block of 2^k pfns (0: no free pfn), which answers
 *            size-aligned power-of-two requests exactly;
 *   max_ext  among the gaps of order max_ord - 1, the most pfns available
 *            from the first multiple of 2^max_ord in the gap, which answers
 *            size-aligned requests whose size is not a power of two.
 * Why the last one is enough: a request of s pfns with 2^(k-1) < s < 2^k
 * aligned to 2^k fits every gap of order >= k, no gap of order < k - 1 (a
 * fit would contain an aligned 2^(k-1) block), and a gap of order k - 1
 * exactly when the space from its single multiple of 2^k reaches s.
 *
 * With these, "the highest fit ending at or below limit_pfn" is one descent
 * towards the limit, a climb back up the same path and one descent into the
 * first subtree whose summary says it holds a fit: O(log n) nodes visited,
 * however the free space is fragmented, and never a failure when a fit
 * exists. Linux's allocator walks gaps one by one from a cached node and
 * becomes linear under fragmentation; iommush keeps the placement exact
 * instead (it depends only on the live ranges, not on history).
 *
 * The range caches in front (alloc_fast/free_fast) follow the rcache of
 * Linux: per size order a `loaded` and a `prev` magazine of 127 entries and
 * a depot of full magazines, one CPU's worth (iommush is single-threaded).
 * Cached ranges stay in the tree, as in Linux. Unlike Linux, free_fast
 * checks what it is given (a live range starting at pfn, of the size asked
 * for), so a double or mismatched free is an error, not a corrupt cache.
 *
 * Memory: nodes are 56 bytes and come from slabs of 1024, so a live range
 * costs 56 bytes plus a share of one partly used slab.
 */
#include "iova.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Written for GCC and Clang (__builtin_clzll, always_inline). */
#define IOVA_HOT inline __attribute__((always_inline))

/* Internal flag of the anchor node: its gap (everything above the highest
 * range) is left out of the subtree summaries and checked on its own. */
#define IOVA_FLAG_ANCHOR 8
/* Internal flag of a node on the free list. */
#define IOVA_FLAG_FREE 4

/* free_fast() hint table: pfn -> node of recent fast allocations, so that
 * checking a pfn handed back usually costs one probe, not a tree descent. */
#define IOVA_HINT_BITS 12

/* Deep enough for any AVL tree that fits in memory (height <= 1.44 log2 n). */
#define IOVA_MAX_DEPTH 128
#define NODES_PER_SLAB 1024

/*
 * pfns are below 2^52 (64-bit addresses, granule >= 4 KiB), so a gap fits in
 * 52 bits and a byte rides on top of each packed word:
 *   own      gap (bits 0..51) | flags << 56
 *   sum      max_gap (bits 0..51) | height << 56
 *   ordext   max_ext (bits 0..55) | max_ord << 56
 * Packed this way, (max_ord, max_ext) pairs compare in lexicographic order as
 * plain integers: merging children is a max, and "does this subtree hold a
 * fit" for a size-aligned request is one comparison against a threshold.
 */
struct iova_node {
	struct iova_node *left, *right;
	uint64_t pfn_lo;
	uint64_t pfn_hi;
	uint64_t own;
	uint64_t sum;
	uint64_t ordext;
};

#define LOW_BITS 52
#define LOW_MASK ((UINT64_C(1) << LOW_BITS) - 1)
#define TOP_SHIFT 56

static inline uint64_t gap_of(const struct iova_node *n)
{
	return n->own & LOW_MASK;
}

static inline unsigned flags_of(const struct iova_node *n)
{
	return (unsigned)(n->own >> TOP_SHIFT);
}

static inline void set_gap(struct iova_node *n, uint64_t gap)
{
	n->own = (n->own & ~LOW_MASK) | gap;
}

static inline void set_flags(struct iova_node *n, unsigned flags)
{
	n->own = (n->own & LOW_MASK) | (uint64_t)flags << TOP_SHIFT;
}

static inline uint64_t max_gap_of(const struct iova_node *n)
{
	return n->sum & LOW_MASK;
}

/* A magazine: 127 node pointers and a word that is the fill count, or the
 * depot link while the (then always full) magazine sits in the depot. */
struct iova_magazine {
	union {
		size_t size;
		struct iova_magazine *next;
	};
	struct iova_node *slots[IOVA_MAG_SIZE];
};

struct iova_rcache {
	struct iova_magazine *loaded, *prev, *depot;
	size_t depot_size;
};

struct iova_domain {
	struct iova_node *root;
	uint64_t granule, start_pfn, dma_32bit_pfn, max_pfn;
	uint64_t count, pages, cached;
	struct iova_node *free_nodes; /* recycled nodes, linked through ->left */
	struct iova_node **slabs;
	size_t nslabs, slab_cap, slab_used;
	size_t magazines;
	struct iova_rcache rcaches[IOVA_RANGE_CACHE_MAX_SIZE];
	struct iova_node **hints; /* 2^IOVA_HINT_BITS entries, made by the first alloc_fast */
	uint64_t searches, visits, last_visits, max_visits, hits, misses;
	struct iova_node anchor;
};

/* ---- bit helpers ------------------------------------------------------ */

static inline unsigned msb(uint64_t x) /* x != 0 */
{
	return 63u - (unsigned)__builtin_clzll(x);
}

/* order_base_2(): ceil(log2(n)), 0 for n <= 1 */
static inline unsigned order_base_2(uint64_t n)
{
	return n <= 1 ? 0 : msb(n - 1) + 1;
}

/* alloc_iova_fast() rounds sizes below the largest cached size up to a power
 * of two, so that a range parked in a cache can serve any request of its order. */
static inline uint64_t fast_size(uint64_t size)
{
	if (size < (UINT64_C(1) << (IOVA_RANGE_CACHE_MAX_SIZE - 1)))
		return UINT64_C(1) << order_base_2(size);
	return size;
}

/* Largest k such that [a, b] (1 <= a <= b) holds a block of 2^k pfns starting
 * at a multiple of 2^k. The point c of [a, b] with the most trailing zeros
 * (clear b below the highest bit where a - 1 and b differ) is the only
 * multiple of 2^p in the gap; every aligned block lies on one side of it. */
static unsigned block_order(uint64_t a, uint64_t b)
{
	unsigned p = msb((a - 1) ^ b);
	uint64_t c = b & ~((UINT64_C(1) << p) - 1);
	unsigned o = msb(b - c + 1);

	if (c > a && msb(c - a) > o)
		o = msb(c - a);
	return o;
}

/* pfns of [a, b] from its first multiple of 2^k on (0 if it has none). */
static uint64_t aligned_extent(uint64_t a, uint64_t b, unsigned k)
{
	uint64_t m, first;

	if (k >= 63)
		return 0;
	m = UINT64_C(1) << k;
	first = (a + m - 1) & ~(m - 1);
	return first <= b ? b - first + 1 : 0;
}

/* ---- node helpers ----------------------------------------------------- */

static inline unsigned height(const struct iova_node *n)
{
	return n ? (unsigned)(n->sum >> TOP_SHIFT) : 0;
}

/* Size of the gap below pfn_lo when the predecessor ends just before prev_end
 * (0: no predecessor). Nothing below start_pfn is free. */
static inline uint64_t gap_below(const struct iova_domain *d, uint64_t prev_end, uint64_t lo)
{
	uint64_t g = prev_end > d->start_pfn ? prev_end : d->start_pfn;

	return lo > g ? lo - g : 0;
}

/* Recompute height and subtree summaries from the node and its children.
 * Inlined: it runs for every node on every modified path. */
static IOVA_HOT void pull(struct iova_node *n)
{
	const struct iova_node *l = n->left, *r = n->right;
	uint64_t gap = (flags_of(n) & IOVA_FLAG_ANCHOR) ? 0 : gap_of(n), mg = gap, oe = 0;
	unsigned hl = 0, hr = 0;

	if (l) {
		mg = max_gap_of(l) > mg ? max_gap_of(l) : mg;
		oe = l->ordext > oe ? l->ordext : oe;
		hl = height(l);
	}
	if (r) {
		mg = max_gap_of(r) > mg ? max_gap_of(r) : mg;
		oe = r->ordext > oe ? r->ordext : oe;
		hr = height(r);
	}
	if (gap) {
		uint64_t b = n->pfn_lo - 1, a = n->pfn_lo - gap;
		unsigned own = block_order(a, b) + 1;

		/* the extent matters only if the own gap ties or beats the children */
		if (((uint64_t)own << TOP_SHIFT) >= (oe & ~((UINT64_C(1) << TOP_SHIFT) - 1))) {
			uint64_t mine = (uint64_t)own << TOP_SHIFT | aligned_extent(a, b, own);

			oe = mine > oe ? mine : oe;
		}
	}
	n->ordext = oe;
	n->sum = mg | (uint64_t)(1 + (hl > hr ? hl : hr)) << TOP_SHIFT;
}

static struct iova_node *rotate_left(struct iova_node *n)
{
	struct iova_node *r = n->right;

	n->right = r->left;
	r->left = n;
	pull(n);
	pull(r);
	return r;
}

static struct iova_node *rotate_right(struct iova_node *n)
{
	struct iova_node *l = n->left;

	n->left = l->right;
	l->right = n;
	pull(n);
	pull(l);
	return l;
}

/* Restore the AVL property at n (children already balanced) and its summaries. */
static struct iova_node *balance(struct iova_node *n)
{
	int bf = (int)height(n->left) - (int)height(n->right);

	if (bf > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (bf < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	pull(n);
	return n;
}

static struct iova_node *node_new(struct iova_domain *d)
{
	struct iova_node *n = d->free_nodes;

	if (n) {
		d->free_nodes = n->left;
		return n;
	}
	if (!d->nslabs || d->slab_used == NODES_PER_SLAB) {
		struct iova_node *slab;

		if (d->nslabs == d->slab_cap) {
			size_t cap = d->slab_cap ? 2 * d->slab_cap : 16;
			struct iova_node **t = realloc(d->slabs, cap * sizeof(*t));

			if (!t)
				return NULL;
			d->slabs = t;
			d->slab_cap = cap;
		}
		slab = malloc(NODES_PER_SLAB * sizeof(*slab));
		if (!slab)
			return NULL;
		d->slabs[d->nslabs++] = slab;
		d->slab_used = 0;
	}
	return &d->slabs[d->nslabs - 1][d->slab_used++];
}

static void node_put(struct iova_domain *d, struct iova_node *n)
{
	set_flags(n, IOVA_FLAG_FREE);
	n->left = d->free_nodes;
	d->free_nodes = n;
}

/* ---- tree operations -------------------------------------------------- */

/*
 * Re-balance and re-pull the path stack[0..start] bottom-up after a change
 * below stack[start]. A node whose height and summaries come out unchanged
 * hides the change from its ancestors, so the walk stops there, or skips
 * ahead to stack[forced], a node whose own gap changed (-1: none).
 */
static void fixup(struct iova_node **stack[], ptrdiff_t i, ptrdiff_t forced)
{
	for (; i >= 0; i--) {
		struct iova_node *n = *stack[i], *m;
		uint64_t sum = n->sum, oe = n->ordext;

		m = balance(n);
		*stack[i] = m;
		if (m->sum == sum && m->ordext == oe) {
			if (i <= forced || forced < 0)
				return;
			i = forced + 1;
		}
	}
}

/* Link x = [lo, hi] into the tree (it must not overlap any range). */
static void tree_insert(struct iova_domain *d, struct iova_node *x, uint64_t lo, uint64_t hi,
			unsigned flags)
{
	struct iova_node **stack[IOVA_MAX_DEPTH], **slot = &d->root, *succ = NULL;
	uint64_t prev_end = 0;
	ptrdiff_t depth = 0, at = -1;

	/* The direction is data-dependent and mispredicts half the time:
	 * written with selects, the compiler can use conditional moves. */
	while (*slot) {
		struct iova_node *n = *slot;
		int left = lo < n->pfn_lo;

		stack[depth++] = slot;
		succ = left ? n : succ;
		at = left ? depth - 1 : at;
		prev_end = left ? prev_end : n->pfn_hi + 1;
		slot = left ? &n->left : &n->right;
	}
	x->left = x->right = NULL;
	x->pfn_lo = lo;
	x->pfn_hi = hi;
	x->own = gap_below(d, prev_end, lo) | (uint64_t)flags << TOP_SHIFT;
	pull(x);
	*slot = x;
	/* The successor is an ancestor of the new leaf: fixup re-pulls it. */
	if (succ)
		set_gap(succ, gap_below(d, hi + 1, succ->pfn_lo));
	fixup(stack, depth - 1, at);
	d->count++;
	d->pages += hi - lo + 1;
}

static struct iova_node *tree_lookup(const struct iova_domain *d, uint64_t pfn)
{
	struct iova_node *n = d->root;

	while (n) {
		if (pfn >= n->pfn_lo && pfn <= n->pfn_hi)
			return n == &d->anchor ? NULL : n;
		n = pfn < n->pfn_lo ? n->left : n->right;
	}
	return NULL;
}

/* Unlink the range containing pfn (not the anchor; a cached one only if
 * cached_ok) and return it, or NULL. */
static struct iova_node *tree_remove(struct iova_domain *d, uint64_t pfn, int cached_ok)
{
	struct iova_node **stack[IOVA_MAX_DEPTH], **slot = &d->root, *x, *succ = NULL, *p;
	uint64_t prev_end = 0;
	ptrdiff_t depth = 0, k, at = -1;

	for (;;) {
		int left;

		x = *slot;
		if (!x)
			return NULL;
		stack[depth++] = slot;
		if (pfn >= x->pfn_lo && pfn <= x->pfn_hi)
			break;
		left = pfn < x->pfn_lo;
		succ = left ? x : succ;
		at = left ? depth - 1 : at;
		prev_end = left ? prev_end : x->pfn_hi + 1;
		slot = left ? &x->left : &x->right;
	}
	if (x == &d->anchor || ((flags_of(x) & IOVA_FLAG_CACHED) && !cached_ok))
		return NULL;
	k = depth - 1; /* stack[k] == slot holding x */
	for (p = x->left; p; p = p->right)
		prev_end = p->pfn_hi + 1; /* x's predecessor ends there */
	if (!x->right) {
		/* x is not the anchor, so it is not the root: k >= 1. Its successor
		 * is the nearest ancestor we left from, stack[at]. */
		*slot = x->left;
		set_gap(succ, gap_below(d, prev_end, succ->pfn_lo));
		fixup(stack, k - 1, at);
	} else {
		/* Replace x by its successor s, the leftmost node of x->right. */
		struct iova_node **ss = &x->right, *s;

		stack[depth++] = ss;
		while ((*ss)->left) {
			ss = &(*ss)->left;
			stack[depth++] = ss;
		}
		s = *ss;
		*ss = s->right;
		s->left = x->left;
		s->right = x->right;
		/* s now stands where x stood: make it look like x to its parent. */
		s->sum = x->sum;
		s->ordext = x->ordext;
		*slot = s;
		stack[k + 1] = &s->right;
		set_gap(s, gap_below(d, prev_end, s->pfn_lo));
		fixup(stack, depth - 2, k);
	}
	d->count--;
	d->pages -= x->pfn_hi - x->pfn_lo + 1;
	return x;
}

/* ---- the search ------------------------------------------------------- */

struct req {
	uint64_t size, mask; /* mask clears the alignment bits */
	uint64_t threshold;  /* size-aligned: the least ordext of a subtree that fits */
	int aligned;
};

static void req_init(struct req *q, uint64_t size, int size_aligned)
{
	unsigned k = order_base_2(size);

	q->size = size;
	q->aligned = size_aligned;
	q->mask = size_aligned ? ~((UINT64_C(1) << k) - 1) : ~UINT64_C(0);
	/* Aligned to 2^k, s pfns fit a gap of order >= k, or one of order k - 1
	 * whose extent from its multiple of 2^k reaches s: with the order stored
	 * plus one, that is ordext >= k << 56 | s. (For s = 2^k a gap of order
	 * k - 1 has an extent below 2^k, so the same test holds.) */
	q->threshold = (uint64_t)k << TOP_SHIFT | size;
}

/* Does some gap of n's subtree (ignoring the limit) hold a fit? Exact. */
static inline int subtree_fits(const struct iova_node *n, const struct req *q)
{
	return q->aligned ? n->ordext >= q->threshold : max_gap_of(n) >= q->size;
}

/* Highest fit in [a, b]. */
static inline int gap_fits(uint64_t a, uint64_t b, const struct req *q, uint64_t *pfn)
{
	uint64_t c;

	if (b < a || b - a + 1 < q->size)
		return 0;
	c = (b - q->size + 1) & q->mask;
	if (c < a)
		return 0;
	*pfn = c;
	return 1;
}

static inline int own_gap_fits(const struct iova_node *n, const struct req *q, uint64_t *pfn)
{
	uint64_t gap = gap_of(n);

	return gap && gap_fits(n->pfn_lo - gap, n->pfn_lo - 1, q, pfn);
}

/* The root-to-node path of a search: the slots holding each node on it. */
struct path {
	struct iova_node **slot[IOVA_MAX_DEPTH];
	ptrdiff_t depth;
};

/*
 * Find the highest fit ending at or below limit; return the node whose gap
 * holds it (the path leads to that node) and the fit's first pfn in *pfn.
 *
 * Gaps are ordered like their nodes. The anchor's gap is the highest and is
 * tried first; the summaries leave it out, so they answer for the ranges'
 * gaps only. Nodes with pfn_lo <= limit + 1 have their whole gap under the
 * limit: they are the nodes where the descent towards the limit turns
 * right, with their left subtrees. The lowest node above that bound may
 * have a gap that straddles the limit and is checked on its own. The
 * descent stops early where the subtree ahead holds no fit at all; the
 * climb back up then tries each right-turning node's gap and left subtree,
 * and the first left subtree that holds a fit is searched from its right
 * end. Each phase visits at most one node per level.
 */
static struct iova_node *search(struct iova_domain *d, const struct req *q, uint64_t limit,
				uint64_t *pfn, struct path *p)
{
	ptrdiff_t turn[IOVA_MAX_DEPTH], turns = 0, above = -1, depth = 0;
	struct iova_node **slot = &d->root, *n = d->root, *anchor = &d->anchor, *found = NULL;
	uint64_t visits = 1;

	if (gap_fits(anchor->pfn_lo - gap_of(anchor),
		     limit < anchor->pfn_lo - 1 ? limit : anchor->pfn_lo - 1, q, pfn)) {
		/* the anchor is the rightmost node: its path is the right spine */
		for (;; slot = &(*slot)->right) {
			p->slot[depth++] = slot;
			if (*slot == anchor)
				break;
		}
		found = anchor;
		goto out;
	}
	if (!subtree_fits(n, q))
		goto out; /* no fit anywhere, whatever the limit */
	for (;;) {
		struct iova_node **next;

		p->slot[depth] = slot;
		if (n->pfn_lo > limit + 1) {
			above = depth;
			next = &n->left;
		} else {
			turn[turns++] = depth;
			next = &n->right;
		}
		depth++;
		if (!*next)
			break;
		visits++;
		if (!subtree_fits(*next, q))
			break;
		slot = next;
		n = *slot;
	}
	if (above >= 0 && (n = *p->slot[above]) != anchor && gap_of(n)) {
		uint64_t a = n->pfn_lo - gap_of(n);

		if (a <= limit && gap_fits(a, limit, q, pfn)) {
			depth = above + 1;
			found = n;
			goto out;
		}
	}
	while (turns) {
		depth = turn[--turns];
		n = *p->slot[depth++];
		if (own_gap_fits(n, q, pfn)) {
			found = n;
			goto out;
		}
		if (n->left) {
			visits++;
			if (subtree_fits(n->left, q)) {
				p->slot[depth++] = &n->left;
				n = n->left;
				goto descend;
			}
		}
	}
	goto out;
descend:
	/* n's subtree lies wholly under the limit and holds a fit: take the
	 * rightmost one, preferring the right subtree, then n, then the left. */
	for (;;) {
		struct iova_node *r = n->right;

		if (r) {
			visits++;
			if (subtree_fits(r, q)) {
				p->slot[depth++] = &n->right;
				n = r;
				continue;
			}
		}
		if (own_gap_fits(n, q, pfn)) {
			found = n;
			break;
		}
		if (!n->left)
			break; /* unreachable while the summaries are right */
		p->slot[depth++] = &n->left;
		n = n->left;
		visits++;
	}
out:
	p->depth = depth;
	d->searches++;
	d->visits += visits;
	d->last_visits = visits;
	if (visits > d->max_visits)
		d->max_visits = visits;
	return found;
}

/* Link x = [lo, hi], carved from the gap of g (the last node of path p), as
 * g's new predecessor: the rightmost position of g's left subtree. */
static void insert_below(struct iova_domain *d, struct path *p, struct iova_node *g,
			 struct iova_node *x, uint64_t lo, uint64_t hi)
{
	ptrdiff_t at = p->depth - 1;
	struct iova_node **slot = &g->left;
	uint64_t a = g->pfn_lo - gap_of(g); /* first free pfn of g's gap */

	while (*slot) {
		p->slot[p->depth++] = slot;
		slot = &(*slot)->right;
	}
	x->left = x->right = NULL;
	x->pfn_lo = lo;
	x->pfn_hi = hi;
	x->own = lo - a;
	pull(x);
	*slot = x;
	set_gap(g, g->pfn_lo - hi - 1);
	fixup(p->slot, p->depth - 1, at);
	d->count++;
	d->pages += hi - lo + 1;
}

/* ---- public API: domain and tree -------------------------------------- */

static struct iova_magazine *mag_new(struct iova_domain *d)
{
	struct iova_magazine *m = malloc(sizeof(*m));

	if (m) {
		m->size = 0;
		d->magazines++;
	}
	return m;
}

static void mag_free(struct iova_domain *d, struct iova_magazine *m)
{
	if (m) {
		free(m);
		d->magazines--;
	}
}

struct iova_domain *iova_domain_new(uint64_t granule, uint64_t start_pfn)
{
	struct iova_domain *d;
	unsigned shift;
	int i;

	if (granule < 4096 || granule > 65536 || (granule & (granule - 1)))
		return NULL;
	shift = msb(granule);
	if (start_pfn < 1 || start_pfn > (~UINT64_C(0) >> shift))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->granule = granule;
	d->start_pfn = start_pfn;
	d->dma_32bit_pfn = UINT64_C(1) << (32 - shift);
	d->max_pfn = ~UINT64_C(0) >> shift;
	/* The anchor sits just above the address space and is never freed. */
	d->anchor.pfn_lo = d->anchor.pfn_hi = d->max_pfn + 1;
	d->anchor.own = gap_below(d, 0, d->anchor.pfn_lo) | (uint64_t)IOVA_FLAG_ANCHOR << TOP_SHIFT;
	pull(&d->anchor);
	d->root = &d->anchor;
	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		d->rcaches[i].loaded = mag_new(d);
		d->rcaches[i].prev = mag_new(d);
		if (!d->rcaches[i].loaded || !d->rcaches[i].prev) {
			iova_domain_free(d);
			return NULL;
		}
	}
	return d;
}

void iova_domain_free(struct iova_domain *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_rcache *rc = &d->rcaches[i];

		mag_free(d, rc->loaded);
		mag_free(d, rc->prev);
		while (rc->depot) {
			struct iova_magazine *m = rc->depot;

			rc->depot = m->next;
			mag_free(d, m);
		}
	}
	for (i = 0; i < d->nslabs; i++)
		free(d->slabs[i]);
	free(d->slabs);
	free(d->hints);
	free(d);
}

/* alloc_iova(): the new range's node, or NULL. */
static struct iova_node *alloc_node(struct iova_domain *d, uint64_t size, uint64_t limit_pfn,
				    int size_aligned)
{
	struct iova_node *x, *g;
	struct path p;
	struct req q;
	uint64_t pfn;

	d->last_visits = 0;
	if (!size || limit_pfn < d->start_pfn || limit_pfn > d->max_pfn ||
	    size > limit_pfn - d->start_pfn + 1)
		return NULL;
	x = node_new(d);
	if (!x)
		return NULL;
	req_init(&q, size, size_aligned);
	g = search(d, &q, limit_pfn, &pfn, &p);
	if (!g) {
		node_put(d, x);
		return NULL;
	}
	insert_below(d, &p, g, x, pfn, pfn + size - 1);
	return x;
}

uint64_t iova_alloc(struct iova_domain *d, uint64_t size, uint64_t limit_pfn, int size_aligned)
{
	struct iova_node *x = alloc_node(d, size, limit_pfn, size_aligned);

	return x ? x->pfn_lo : 0;
}

uint64_t iova_handle_alloc(const struct iova_handle *h, uint64_t size)
{
	return iova_alloc(h->domain, size, h->limit_pfn, h->size_aligned);
}

uint64_t iova_free(struct iova_domain *d, uint64_t pfn)
{
	struct iova_node *x = tree_remove(d, pfn, 0);
	uint64_t size;

	if (!x)
		return 0;
	size = x->pfn_hi - x->pfn_lo + 1;
	node_put(d, x);
	return size;
}

int iova_find(const struct iova_domain *d, uint64_t pfn, uint64_t *lohi, uint32_t *flags)
{
	const struct iova_node *n = tree_lookup(d, pfn);

	if (!n)
		return 0;
	if (lohi) {
		lohi[0] = n->pfn_lo;
		lohi[1] = n->pfn_hi;
	}
	if (flags)
		*flags = flags_of(n);
	return 1;
}

/*
 * reserve_iova(): every range overlapping [lo, hi] is extended down to cover
 * the request's start (and flagged reserved); the request then continues
 * above that range, and what is left past the last overlap becomes a new
 * range. Like Linux, the result can be several adjacent ranges. Each
 * overlapped range costs one O(log n) descent. A range parked in a range
 * cache must not grow (the cache would hand reserved pfns back out), so an
 * overlap with one first returns every cached range to the tree.
 */
int iova_reserve(struct iova_domain *d, uint64_t lo, uint64_t hi)
{
	struct iova_node **stack[IOVA_MAX_DEPTH], *x;

	if (lo > hi || hi > d->max_pfn)
		return -EINVAL;
	for (;;) {
		struct iova_node **slot = &d->root, *n = NULL;
		size_t depth = 0, at = 0;

		/* the lowest range ending at or above lo (the anchor at worst) */
		while (*slot) {
			stack[depth++] = slot;
			if ((*slot)->pfn_hi >= lo) {
				n = *slot;
				at = depth;
				slot = &n->left;
			} else {
				slot = &(*slot)->right;
			}
		}
		if (n->pfn_lo > hi)
			break;
		if (flags_of(n) & IOVA_FLAG_CACHED) {
			iova_rcache_flush(d);
			continue;
		}
		if (lo < n->pfn_lo) {
			if (gap_of(n)) {
				uint64_t a = n->pfn_lo - gap_of(n);

				set_gap(n, lo > a ? lo - a : 0);
			}
			d->pages += n->pfn_lo - lo;
			n->pfn_lo = lo;
			while (at--)
				pull(*stack[at]);
		}
		set_flags(n, flags_of(n) | IOVA_FLAG_RESERVED);
		if (hi <= n->pfn_hi)
			return 0;
		lo = n->pfn_hi + 1;
	}
	x = node_new(d);
	if (!x)
		return -ENOMEM;
	tree_insert(d, x, lo, hi, IOVA_FLAG_RESERVED);
	return 0;
}

/* ---- range caches ----------------------------------------------------- */

/* Give every range of a magazine back to the tree. */
static void mag_release(struct iova_domain *d, struct iova_magazine *m)
{
	size_t i;

	for (i = 0; i < m->size; i++) {
		struct iova_node *x = tree_remove(d, m->slots[i]->pfn_lo, 1);

		d->cached--;
		node_put(d, x);
	}
	m->size = 0;
}

/* Pop the topmost entry that ends at or below limit (scanning down the
 * magazine, "try harder"); the top entry fills the hole. */
static struct iova_node *mag_pop(struct iova_domain *d, struct iova_magazine *m, uint64_t max_lo)
{
	size_t i = m->size;

	while (i--) {
		struct iova_node *x = m->slots[i];

		if (x->pfn_lo <= max_lo) {
			m->slots[i] = m->slots[--m->size];
			set_flags(x, flags_of(x) & ~(unsigned)IOVA_FLAG_CACHED);
			d->cached--;
			return x;
		}
	}
	return NULL;
}

static struct iova_node *rcache_get(struct iova_domain *d, uint64_t size, uint64_t limit)
{
	unsigned o = order_base_2(size);
	struct iova_rcache *rc;

	if (o >= IOVA_RANGE_CACHE_MAX_SIZE)
		return NULL;
	rc = &d->rcaches[o];
	if (!rc->loaded->size) {
		if (rc->prev->size) {
			struct iova_magazine *t = rc->loaded;

			rc->loaded = rc->prev;
			rc->prev = t;
		} else if (rc->depot) {
			mag_free(d, rc->loaded);
			rc->loaded = rc->depot;
			rc->depot = rc->loaded->next;
			rc->loaded->size = IOVA_MAG_SIZE;
			rc->depot_size--;
		} else {
			return NULL;
		}
	}
	if (size > limit)
		return NULL;
	return mag_pop(d, rc->loaded, limit - size + 1);
}

/* Park x in the cache of its order; 0 if it does not fit there. */
static int rcache_insert(struct iova_domain *d, struct iova_node *x, uint64_t size)
{
	unsigned o = order_base_2(size);
	struct iova_rcache *rc;

	if (o >= IOVA_RANGE_CACHE_MAX_SIZE)
		return 0;
	rc = &d->rcaches[o];
	if (rc->loaded->size == IOVA_MAG_SIZE) {
		if (rc->prev->size < IOVA_MAG_SIZE) {
			struct iova_magazine *t = rc->loaded;

			rc->loaded = rc->prev;
			rc->prev = t;
		} else {
			struct iova_magazine *m = mag_new(d);

			if (!m)
				return 0;
			rc->loaded->next = rc->depot;
			rc->depot = rc->loaded;
			rc->depot_size++;
			rc->loaded = m;
		}
	}
	rc->loaded->slots[rc->loaded->size++] = x;
	set_flags(x, flags_of(x) | IOVA_FLAG_CACHED);
	d->cached++;
	return 1;
}

static inline size_t hint_of(uint64_t pfn)
{
	return (size_t)((pfn * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - IOVA_HINT_BITS));
}

uint64_t iova_alloc_fast(struct iova_domain *d, uint64_t size, uint64_t limit_pfn,
			 int flush_rcache)
{
	struct iova_node *x;

	if (!size || limit_pfn < d->start_pfn || limit_pfn > d->max_pfn)
		return 0;
	if (!d->hints)
		d->hints = calloc((size_t)1 << IOVA_HINT_BITS, sizeof(*d->hints));
	size = fast_size(size);
	x = rcache_get(d, size, limit_pfn);
	if (x) {
		d->hits++;
	} else {
		d->misses++;
		for (;;) {
			x = alloc_node(d, size, limit_pfn, 1);
			if (x || !flush_rcache)
				break;
			flush_rcache = 0;
			iova_rcache_flush(d);
		}
		if (!x)
			return 0;
	}
	if (d->hints)
		d->hints[hint_of(x->pfn_lo)] = x;
	return x->pfn_lo;
}

/* free_iova_fast() for the range starting at pfn; size 0 takes the range's own. */
static int free_fast(struct iova_domain *d, uint64_t pfn, uint64_t size)
{
	struct iova_node *x = d->hints ? d->hints[hint_of(pfn)] : NULL;
	uint64_t have;

	/* A hint is only a guess: nodes are never unmapped while the domain
	 * lives, and one on the free list is flagged. */
	if (!x || x->pfn_lo != pfn || (flags_of(x) & IOVA_FLAG_FREE))
		x = tree_lookup(d, pfn);
	if (!x || x->pfn_lo != pfn || (flags_of(x) & IOVA_FLAG_CACHED))
		return -ENOENT;
	have = x->pfn_hi - x->pfn_lo + 1;
	if (!size)
		size = have;
	/* Unlike Linux, refuse a size the range was not allocated with: cached
	 * under the wrong order it would later overlap its neighbours. */
	if (fast_size(size) != have)
		return -EINVAL;
	if (!rcache_insert(d, x, size))
		node_put(d, tree_remove(d, pfn, 0));
	return 0;
}

int iova_free_fast(struct iova_domain *d, uint64_t pfn, uint64_t size)
{
	if (!size)
		return -EINVAL;
	return free_fast(d, pfn, size);
}

void iova_rcache_flush(struct iova_domain *d)
{
	int i;

	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_rcache *rc = &d->rcaches[i];

		mag_release(d, rc->loaded);
		mag_release(d, rc->prev);
		while (rc->depot) {
			struct iova_magazine *m = rc->depot;

			rc->depot = m->next;
			m->size = IOVA_MAG_SIZE;
			mag_release(d, m);
			mag_free(d, m);
		}
		rc->depot_size = 0;
	}
}

size_t iova_rcache_trim(struct iova_domain *d, unsigned int online_cpus)
{
	size_t released = 0;
	int i;

	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_rcache *rc = &d->rcaches[i];
		struct iova_magazine *m;

		if (rc->depot_size <= online_cpus)
			continue;
		m = rc->depot;
		rc->depot = m->next;
		rc->depot_size--;
		m->size = IOVA_MAG_SIZE;
		mag_release(d, m);
		mag_free(d, m);
		released++;
	}
	return released;
}

/* ---- batches ---------------------------------------------------------- */

static inline uint64_t alloc_flags(struct iova_domain *d, uint64_t size, uint64_t limit, int flags)
{
	if (flags & IOVA_BATCH_FAST)
		return iova_alloc_fast(d, size, limit, 1);
	return iova_alloc(d, size, limit, flags & IOVA_BATCH_ALIGNED);
}

size_t iova_alloc_batch(struct iova_domain *d, const uint64_t *sizes, uint64_t *out, size_t n,
			uint64_t limit_pfn, int flags, uint32_t *visits)
{
	size_t i, done = 0;

	for (i = 0; i < n; i++) {
		out[i] = alloc_flags(d, sizes[i], limit_pfn, flags);
		done += out[i] != 0;
		if (visits)
			visits[i] = (uint32_t)d->last_visits;
	}
	return done;
}

size_t iova_free_batch(struct iova_domain *d, const uint64_t *pfns, const uint64_t *sizes,
		       size_t n, int flags)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (flags & IOVA_BATCH_FAST) {
			if (iova_free_fast(d, pfns[i], sizes[i]))
				return i;
		} else if (!iova_free(d, pfns[i])) {
			return i;
		}
	}
	return n;
}

int64_t iova_replace_batch(struct iova_domain *d, uint64_t *slots, const uint64_t *victims,
			   const uint64_t *sizes, size_t n, uint64_t limit_pfn, int flags)
{
	int64_t failed = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t *slot = &slots[victims[i]];

		if (*slot) {
			int bad = (flags & IOVA_BATCH_FAST) ? free_fast(d, *slot, 0) != 0
							    : !iova_free(d, *slot);
			if (bad)
				return -(int64_t)i - 1;
		}
		*slot = alloc_flags(d, sizes[i], limit_pfn, flags);
		failed += !*slot;
	}
	return failed;
}

/* ---- inspection ------------------------------------------------------- */

size_t iova_ranges(const struct iova_domain *d, uint64_t from_pfn, uint64_t *lohi,
		   uint8_t *flags, size_t max)
{
	const struct iova_node *stack[IOVA_MAX_DEPTH], *n = d->root;
	size_t sp = 0, w = 0;

	while (n) {
		if (n->pfn_lo >= from_pfn) {
			stack[sp++] = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	while (sp && w < max) {
		n = stack[--sp];
		if (n == &d->anchor)
			break;
		lohi[2 * w] = n->pfn_lo;
		lohi[2 * w + 1] = n->pfn_hi;
		if (flags)
			flags[w] = (uint8_t)flags_of(n);
		w++;
		for (n = n->right; n; n = n->left)
			stack[sp++] = n;
	}
	return w;
}

uint64_t iova_count(const struct iova_domain *d)
{
	return d->count;
}

uint64_t iova_last_visits(const struct iova_domain *d)
{
	return d->last_visits;
}

void iova_get_stats(const struct iova_domain *d, struct iova_stats *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	st->granule = d->granule;
	st->start_pfn = d->start_pfn;
	st->dma_32bit_pfn = d->dma_32bit_pfn;
	st->max_pfn = d->max_pfn;
	st->ranges = d->count;
	st->pages = d->pages;
	st->cached = d->cached;
	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++)
		st->depot += d->rcaches[i].depot_size;
	st->height = height(d->root);
	st->max_gap = max_gap_of(d->root) > gap_of(&d->anchor) ? max_gap_of(d->root)
								: gap_of(&d->anchor);
	st->node_bytes = sizeof(struct iova_node);
	st->bytes = sizeof(*d) + d->nslabs * NODES_PER_SLAB * sizeof(struct iova_node) +
		    d->slab_cap * sizeof(*d->slabs) + d->magazines * sizeof(struct iova_magazine) +
		    (d->hints ? sizeof(*d->hints) << IOVA_HINT_BITS : 0);
	st->searches = d->searches;
	st->visits = d->visits;
	st->last_visits = d->last_visits;
	st->max_visits = d->max_visits;
	st->rcache_hits = d->hits;
	st->rcache_misses = d->misses;
}

struct check_state {
	const struct iova_domain *d;
	uint64_t prev_end, count, pages, cached;
	int err;
};

static void check_node(struct check_state *cs, const struct iova_node *n)
{
	struct iova_node copy;

	if (!n || cs->err)
		return;
	check_node(cs, n->left);
	if (cs->err)
		return;
	if (n->pfn_lo > n->pfn_hi)
		cs->err = -2; /* empty range */
	else if (cs->prev_end && n->pfn_lo < cs->prev_end)
		cs->err = -3; /* out of order or overlapping */
	else if (gap_of(n) != gap_below(cs->d, cs->prev_end, n->pfn_lo))
		cs->err = -4; /* stale gap */
	if (cs->err)
		return;
	copy = *n;
	pull(&copy);
	if (height(&copy) != height(n))
		cs->err = -5;
	else if (copy.sum != n->sum || copy.ordext != n->ordext)
		cs->err = -6; /* stale summary */
	else if (height(n->left) > height(n->right) + 1 || height(n->right) > height(n->left) + 1)
		cs->err = -7; /* unbalanced */
	if (cs->err)
		return;
	cs->prev_end = n->pfn_hi + 1;
	if (n != &cs->d->anchor) {
		cs->count++;
		cs->pages += n->pfn_hi - n->pfn_lo + 1;
		cs->cached += (flags_of(n) & IOVA_FLAG_CACHED) != 0;
	}
	check_node(cs, n->right);
}

int iova_check(const struct iova_domain *d)
{
	struct check_state cs = { d, 0, 0, 0, 0, 0 };
	const struct iova_node *n;
	uint64_t in_mags = 0;
	size_t i, j;

	for (n = d->root; n && n->right; n = n->right)
		;
	if (n != &d->anchor)
		return -1; /* the anchor must be the rightmost node */
	check_node(&cs, d->root);
	if (cs.err)
		return cs.err;
	if (cs.count != d->count || cs.pages != d->pages)
		return -8; /* counters */
	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		const struct iova_rcache *rc = &d->rcaches[i];
		const struct iova_magazine *m;
		size_t depot = 0;

		for (m = rc->depot; m; m = m->next)
			depot++;
		if (depot != rc->depot_size)
			return -9; /* depot list */
		for (j = 0; j < 2; j++) {
			m = j ? rc->prev : rc->loaded;
			for (size_t s = 0; s < m->size; s++)
				if (!(flags_of(m->slots[s]) & IOVA_FLAG_CACHED) ||
				    m->slots[s]->pfn_hi - m->slots[s]->pfn_lo + 1 != (UINT64_C(1) << i))
					return -10; /* magazine entry */
			in_mags += m->size;
		}
		for (m = rc->depot; m; m = m->next) {
			for (size_t s = 0; s < IOVA_MAG_SIZE; s++)
				if (!(flags_of(m->slots[s]) & IOVA_FLAG_CACHED))
					return -10;
			in_mags += IOVA_MAG_SIZE;
		}
	}
	if (in_mags != d->cached || cs.cached != d->cached)
		return -11; /* cached ranges */
	return 0;
}
