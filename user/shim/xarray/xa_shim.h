/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's lib/xarray.c and include/linux/xarray.h in userspace, on top
 * of user/shim/zmm_shim.h (force-included before this file).
 *
 * mk/xarray.mk extracts those two files (and lib/radix-tree.h) from the
 * installed linux-source-6.12 tarball into $(OUT)/kernel-src at build time;
 * nothing of the kernel is committed.  Every <linux/...> header they
 * include is a one-line file in this directory that includes this one, as
 * tools/testing/shared/linux/ does for tools/testing/radix-tree.  Unlike
 * that harness this shim uses no liburcu and no tools/include: the XArray
 * runs on zmm_shim.h's own primitives, so that
 *   - xa_lock is the shim's pthread spinlock_t, which counts as atomic
 *     context and, without NDEBUG, records its owner; lockdep_is_held()
 *     is therefore real and rcu_dereference_protected/check() assert it;
 *   - xa_node allocations go through zmm_shim_malloc(): failure injection,
 *     leak counting, and the GFP_KERNEL-in-atomic-context check apply.
 *
 * RCU: rcu_read_lock() only counts nesting (for the dereference checks),
 * and call_rcu() frees at once.  So in userspace every reader of an
 * XArray that is modified concurrently must hold its xa_lock (xa_load()
 * alone is safe only when no other thread erases from that XArray); zmm
 * takes its entry reference under the lock anyway.  tools/testing/
 * radix-tree uses liburcu for real grace periods; zmm does not need them.
 */
#ifndef ZMM_XA_SHIM_H
#define ZMM_XA_SHIM_H

#ifndef ZMM_SHIM_H
#error "user/shim/zmm_shim.h must be force-included first"
#endif

/* ---- compiler / sparse annotations ---- */
#define __force
#define __rcu
#define __bitwise
#define __must_hold(x)
#define __acquires(x)
#define __releases(x)
#define EXPORT_SYMBOL(sym)
#define MAX_ERRNO 4095
#define BUG() do { fprintf(stderr, "BUG at %s:%d\n", __FILE__, __LINE__); \
		    abort(); } while (0)
#define BUG_ON(c) do { if (unlikely(c)) BUG(); } while (0)

/* ---- kconfig: IS_ENABLED() as include/linux/kconfig.h has it ---- */
#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define __is_defined(x) ___is_defined(x)
#define ___is_defined(val) ____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk) __take_second_arg(arg1_or_junk 1, 0)
#define IS_ENABLED(option) __is_defined(option)
/* multi-index entries, as any kernel with THP or shmem large folios */
#define CONFIG_XARRAY_MULTI 1

/* ---- bit operations (non-atomic variants only: xa_lock is held) ---- */
#define BITS_TO_LONGS(n) DIV_ROUND_UP(n, BITS_PER_LONG)
#define BIT_WORD(n) ((n) / BITS_PER_LONG)
#define BIT_MASK(n) (1UL << ((n) % BITS_PER_LONG))

static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return addr[BIT_WORD(nr)] & BIT_MASK(nr);
}

static inline void __set_bit(unsigned long nr, unsigned long *addr)
{
	addr[BIT_WORD(nr)] |= BIT_MASK(nr);
}

static inline void __clear_bit(unsigned long nr, unsigned long *addr)
{
	addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}

static inline bool __test_and_set_bit(unsigned long nr, unsigned long *addr)
{
	bool old = test_bit(nr, addr);

	__set_bit(nr, addr);
	return old;
}

static inline bool __test_and_clear_bit(unsigned long nr, unsigned long *addr)
{
	bool old = test_bit(nr, addr);

	__clear_bit(nr, addr);
	return old;
}

static inline unsigned long __ffs(unsigned long w)
{
	return __builtin_ctzl(w);
}

static inline unsigned long find_next_bit(const unsigned long *addr,
					  unsigned long size,
					  unsigned long off)
{
	unsigned long w;

	while (off < size) {
		w = addr[BIT_WORD(off)] & (~0UL << (off % BITS_PER_LONG));
		if (w)
			return min(BIT_WORD(off) * BITS_PER_LONG + __ffs(w),
				   size);
		off = (BIT_WORD(off) + 1) * BITS_PER_LONG;
	}
	return size;
}

static inline void bitmap_fill(unsigned long *dst, unsigned int nbits)
{
	unsigned int i;

	for (i = 0; i < nbits; i++)
		__set_bit(i, dst);
}

static inline void bitmap_clear(unsigned long *dst, unsigned int start,
				unsigned int nbits)
{
	unsigned int i;

	for (i = start; i < start + nbits; i++)
		__clear_bit(i, dst);
}

static inline bool bitmap_empty(const unsigned long *src, unsigned int nbits)
{
	return find_next_bit(src, nbits, 0) == nbits;
}

/* ---- gfp ---- */
/* beside the shim's flags; XA_FLAGS_MARK() uses the bits above the shift */
#define __GFP_ACCOUNT 0x40u
#define __GFP_BITS_SHIFT 24
/* in the shim, GFP_KERNEL is the flag that may sleep */
#define gfpflags_allow_blocking(gfp) (!!((gfp) & GFP_KERNEL))
#define might_alloc(gfp) do {						\
	if (gfpflags_allow_blocking(gfp))				\
		might_sleep();						\
} while (0)

/* ---- spinlock variants: interrupts do not exist here ---- */
#define __SPIN_LOCK_UNLOCKED(name) { .m = PTHREAD_MUTEX_INITIALIZER }
#define spin_lock_irq(l) spin_lock(l)
#define spin_unlock_irq(l) spin_unlock(l)
#define spin_lock_bh(l) spin_lock(l)
#define spin_unlock_bh(l) spin_unlock(l)
#define spin_lock_irqsave(l, f) do { (f) = 0; spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f) do { (void)(f); spin_unlock(l); } while (0)
#define spin_lock_nested(l, s) spin_lock(l)
#define spin_lock_irq_nested(l, s) spin_lock(l)
#define spin_lock_bh_nested(l, s) spin_lock(l)
#define spin_lock_irqsave_nested(l, f, s) spin_lock_irqsave(l, f)

static inline int spin_trylock(spinlock_t *l)
{
	zmm_shim_enter_atomic();
	if (pthread_mutex_trylock(&l->m)) {
		zmm_shim_exit_atomic();
		return 0;
	}
#ifndef NDEBUG
	l->owner = pthread_self();
	__atomic_store_n(&l->held, 1, __ATOMIC_RELAXED);
#endif
	return 1;
}

/* ---- lockdep ---- */
struct lock_class_key {
	unsigned int unused;
};

#ifndef NDEBUG
#define lockdep_is_held(l)						\
	(__atomic_load_n(&(l)->held, __ATOMIC_RELAXED) &&		\
	 pthread_equal((l)->owner, pthread_self()))
#else
#define lockdep_is_held(l) 1
#endif

/* ---- RCU: see the comment at the top ---- */
struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

extern __thread int zmm_xa_rcu_depth;
#define rcu_read_lock() (zmm_xa_rcu_depth++)
#define rcu_read_unlock() (zmm_xa_rcu_depth--)
#define rcu_read_lock_held() (zmm_xa_rcu_depth > 0)
#define rcu_dereference_raw(p) READ_ONCE(p)
#define rcu_dereference_check(p, c)					\
	({ assert(rcu_read_lock_held() || (c)); READ_ONCE(p); })
#define rcu_dereference_protected(p, c) ({ assert(c); (p); })
#define rcu_dereference(p) rcu_dereference_check(p, 0)
#define rcu_assign_pointer(p, v)					\
	__atomic_store_n(&(p), (typeof(p))(v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v) WRITE_ONCE(p, v)
/* no grace period: nothing reads an XArray here without its lock */
#define call_rcu(head, f) (f)(head)

/*
 * ---- the node cache of lib/radix-tree.c ----
 * The kernel's radix_tree_node_ctor() zeroes a node and the free path
 * zeroes it again; here every node comes zeroed from zmm_shim_malloc()
 * (so failure injection applies) with its private_list initialised.
 */
struct list_lru;
void *zmm_xa_node_alloc(gfp_t gfp);
#define kmem_cache_alloc_lru(cache, lru, gfp)				\
	((void)(cache), (void)(lru), zmm_xa_node_alloc(gfp))

#endif /* ZMM_XA_SHIM_H */
