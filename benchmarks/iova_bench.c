/*
 * iova_bench.c - pure-C driver for the IOVA workloads of iommush's spec
 * (spec/iova.md section 5). benchmarks/iova.py compiles it with iova.c and
 * runs it; it prints one JSON object per timed run.
 *
 *   iova_bench W1|W1F|W2|W3|W4|W5 N ITERS REPS
 *
 * W1F is W1 through the range caches (alloc_fast/free_fast). Common
 * settings: start_pfn 1, granule 4 KiB, 64-bit limit 2^36-1, 32-bit limit
 * 2^20-1, xorshift64* from 0x9E3779B97F4A7C15, size SIZES[r >> 61], victim
 * r % N (a fresh draw for the victim, then one for the size), all requests
 * size-aligned, 10% warm-up excluded from every timed run.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iova.h"

#define LIMIT64 ((UINT64_C(1) << 36) - 1)
#define LIMIT32 ((UINT64_C(1) << 20) - 1)

static const uint64_t SIZES[8] = { 1, 1, 1, 2, 4, 8, 16, 32 };
static uint64_t rng_state;

static void rng_seed(void)
{
	rng_state = UINT64_C(0x9E3779B97F4A7C15);
}

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * UINT64_C(2685821657736338717);
}

static uint64_t rand_size(void)
{
	return SIZES[rng() >> 61];
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "iova_bench: out of memory\n");
		exit(2);
	}
	return p;
}

/* Visit accounting of the allocations of one timed run. */
struct visits {
	uint64_t allocs, sum, max, over; /* over: allocations above the bound */
};

static uint64_t bound(uint64_t n)
{
	/* 4 * ceil(log2(n + 2)) + 8 */
	uint64_t v = n + 2;
	unsigned c = (v & (v - 1)) ? 64u - (unsigned)__builtin_clzll(v) : 63u - (unsigned)__builtin_clzll(v);

	return 4 * (uint64_t)c + 8;
}

static inline void account(struct visits *v, const struct iova_domain *d)
{
	uint64_t x = iova_last_visits(d);

	v->allocs++;
	v->sum += x;
	if (x > v->max)
		v->max = x;
	if (x > bound(iova_count(d)))
		v->over++;
}

static uint64_t alloc_or_die(struct iova_domain *d, uint64_t size, uint64_t limit, struct visits *v)
{
	uint64_t pfn = iova_alloc(d, size, limit, 1);

	if (v)
		account(v, d);
	if (!pfn) {
		fprintf(stderr, "iova_bench: unexpected allocation failure\n");
		exit(2);
	}
	return pfn;
}

static void free_or_die(struct iova_domain *d, uint64_t pfn)
{
	if (!iova_free(d, pfn)) {
		fprintf(stderr, "iova_bench: unexpected free failure\n");
		exit(2);
	}
}

static void emit(const char *wl, const struct iova_domain *d, uint64_t live, double ns_per_op,
		 const struct visits *v, const char *extra)
{
	struct iova_stats st;

	iova_get_stats(d, &st);
	printf("{\"impl\": \"c\", \"workload\": \"%s\", \"live\": %" PRIu64 ", \"ns_per_op\": %.1f, "
	       "\"visits_per_alloc\": %.2f, \"max_visits\": %" PRIu64 ", \"bound_at_live\": %" PRIu64
	       ", \"over_bound\": %" PRIu64 ", \"bytes_per_range\": %.2f, \"height\": %" PRIu64 "%s}\n",
	       wl, live, ns_per_op, v && v->allocs ? (double)v->sum / (double)v->allocs : 0.0,
	       v ? v->max : 0, bound(live), v ? v->over : 0,
	       st.ranges ? (double)st.bytes / (double)st.ranges : 0.0, st.height, extra ? extra : "");
	fflush(stdout);
}

/* W1: N random-size ranges, then free a random one and allocate a random size. */
static void w1(uint64_t n, uint64_t iters, int reps, int fast, const char *name)
{
	struct iova_domain *d = iova_domain_new(4096, 1);
	uint64_t *live = xmalloc(n * sizeof(*live)), *size = xmalloc(n * sizeof(*size));
	uint64_t i, warm = iters / 10 + 1;
	int r;

	rng_seed();
	for (i = 0; i < n; i++) {
		size[i] = rand_size();
		live[i] = fast ? iova_alloc_fast(d, size[i], LIMIT64, 1)
			       : alloc_or_die(d, size[i], LIMIT64, NULL);
	}
	for (r = 0; r < reps; r++) {
		struct visits v = { 0, 0, 0, 0 };
		struct iova_stats s0, s1;
		double t0 = 0;
		char extra[96];

		iova_get_stats(d, &s0);
		for (i = 0; i < warm + iters; i++) {
			uint64_t k = rng() % n;

			if (i == warm) {
				iova_get_stats(d, &s0);
				t0 = now_ns();
			}
			if (fast) {
				iova_free_fast(d, live[k], size[k]);
				size[k] = rand_size();
				live[k] = iova_alloc_fast(d, size[k], LIMIT64, 1);
			} else {
				free_or_die(d, live[k]);
				size[k] = rand_size();
				live[k] = iova_alloc(d, size[k], LIMIT64, 1);
				if (i >= warm)
					account(&v, d);
			}
		}
		t0 = (now_ns() - t0) / (double)iters;
		iova_get_stats(d, &s1);
		snprintf(extra, sizeof(extra), ", \"rcache_hit_rate\": %.4f",
			 fast ? (double)(s1.rcache_hits - s0.rcache_hits) / (double)iters : 0.0);
		emit(name, d, n, t0, fast ? NULL : &v, extra);
	}
	iova_domain_free(d);
	free(live);
	free(size);
}

/* W2 (every other range freed) and W5 (indices i % 4 in {2, 3} freed). */
static void w2w5(uint64_t n, uint64_t iters, int reps, int w5)
{
	struct iova_domain *d = iova_domain_new(4096, 1);
	uint64_t *r = xmalloc(n * sizeof(*r)), hot, i, warm = iters / 10 + 1;
	int rep;

	hot = alloc_or_die(d, 1, LIMIT64, NULL);
	for (i = 0; i < n; i++)
		r[i] = alloc_or_die(d, 1, LIMIT64, NULL);
	for (i = 0; i < n; i++)
		if (w5 ? (i % 4 >= 2) : (i % 2 == 1))
			free_or_die(d, r[i]);
	for (rep = 0; rep < reps; rep++) {
		struct visits v = { 0, 0, 0, 0 };
		double t0 = 0;

		for (i = 0; i < warm + iters; i++) {
			struct visits *pv = i >= warm ? &v : NULL;
			uint64_t p;

			if (i == warm)
				t0 = now_ns();
			free_or_die(d, hot);
			hot = alloc_or_die(d, 1, LIMIT64, pv);
			p = alloc_or_die(d, 2, LIMIT64, pv);
			free_or_die(d, p);
		}
		emit(w5 ? "W5" : "W2", d, iova_count(d), (now_ns() - t0) / (double)iters, &v, NULL);
	}
	iova_domain_free(d);
	free(r);
}

/* W3: growth to n ranges, timed per interval; then W1 steady state at n. */
static void w3(uint64_t n, uint64_t iters, int reps)
{
	static const uint64_t marks[] = { 0, 1000, 10000, 100000, 1000000, 4000000 };
	int rep;

	for (rep = 0; rep < reps; rep++) {
		struct iova_domain *d = iova_domain_new(4096, 1);
		uint64_t *live = xmalloc(n * sizeof(*live)), i = 0;
		size_t m;

		rng_seed();
		for (m = 1; m < sizeof(marks) / sizeof(marks[0]) && marks[m - 1] < n; m++) {
			uint64_t end = marks[m] < n ? marks[m] : n;
			struct visits v = { 0, 0, 0, 0 };
			char name[48];
			double t0 = now_ns();

			for (; i < end; i++)
				live[i] = alloc_or_die(d, rand_size(), LIMIT64, &v);
			snprintf(name, sizeof(name), "W3 grow %" PRIu64 "-%" PRIu64, marks[m - 1], end);
			emit(name, d, end, (now_ns() - t0) / (double)(end - marks[m - 1]), &v, NULL);
		}
		if (iters) {
			struct visits v = { 0, 0, 0, 0 };
			uint64_t warm = iters / 10 + 1;
			double t0 = 0;

			for (i = 0; i < warm + iters; i++) {
				uint64_t k = rng() % n;

				if (i == warm)
					t0 = now_ns();
				free_or_die(d, live[k]);
				live[k] = alloc_or_die(d, rand_size(), LIMIT64, i >= warm ? &v : NULL);
			}
			emit("W3 steady", d, n, (now_ns() - t0) / (double)iters, &v, NULL);
		}
		iova_domain_free(d);
		free(live);
	}
}

/* W4: fill the 32-bit space until the first failure, then churn 32-bit first. */
static void w4(uint64_t iters, int reps)
{
	struct iova_domain *d = iova_domain_new(4096, 1);
	uint64_t cap = 1 << 20, n = 0, *live = xmalloc(cap * sizeof(*live)), i, warm = iters / 10 + 1;
	int rep;

	rng_seed();
	for (;;) {
		uint64_t p = iova_alloc(d, rand_size(), LIMIT32, 1);

		if (!p)
			break;
		live[n++] = p;
	}
	for (rep = 0; rep < reps; rep++) {
		struct visits v = { 0, 0, 0, 0 };
		struct iova_stats st;
		uint64_t fails = 0;
		double t0 = 0, ns;
		char extra[128];

		for (i = 0; i < warm + iters; i++) {
			uint64_t k = rng() % n, s, p;

			if (i == warm)
				t0 = now_ns();
			free_or_die(d, live[k]);
			s = rand_size();
			p = iova_alloc(d, s, LIMIT32, 1);
			if (i >= warm)
				account(&v, d);
			if (!p) {
				fails += i >= warm;
				p = alloc_or_die(d, s, LIMIT64, i >= warm ? &v : NULL);
			}
			live[k] = p;
		}
		ns = (now_ns() - t0) / (double)iters;
		iova_get_stats(d, &st);
		snprintf(extra, sizeof(extra), ", \"fail32_pct\": %.2f, \"prefill\": %" PRIu64, 100.0 * (double)fails / (double)iters, n);
		emit("W4", d, n, ns, &v, extra);
	}
	iova_domain_free(d);
	free(live);
}

int main(int argc, char **argv)
{
	uint64_t n, iters;
	int reps;

	if (argc != 5) {
		fprintf(stderr, "usage: %s W1|W1F|W2|W3|W4|W5 N ITERS REPS\n", argv[0]);
		return 2;
	}
	n = strtoull(argv[2], NULL, 0);
	iters = strtoull(argv[3], NULL, 0);
	reps = atoi(argv[4]);
	if (!strcmp(argv[1], "W1"))
		w1(n, iters, reps, 0, "W1");
	else if (!strcmp(argv[1], "W1F"))
		w1(n, iters, reps, 1, "W1 rcache");
	else if (!strcmp(argv[1], "W2"))
		w2w5(n, iters, reps, 0);
	else if (!strcmp(argv[1], "W5"))
		w2w5(n, iters, reps, 1);
	else if (!strcmp(argv[1], "W3"))
		w3(n, iters, reps);
	else if (!strcmp(argv[1], "W4"))
		w4(iters, reps);
	else {
		fprintf(stderr, "unknown workload %s\n", argv[1]);
		return 2;
	}
	return 0;
}
