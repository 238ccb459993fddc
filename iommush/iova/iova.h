/*
 * iova.h - IOVA allocator of iommush.
 *
 * Models the behaviour of Linux's IOVA allocator (include/linux/iova.h,
 * drivers/iommu/iova.c, v6.x) as described in iommush's kernel notes, with
 * its own implementation: an AVL tree of allocated ranges keyed by pfn_lo,
 * augmented so that every search is O(log n) however fragmented the space.
 *
 * Units are page frames ("pfns") of `granule` bytes. All ranges are
 * inclusive [pfn_lo, pfn_hi]. A pfn of 0 means "failed": start_pfn is at
 * least 1, as iommu-dma guarantees (iommu_dma_init_domain).
 *
 * Placement policy: the highest-addressed free range of `size` pfns that
 * ends at or below limit_pfn and starts at or above start_pfn, aligned to
 * roundup_pow_of_two(size) when size_aligned. Linux's next-fit walk
 * approximates this; here it is exact and depends only on the live ranges.
 *
 * Not thread-safe: callers serialise (iommush is single-threaded).
 */
#ifndef IOMMUSH_IOVA_H
#define IOMMUSH_IOVA_H

#include <stddef.h>
#include <stdint.h>

/* Range caches: orders 0..5, i.e. sizes 1..32 pfns (IOVA_RANGE_CACHE_MAX_SIZE). */
#define IOVA_RANGE_CACHE_MAX_SIZE 6
/* pfns per magazine: 127 entries plus one word make 1 KiB (IOVA_MAG_SIZE). */
#define IOVA_MAG_SIZE 127
/* Period of the depot trimming work, in ms (IOVA_DEPOT_DELAY). */
#define IOVA_DEPOT_DELAY_MS 100

/* Range flags reported by iova_find() and iova_ranges(). */
#define IOVA_FLAG_RESERVED 1 /* made or extended by iova_reserve() */
#define IOVA_FLAG_CACHED 2   /* given back with iova_free_fast(), parked in a range cache */

/* Bits of the `flags` argument of the batch entry points. */
#define IOVA_BATCH_ALIGNED 1 /* size_aligned allocations */
#define IOVA_BATCH_FAST 2    /* go through the range cache (alloc_fast / free_fast) */

struct iova_domain;

struct iova_stats {
	uint64_t granule;       /* bytes per pfn */
	uint64_t start_pfn;     /* lowest pfn handed out */
	uint64_t dma_32bit_pfn; /* 4 GiB >> shift */
	uint64_t max_pfn;       /* highest pfn of the address space: ~0 >> shift */
	uint64_t ranges;        /* ranges in the tree (reserved and cached ones included) */
	uint64_t pages;         /* pfns covered by those ranges */
	uint64_t cached;        /* ranges parked in the range caches */
	uint64_t depot;         /* full magazines in the depots */
	uint64_t height;        /* tree height */
	uint64_t max_gap;       /* largest free gap, in pfns */
	uint64_t node_bytes;    /* bytes of one tree node */
	uint64_t bytes;         /* bytes held: node slabs, slab table, magazines, domain */
	uint64_t searches;      /* tree searches run by allocations */
	uint64_t visits;        /* nodes visited by all of them */
	uint64_t last_visits;   /* nodes visited by the last one */
	uint64_t max_visits;    /* most nodes visited by one */
	uint64_t rcache_hits;   /* alloc_fast answered by a range cache */
	uint64_t rcache_misses; /* alloc_fast that fell back to the tree */
};

/* init_iova_domain(): granule a power of two >= 4096, start_pfn >= 1. NULL on error. */
struct iova_domain *iova_domain_new(uint64_t granule, uint64_t start_pfn);
/* put_iova_domain(): frees every range, cache and the domain. */
void iova_domain_free(struct iova_domain *d);

/* alloc_iova(): first pfn of the new range, or 0 when nothing fits. */
uint64_t iova_alloc(struct iova_domain *d, uint64_t size, uint64_t limit_pfn, int size_aligned);
/* free_iova(): frees the range containing pfn; returns its size, 0 if there is none. */
uint64_t iova_free(struct iova_domain *d, uint64_t pfn);
/* reserve_iova(): 0, -EINVAL (bad range) or -ENOMEM. */
int iova_reserve(struct iova_domain *d, uint64_t pfn_lo, uint64_t pfn_hi);
/* find_iova(): 1 and the range's bounds (lohi[0..1]) and flags, or 0. */
int iova_find(const struct iova_domain *d, uint64_t pfn, uint64_t *lohi, uint32_t *flags);

/* A limit and flags baked in for hot loops: one argument fewer per call. */
struct iova_handle {
	struct iova_domain *domain;
	uint64_t limit_pfn;
	int size_aligned;
};

/* iova_alloc(h->domain, size, h->limit_pfn, h->size_aligned) */
uint64_t iova_handle_alloc(const struct iova_handle *h, uint64_t size);

/* alloc_iova_fast(): range cache first, then the tree; 0 when nothing fits. */
uint64_t iova_alloc_fast(struct iova_domain *d, uint64_t size, uint64_t limit_pfn,
			 int flush_rcache);
/* free_iova_fast(): 0, -ENOENT (no live range starts at pfn) or -EINVAL (size mismatch). */
int iova_free_fast(struct iova_domain *d, uint64_t pfn, uint64_t size);
/* free_cpu_cached_iovas() + free_global_cached_iovas(): every cached range back to the tree. */
void iova_rcache_flush(struct iova_domain *d);
/* One run of the depot work: returns the number of magazines given back to the tree. */
size_t iova_rcache_trim(struct iova_domain *d, unsigned int online_cpus);

/* Batches: out[i] = pfn or 0; returns the number of successful allocations. */
size_t iova_alloc_batch(struct iova_domain *d, const uint64_t *sizes, uint64_t *out, size_t n,
			uint64_t limit_pfn, int flags, uint32_t *visits);
/* Frees pfns[0..n) (sizes needed only with IOVA_BATCH_FAST, else may be NULL);
 * returns n, or the index of the first pfn that could not be freed. */
size_t iova_free_batch(struct iova_domain *d, const uint64_t *pfns, const uint64_t *sizes,
		       size_t n, int flags);
/* For each i: free slots[victims[i]] (unless 0), then allocate sizes[i] into that slot.
 * Returns the number of failed allocations, or -(i + 1) if the free of step i failed. */
int64_t iova_replace_batch(struct iova_domain *d, uint64_t *slots, const uint64_t *victims,
			   const uint64_t *sizes, size_t n, uint64_t limit_pfn, int flags);

/* Ranges with pfn_lo >= from_pfn in address order: lohi[2i], lohi[2i+1], flags[i]
 * (flags may be NULL). Returns how many were written, at most max. */
size_t iova_ranges(const struct iova_domain *d, uint64_t from_pfn, uint64_t *lohi,
		   uint8_t *flags, size_t max);
/* Number of ranges in the tree. */
uint64_t iova_count(const struct iova_domain *d);
/* Nodes visited by the last tree search (debug counter). */
uint64_t iova_last_visits(const struct iova_domain *d);
void iova_get_stats(const struct iova_domain *d, struct iova_stats *st);
/* Full invariant check: 0, or a negative code naming the first broken invariant. */
int iova_check(const struct iova_domain *d);

#endif /* IOMMUSH_IOVA_H */
