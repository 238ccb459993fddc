/*
 * test_iova.c - standalone tests of iommush's C IOVA allocator (no Python).
 *
 * Placement and reserve examples, error paths, the range caches, batches,
 * a logarithmic visit bound on fragmented states, and a long random run on
 * small address spaces against a brute-force bitmap oracle, with the full
 * invariant check after every operation. Built and run by run.sh, plain and
 * under ASan + UBSan.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iova.h"

static int failures;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                      \
		}                                                                        \
	} while (0)

#define CHECK_EQ(a, b)                                                                   \
	do {                                                                             \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		if (a_ != b_) {                                                          \
			fprintf(stderr, "%s:%d: %s == %#llx, expected %#llx\n", __FILE__, __LINE__, \
				#a, a_, b_);                                             \
			failures++;                                                      \
		}                                                                        \
	} while (0)

#define LIMIT32 ((UINT64_C(1) << 20) - 1)
#define LIMIT64 ((UINT64_C(1) << 36) - 1)

static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * UINT64_C(2685821657736338717);
}

static uint64_t below(uint64_t n)
{
	return rng() % n;
}

static void test_domain_init(void)
{
	struct iova_domain *d;
	struct iova_stats st;

	CHECK(iova_domain_new(4095, 1) == NULL);
	CHECK(iova_domain_new(2048, 1) == NULL);
	CHECK(iova_domain_new(6000, 1) == NULL);
	CHECK(iova_domain_new(4096, 0) == NULL);
	d = iova_domain_new(65536, 1);
	CHECK(d != NULL);
	iova_get_stats(d, &st);
	CHECK_EQ(st.dma_32bit_pfn, 1 << 16);
	CHECK_EQ(st.max_pfn, ~UINT64_C(0) >> 16);
	CHECK_EQ(st.node_bytes, 56);
	iova_domain_free(d);
	iova_domain_free(NULL);
}

static void test_placement(void)
{
	struct iova_domain *d = iova_domain_new(4096, 1);
	uint64_t lohi[2];
	uint32_t flags;

	/* a PCI device's first 4 KiB mapping lands just below 4 GiB */
	CHECK_EQ(iova_alloc(d, 1, LIMIT32, 1), 0xfffff);
	CHECK_EQ(iova_alloc(d, 1, LIMIT32, 1), 0xffffe);
	/* aligned to roundup_pow_of_two(size), the size itself kept */
	CHECK_EQ(iova_alloc(d, 2, LIMIT32, 1), 0xffffc);
	CHECK_EQ(iova_alloc(d, 3, LIMIT32, 1), 0xffff8);
	CHECK(iova_find(d, 0xffffa, lohi, &flags));
	CHECK_EQ(lohi[0], 0xffff8);
	CHECK_EQ(lohi[1], 0xffffa);
	CHECK_EQ(flags, 0);
	/* the hole left at 0xffffb takes an unaligned or a 1-page request */
	CHECK_EQ(iova_alloc(d, 1, LIMIT32, 0), 0xffffb);
	CHECK_EQ(iova_alloc(d, 8, LIMIT32, 1), 0xffff0);
	CHECK_EQ(iova_alloc(d, 5, LIMIT32, 0), 0xfffeb);
	CHECK_EQ(iova_count(d), 7);
	/* a lower limit, and a limit inside a range */
	CHECK_EQ(iova_alloc(d, 4, 0x1003, 1), 0x1000);
	CHECK_EQ(iova_alloc(d, 1, 0xffff9, 1), 0xfffea);
	/* the 64-bit limit goes above 4 GiB */
	CHECK_EQ(iova_alloc(d, 16, LIMIT64, 1), LIMIT64 - 15);
	/* free the range containing a pfn; unknown pfns are reported */
	CHECK_EQ(iova_free(d, 0xffff9), 3);
	CHECK_EQ(iova_free(d, 0xffff9), 0);
	CHECK_EQ(iova_free(d, 0), 0);
	CHECK_EQ(iova_free(d, ~UINT64_C(0) >> 12), 0);
	/* 0xffffb is still taken: the first free aligned block of 4 is lower */
	CHECK_EQ(iova_alloc(d, 4, LIMIT32, 1), 0xfffe4);
	/* nothing below start_pfn, nothing past the limit */
	CHECK_EQ(iova_alloc(d, 0, LIMIT32, 1), 0);
	CHECK_EQ(iova_alloc(d, 1, 0, 1), 0);
	CHECK_EQ(iova_alloc(d, 2, 1, 1), 0);
	CHECK_EQ(iova_alloc(d, 1, 1, 1), 1);
	CHECK_EQ(iova_alloc(d, 1, 1, 1), 0);
	CHECK_EQ(iova_check(d), 0);
	iova_domain_free(d);
}

static void test_fill_exactly(void)
{
	struct iova_domain *d = iova_domain_new(4096, 5);
	uint64_t i, pfn;

	/* every pfn of [5, 68] can be handed out, then nothing */
	for (i = 0; i < 64; i++) {
		pfn = iova_alloc(d, 1, 68, 1);
		CHECK_EQ(pfn, 68 - i);
	}
	CHECK_EQ(iova_alloc(d, 1, 68, 1), 0);
	CHECK_EQ(iova_free(d, 40), 1);
	CHECK_EQ(iova_alloc(d, 2, 68, 1), 0);
	CHECK_EQ(iova_alloc(d, 1, 68, 1), 40);
	/* a size bigger than the space */
	CHECK_EQ(iova_alloc(d, 1000, 68, 0), 0);
	CHECK_EQ(iova_check(d), 0);
	iova_domain_free(d);
}

static void test_reserve(void)
{
	struct iova_domain *d = iova_domain_new(4096, 1);
	uint64_t lohi[8];
	uint8_t flags[4];
	size_t n;

	CHECK_EQ(iova_reserve(d, 20, 10), -EINVAL);
	CHECK_EQ(iova_reserve(d, 0, (~UINT64_C(0) >> 12) + 1), -EINVAL);
	CHECK_EQ(iova_reserve(d, 100, 199), 0);
	/* inside an existing range: nothing new */
	CHECK_EQ(iova_reserve(d, 120, 130), 0);
	CHECK_EQ(iova_count(d), 1);
	/* overlapping its start: the range grows down */
	CHECK_EQ(iova_reserve(d, 90, 110), 0);
	CHECK(iova_find(d, 95, lohi, NULL));
	CHECK_EQ(lohi[0], 90);
	CHECK_EQ(lohi[1], 199);
	/* overlapping its end: the rest becomes a new adjacent range */
	CHECK_EQ(iova_reserve(d, 150, 249), 0);
	n = iova_ranges(d, 0, lohi, flags, 4);
	CHECK_EQ(n, 2);
	CHECK_EQ(lohi[0], 90);
	CHECK_EQ(lohi[1], 199);
	CHECK_EQ(lohi[2], 200);
	CHECK_EQ(lohi[3], 249);
	CHECK_EQ(flags[0], IOVA_FLAG_RESERVED);
	/* spanning two ranges and the gap between: the upper one grows down */
	CHECK_EQ(iova_reserve(d, 300, 309), 0);
	CHECK_EQ(iova_reserve(d, 240, 305), 0);
	n = iova_ranges(d, 0, lohi, NULL, 4);
	CHECK_EQ(n, 3);
	CHECK_EQ(lohi[4], 250);
	CHECK_EQ(lohi[5], 309);
	/* below start_pfn, and pfn 0 itself */
	CHECK_EQ(iova_reserve(d, 0, 0), 0);
	CHECK(iova_find(d, 0, lohi, NULL));
	/* allocations avoid all of it */
	CHECK_EQ(iova_alloc(d, 64, 309, 1), 0);
	CHECK_EQ(iova_alloc(d, 32, 309, 1), 32);
	CHECK_EQ(iova_check(d), 0);
	iova_domain_free(d);
}

static void test_ranges_chunked(void)
{
	struct iova_domain *d = iova_domain_new(4096, 1);
	uint64_t lohi[2 * 7], cursor = 0, seen = 0, last = 0, i;
	size_t n;

	for (i = 0; i < 100; i++)
		iova_alloc(d, 1 + i % 3, LIMIT32, 0);
	do {
		n = iova_ranges(d, cursor, lohi, NULL, 7);
		for (size_t k = 0; k < n; k++) {
			CHECK(lohi[2 * k] >= last);
			last = lohi[2 * k + 1] + 1;
		}
		seen += n;
		if (n)
			cursor = lohi[2 * n - 2] + 1;
	} while (n == 7);
	CHECK_EQ(seen, 100);
	iova_domain_free(d);
}

static void test_rcache(void)
{
	struct iova_domain *d = iova_domain_new(4096, 1);
	struct iova_stats st;
	uint64_t pfns[600], a, b, i;

	/* sizes below 32 are rounded up to a power of two */
	a = iova_alloc_fast(d, 3, LIMIT32, 1);
	CHECK(iova_find(d, a, pfns, NULL));
	CHECK_EQ(pfns[1] - pfns[0] + 1, 4);
	CHECK_EQ(iova_free_fast(d, a, 3), 0);
	/* given back twice, or from the middle, or with another size: refused */
	CHECK_EQ(iova_free_fast(d, a, 3), -ENOENT);
	CHECK_EQ(iova_free(d, a), 0);
	b = iova_alloc_fast(d, 4, LIMIT32, 1);
	CHECK_EQ(b, a); /* LIFO reuse */
	CHECK_EQ(iova_free_fast(d, b + 1, 4), -ENOENT);
	CHECK_EQ(iova_free_fast(d, b, 8), -EINVAL);
	CHECK_EQ(iova_free_fast(d, b, 0), -EINVAL);
	/* a range the caches cannot hold goes back to the tree */
	a = iova_alloc_fast(d, 33, LIMIT32, 1);
	CHECK_EQ(iova_free_fast(d, a, 33), 0);
	CHECK(!iova_find(d, a, NULL, NULL));
	/* fill loaded, prev and the depot */
	for (i = 0; i < 600; i++)
		pfns[i] = iova_alloc_fast(d, 1, LIMIT32, 1);
	for (i = 0; i < 600; i++)
		CHECK_EQ(iova_free_fast(d, pfns[i], 1), 0);
	iova_get_stats(d, &st);
	CHECK_EQ(st.cached, 600);
	CHECK_EQ(st.depot, (600 - 2 * IOVA_MAG_SIZE + IOVA_MAG_SIZE - 1) / IOVA_MAG_SIZE);
	CHECK_EQ(iova_check(d), 0);
	/* the depot work gives magazines back while the depot holds more than the CPUs */
	CHECK_EQ(iova_rcache_trim(d, 1), 1);
	CHECK_EQ(iova_rcache_trim(d, 1), 1);
	CHECK_EQ(iova_rcache_trim(d, 1), 0);
	iova_get_stats(d, &st);
	CHECK_EQ(st.depot, 1);
	CHECK_EQ(iova_check(d), 0);
	/* a pop scans down the magazine for an entry under the limit */
	a = iova_alloc_fast(d, 1, 0xfff00, 1);
	CHECK(a != 0 && a <= 0xfff00);
	CHECK_EQ(iova_check(d), 0);
	/* flush: everything cached back to the tree */
	iova_rcache_flush(d);
	iova_get_stats(d, &st);
	CHECK_EQ(st.cached, 0);
	CHECK_EQ(st.depot, 0);
	CHECK_EQ(st.ranges, 2);
	CHECK_EQ(iova_check(d), 0);
	iova_domain_free(d);
}

static void test_rcache_flush_on_failure(void)
{
	struct iova_domain *d = iova_domain_new(4096, 1);
	uint64_t i, p[16];

	/* 16 pfns in all: cache them, then ask for 8 at once */
	for (i = 0; i < 16; i++)
		p[i] = iova_alloc_fast(d, 1, 16, 1);
	CHECK_EQ(iova_alloc_fast(d, 1, 16, 1), 0);
	for (i = 0; i < 16; i++)
		CHECK_EQ(iova_free_fast(d, p[i], 1), 0);
	CHECK_EQ(iova_alloc_fast(d, 8, 16, 0), 0);
	CHECK_EQ(iova_alloc_fast(d, 8, 16, 1), 8);
	CHECK_EQ(iova_count(d), 1);
	CHECK_EQ(iova_check(d), 0);
	/* reserving over a cached range first returns the caches to the tree */
	CHECK_EQ(iova_free_fast(d, 8, 8), 0);
	CHECK_EQ(iova_reserve(d, 9, 10), 0);
	CHECK_EQ(iova_count(d), 1);
	CHECK_EQ(iova_alloc_fast(d, 8, 16, 1), 0);
	CHECK_EQ(iova_alloc_fast(d, 4, 16, 1), 12);
	CHECK_EQ(iova_check(d), 0);
	iova_domain_free(d);
}

static void test_batches(void)
{
	struct iova_domain *d = iova_domain_new(4096, 1);
	uint64_t sizes[5] = { 1, 2, 4, 100, 1 }, out[5], slots[3] = { 0, 0, 0 };
	uint64_t victims[6] = { 0, 1, 2, 0, 1, 2 }, rs[6] = { 1, 1, 2, 2, 4, 4 };
	uint32_t visits[5];

	CHECK_EQ(iova_alloc_batch(d, sizes, out, 5, 64, IOVA_BATCH_ALIGNED, visits), 4);
	CHECK_EQ(out[0], 64);
	CHECK_EQ(out[1], 62);
	CHECK_EQ(out[2], 56);
	CHECK_EQ(out[3], 0);
	CHECK_EQ(out[4], 61); /* the padding left between 59 and 62 */
	CHECK(visits[0] >= 1);
	CHECK_EQ(iova_free_batch(d, out, NULL, 3, 0), 3);
	CHECK_EQ(iova_free_batch(d, out, NULL, 3, 0), 0);
	CHECK_EQ(iova_replace_batch(d, slots, victims, rs, 6, LIMIT32, IOVA_BATCH_ALIGNED), 0);
	CHECK_EQ(iova_count(d), 4);
	slots[0] = 12345;
	CHECK_EQ(iova_replace_batch(d, slots, victims, rs, 1, LIMIT32, IOVA_BATCH_ALIGNED), -1);
	CHECK_EQ(iova_check(d), 0);
	iova_domain_free(d);

	/* a handle bakes the limit and flags in */
	d = iova_domain_new(4096, 1);
	{
		struct iova_handle h = { d, 100, 1 };

		CHECK_EQ(iova_handle_alloc(&h, 2), 98);
		h.size_aligned = 0;
		CHECK_EQ(iova_handle_alloc(&h, 3), 95);
		CHECK_EQ(iova_handle_alloc(&h, 0), 0);
	}
	iova_domain_free(d);
}

/* W2 and W5 layouts: the visit counter stays logarithmic. */
static void test_visits_bound(void)
{
	const uint64_t n = 100000;
	int w5;

	for (w5 = 0; w5 < 2; w5++) {
		struct iova_domain *d = iova_domain_new(4096, 1);
		uint64_t *r = malloc(n * sizeof(*r)), i, hot;
		struct iova_stats st;

		hot = iova_alloc(d, 1, LIMIT64, 1);
		for (i = 0; i < n; i++)
			r[i] = iova_alloc(d, 1, LIMIT64, 1);
		for (i = 0; i < n; i++)
			if (w5 ? i % 4 >= 2 : i % 2 == 1)
				iova_free(d, r[i]);
		for (i = 0; i < 1000; i++) {
			uint64_t p;

			iova_free(d, hot);
			hot = iova_alloc(d, 1, LIMIT64, 1);
			CHECK(iova_last_visits(d) <= 4 * 17 + 8);
			p = iova_alloc(d, 2, LIMIT64, 1);
			CHECK((p & 1) == 0);
			CHECK(iova_last_visits(d) <= 4 * 17 + 8);
			iova_free(d, p);
		}
		iova_get_stats(d, &st);
		CHECK(st.max_visits <= 4 * 17 + 8);
		CHECK_EQ(iova_check(d), 0);
		free(r);
		iova_domain_free(d);
	}
}

/* ---- random run against a bitmap oracle ----------------------------------- */

#define SPACE 700
#define MAXR 1024

struct oracle {
	uint64_t lo[MAXR], hi[MAXR];
	size_t n;
	uint64_t start;
};

static size_t o_first_ending_at_or_above(const struct oracle *o, uint64_t pfn)
{
	size_t i = 0;

	while (i < o->n && o->hi[i] < pfn)
		i++;
	return i;
}

static void o_insert(struct oracle *o, uint64_t lo, uint64_t hi)
{
	size_t i = o_first_ending_at_or_above(o, lo);

	memmove(&o->lo[i + 1], &o->lo[i], (o->n - i) * sizeof(uint64_t));
	memmove(&o->hi[i + 1], &o->hi[i], (o->n - i) * sizeof(uint64_t));
	o->lo[i] = lo;
	o->hi[i] = hi;
	o->n++;
}

static int o_used(const struct oracle *o, uint64_t pfn)
{
	size_t i = o_first_ending_at_or_above(o, pfn);

	return i < o->n && o->lo[i] <= pfn;
}

/* brute force: every candidate from the top down */
static uint64_t o_alloc(struct oracle *o, uint64_t size, uint64_t limit, int aligned)
{
	uint64_t align = 1, c, k;

	while (aligned && align < size)
		align <<= 1;
	if (limit + 1 < size + o->start)
		return 0;
	for (c = (limit - size + 1) / align * align; c >= o->start; c -= align) {
		for (k = 0; k < size && !o_used(o, c + k); k++)
			;
		if (k == size) {
			o_insert(o, c, c + size - 1);
			return c;
		}
		if (c < align)
			break;
	}
	return 0;
}

static uint64_t o_free(struct oracle *o, uint64_t pfn)
{
	size_t i = o_first_ending_at_or_above(o, pfn);
	uint64_t size;

	if (i == o->n || o->lo[i] > pfn)
		return 0;
	size = o->hi[i] - o->lo[i] + 1;
	memmove(&o->lo[i], &o->lo[i + 1], (o->n - i - 1) * sizeof(uint64_t));
	memmove(&o->hi[i], &o->hi[i + 1], (o->n - i - 1) * sizeof(uint64_t));
	o->n--;
	return size;
}

/* reserve_iova as iommush documents it */
static void o_reserve(struct oracle *o, uint64_t lo, uint64_t hi)
{
	for (;;) {
		size_t i = o_first_ending_at_or_above(o, lo);

		if (i == o->n || o->lo[i] > hi)
			break;
		if (lo < o->lo[i])
			o->lo[i] = lo;
		if (hi <= o->hi[i])
			return;
		lo = o->hi[i] + 1;
	}
	o_insert(o, lo, hi);
}

static void compare(const struct iova_domain *d, const struct oracle *o, int step)
{
	static uint64_t lohi[2 * MAXR];
	size_t n = iova_ranges(d, 0, lohi, NULL, MAXR), i;
	int rc = iova_check(d);

	if (rc) {
		fprintf(stderr, "step %d: iova_check() = %d\n", step, rc);
		failures++;
	}
	if (n != o->n) {
		fprintf(stderr, "step %d: %zu ranges, oracle has %zu\n", step, n, o->n);
		failures++;
		return;
	}
	for (i = 0; i < n; i++) {
		if (lohi[2 * i] != o->lo[i] || lohi[2 * i + 1] != o->hi[i]) {
			fprintf(stderr, "step %d: range %zu differs\n", step, i);
			failures++;
			return;
		}
	}
}

static void test_random_vs_oracle(void)
{
	static struct oracle o;
	int round, step;

	for (round = 0; round < 40 && !failures; round++) {
		uint64_t start = 1 + below(4), top = start + 16 + below(SPACE - 20);
		struct iova_domain *d = iova_domain_new(4096, start);

		memset(&o, 0, sizeof(o));
		o.start = start;
		for (step = 0; step < 3000 && !failures; step++) {
			uint64_t r = below(100), a, b;

			if (r < 45) {
				uint64_t size = below(8) ? 1 + below(6) : 1 + below(top / 2);
				uint64_t limit = below(3) ? top : start + below(top - start + 1);
				int aligned = below(5) != 0;

				a = iova_alloc(d, size, limit, aligned);
				b = o_alloc(&o, size, limit, aligned);
				if (a != b) {
					fprintf(stderr, "step %d: alloc(%llu, %llu, %d) = %llu, oracle %llu\n",
						step, (unsigned long long)size, (unsigned long long)limit,
						aligned, (unsigned long long)a, (unsigned long long)b);
					failures++;
				}
			} else if (r < 90) {
				uint64_t pfn = below(top + 2);

				CHECK_EQ(iova_free(d, pfn), o_free(&o, pfn));
			} else if (r < 93) {
				uint64_t lo = below(top + 1), hi = lo + below(12);

				CHECK_EQ(iova_reserve(d, lo, hi), 0);
				o_reserve(&o, lo, hi);
			} else {
				uint64_t pfn = below(top + 2), lohi[2];
				int found = iova_find(d, pfn, lohi, NULL);

				CHECK_EQ(found, o_used(&o, pfn));
			}
			compare(d, &o, step);
		}
		iova_domain_free(d);
	}
}

int main(void)
{
	test_domain_init();
	test_placement();
	test_fill_exactly();
	test_reserve();
	test_ranges_chunked();
	test_rcache();
	test_rcache_flush_on_failure();
	test_batches();
	test_visits_bound();
	test_random_vs_oracle();
	if (failures) {
		fprintf(stderr, "test_iova: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_iova: all tests passed\n");
	return 0;
}
