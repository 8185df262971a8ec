// SPDX-License-Identifier: GPL-2.0
/*
 * zmm core, layer 5: policy.  The mechanism below (block.c, arena.c,
 * store.c, evict.c) knows how to append, move, evict and give back; this
 * file decides when, and how much.  It has two faces:
 *
 * - the answers the mechanism asks for, struct zmm_policy (types.h):
 *   admit a store (the pool limit), what to do when zpages go (ask for
 *   compaction), recycle or evacuate the sparsest block, the next block's
 *   order.  zmm_default_policy is what every pool gets.
 * - the drivers the environment calls: zmm_shrink() (N pageframes back
 *   from one arena, now), zmm_shrink_asked() (MM's reclaim asks N, paced
 *   to whole blocks), zmm_reclaim() (a whole pool or memcg
 *   must shrink), zmm_limit_reclaim(), zmm_compact() and
 *   zmm_compact_all() (give back garbage, evicting nothing), zmm_drain().
 *
 * The trade-off is density against copying.  compact_slack_pct is the
 * share of the pageframes held that may be garbage before a store
 * recycles a block instead of allocating, and the level zmm_compact()
 * brings garbage down to.  A block is only recycled when at least four
 * times that share of it (at most half) is garbage, which bounds the
 * bytes copied per byte reclaimed by (100 - 4s) / 4s for a slack of s%
 * (about 7 at the default of 3; bench/README.md has measured figures).
 */
#include "arena.h"
#include "block.h"
#include "evict.h"
#include "policy.h"
#include "stats.h"
#include "store.h"
#include "trace.h"

/* writeback failures after which a shrink gives up (each is rotated) */
#define ZMM_SHRINK_MAX_FAILS	16

static unsigned long zmm_garbage(const struct zmm_arena *a)
{
	unsigned long held = a->pages_held << PAGE_SHIFT;
	unsigned long free_tail = 0;

	if (a->head)
		free_tail = a->head->size - a->head->tail;
	return held - a->bytes_used - free_tail;
}

static bool zmm_policy_recycle(const struct zmm_arena *a,
			       const struct zmm_block *victim)
{
	unsigned int slack = READ_ONCE(a->pool->params.compact_slack_pct);
	unsigned long held = a->pages_held << PAGE_SHIFT;
	u64 vgarbage = victim->size - victim->live;

	lockdep_assert_held(&a->lock);
	if ((u64)zmm_garbage(a) * 100 <= (u64)held * slack)
		return false;
	/* the victim must pay: at least 4 x slack of it is garbage */
	return vgarbage * 100 >= (u64)victim->size * min(4 * max(slack, 1U),
							  50U);
}

static bool zmm_policy_evacuate(const struct zmm_arena *a,
				const struct zmm_block *victim)
{
	unsigned long held = a->pages_held << PAGE_SHIFT;
	unsigned long room;

	lockdep_assert_held(&a->lock);
	/* free space outside the victim; one page of margin for tails */
	room = held - a->bytes_used - (victim->size - victim->live);
	return room >= victim->live + PAGE_SIZE;
}

/*
 * The order of the next block for an arena holding @pages pageframes: up
 * to four times that, so that the arena of a memcg with a few zpages does
 * not pin a 2 MiB block, and 2 MiB blocks from 1.3 MiB held on (64, 256
 * and 1024 KiB blocks first).
 */
static unsigned int zmm_policy_block_order(const struct zmm_arena *a,
					   unsigned long pages)
{
	unsigned int order = pages ? ilog2(pages) + 2 : 0;

	return clamp(order, READ_ONCE(a->pool->params.min_order),
		     (unsigned int)ZMM_BLOCK_ORDER_MAX);
}

/* Ask the environment for a compaction run, once until it has run. */
static void zmm_kick_compaction(struct zmm_pool *pool)
{
	/*
	 * Called on every exclusive load: read first, so that while a run
	 * is due the loads only share the cache line, not bounce it.
	 */
	if (!pool->ops.kick || atomic_read(&pool->compact_due))
		return;
	if (!atomic_xchg(&pool->compact_due, 1))
		pool->ops.kick(pool->ops.priv, ZMM_WORK_COMPACT);
}

static bool zmm_over_limit(struct zmm_pool *pool)
{
	unsigned long limit = READ_ONCE(pool->params.limit_pages);

	return limit && atomic_long_read(&pool->pages_held) >= limit;
}

/*
 * At params.limit_pages a store is refused and the pool brought back
 * below its limit in the background (zmm_limit_reclaim()); a file store
 * first drops cold zpages of its own arena, which costs no I/O, and goes
 * ahead if that made room.
 */
static int zmm_policy_admit(struct zmm_pool *pool, const struct zmm_key *key,
			    u32 owner, int nid)
{
	unsigned long freed;

	if (!zmm_over_limit(pool))
		return 0;
	if (pool->ops.kick)
		pool->ops.kick(pool->ops.priv, ZMM_WORK_LIMIT);
	if (key->type == ZMM_FILE)
		zmm_shrink(pool, owner, nid, ZMM_FILE,
			   1UL << ZMM_BLOCK_ORDER_MAX, &freed);
	if (!zmm_over_limit(pool))
		return 0;
	zmm_stat_inc(pool, ZMM_STAT_REJECT_POOL_LIMIT);
	return -ENOMEM;
}

/* most credit an arena keeps from loads: four blocks of the largest order */
#define ZMM_LOAD_CREDIT_MAX	((long)BIT(ZMM_BLOCK_ORDER_MAX) * 4)
/* most credit an urgent ask may use: a shrink's surplus, one such block */
#define ZMM_URGENT_CREDIT_MAX	((long)BIT(ZMM_BLOCK_ORDER_MAX))
/* most debt an arena runs up; the asks are capped below (LONG_MAX / 4) */
#define ZMM_DEBT_MAX		(LONG_MAX / 2)
/*
 * most churn an arena keeps, a block of the largest order; and most
 * taken back beyond none, by old loads and refaults (zmm_policy_loaded())
 */
#define ZMM_CHURN_MAX		((long)BIT(ZMM_BLOCK_ORDER_MAX))
/* churn that a refault of an evicted zpage takes back */
#define ZMM_CHURN_REFAULT	8
/* churn answered at once, and the least worth an answer */
#define ZMM_CHURN_BATCH		32
/* a churn batch evicts at most this share (1 / N) of its arena's zpages */
#define ZMM_CHURN_SHARE		8

/*
 * Add @delta to @v, keeping it within [@lo, @hi], in one atomic step, so
 * that a clamp cannot undo a racing update.  Return the new value.
 */
static long zmm_add_clamped(atomic_long_t *v, long delta, long lo, long hi)
{
	long old = atomic_long_read(v), new;

	do {
		new = clamp(old + delta, lo, hi);
	} while (!atomic_long_try_cmpxchg(v, &old, new));
	return new;
}

/*
 * A load took a zpage out of @a after @age later stores into it, or
 * (@age U32_MAX) missed one that @a had evicted and read it from swap or
 * the file (its ghost, ghost.c).
 *
 * If the zpage was young, stored after most of the arena (at most half
 * of its zpages were stored after it), a working set is cycling through
 * the pool: pages that reclaim took off the LRU lists came back soon
 * after.  The zpages that pin the memory they need are the cold ones at
 * the other end of the arena's LRU, and compaction, which gives back the
 * room the loads left, does not touch those.  So each young load is
 * churn, which the next asks of reclaim answer with evictions, from the
 * cold end unless its evictions keep coming back (zmm_policy_evict_end(),
 * zmm_shrink_churn()): the pool gives the working set room on the LRU
 * lists a pageframe per young load, until its pages stop coming back
 * through the pool.  A refault of an evicted zpage says the opposite,
 * that the pool is too small for what is wanted again, and takes back
 * ZMM_CHURN_REFAULT of the churn, so that a working set larger than both
 * together does not push the pool out to swap.  So does each load of an
 * old zpage, one for one: when the cold end is loaded as often as the
 * young one, no cold mass pins the pool, the whole of it cycles, and
 * evicting its cold end writes to swap pages that are read back soon
 * (stress-ng's flip over a set a few MiB larger than memory.max: 20 to
 * 40 old loads per young one, and 50-90% of the churn's writebacks read
 * back from disk, where zswap wrote none).  What is taken back may go
 * below none, down to ZMM_CHURN_MAX, and the young loads that follow
 * make that up first: there the old and the young loads came in
 * separate bursts, and a burst of young loads after old ones, counted
 * from none, was answered with evictions of zpages that the next burst
 * of old loads wanted (nearly all of zmm's writes there, in runs on a
 * loaded host, one of them OOM-killed).
 *
 * If the zpage was old (more than half of the arena stored after it), a
 * reader is going through old data, and each such load moves a page out
 * of the zpage subclass onto the LRU lists, where reclaim finds it
 * again: one pageframe each counts against what reclaim asks of the
 * arena (its debt, zmm_shrink_asked()), up to ZMM_LOAD_CREDIT_MAX of
 * credit, so that reclaim's asks evict nothing while the reader drains
 * the pool by itself.  A miss of an evicted zpage counts too: without it,
 * a reader that reaches data zmm wrote back (read from disk, so no load)
 * runs up a debt, whose eviction writes back the zpages it reads next,
 * and so on to the end of its data.  Without any of this, every ask is
 * an eviction, and a reader of old data has the zpages it wants next
 * written back ahead of it (Documentation/mm/zmm.rst, "What the balance
 * still gets wrong").
 */
static void zmm_policy_loaded(struct zmm_arena *a, u32 age)
{
	if (age <= READ_ONCE(a->nr_zpages) / 2) {
		zmm_add_clamped(&a->churn, 1, -ZMM_CHURN_MAX, ZMM_CHURN_MAX);
		zmm_stat_inc(a->pool, ZMM_STAT_LOAD_CHURN);
		return;
	}
	zmm_add_clamped(&a->churn, age == U32_MAX ? -ZMM_CHURN_REFAULT : -1,
			-ZMM_CHURN_MAX, ZMM_CHURN_MAX);
	zmm_add_clamped(&a->debt, -1, -ZMM_LOAD_CREDIT_MAX, ZMM_DEBT_MAX);
	zmm_stat_inc(a->pool, ZMM_STAT_LOAD_CREDIT);
}

const struct zmm_policy zmm_default_policy = {
	.admit = zmm_policy_admit,
	.released = zmm_kick_compaction,
	.loaded = zmm_policy_loaded,
	.recycle = zmm_policy_recycle,
	.evacuate = zmm_policy_evacuate,
	.block_order = zmm_policy_block_order,
};

/* evictions of a suspect arena per probe of the end it does not use */
#define ZMM_EVICT_PROBE		8
/* evictions from an end before its refault rate is trusted */
#define ZMM_EVICT_EVIDENCE	32

/*
 * Which end of @a's LRU to evict from.  The coldest zpage, unless the
 * evictions keep coming back.  A cyclic access pattern larger than
 * memory is the worst case for LRU order: the coldest zpage is the next
 * one wanted, so every zpage stored is evicted before it is loaded, and
 * each is read back from the swap device.  For that pattern the most
 * recently stored zpage is the one wanted last.  The arena keeps score
 * (ghost.c): evictions from each end, and how many of them were wanted
 * again.  While under a quarter of the coldest ones come back, LRU order
 * stands and nothing else is tried.  Beyond that, the hot end is tried
 * until ZMM_EVICT_EVIDENCE of its evictions have been counted; from then
 * on one eviction in ZMM_EVICT_PROBE takes the other end, so that both
 * scores stay current, and the rest take the end whose evictions came
 * back less often.
 */
static enum zmm_lru_end zmm_policy_evict_end(struct zmm_arena *a)
{
	unsigned int ec = atomic_read(&a->evicted[ZMM_LRU_COLD]);
	unsigned int rc = atomic_read(&a->refaulted[ZMM_LRU_COLD]);
	unsigned int eh = atomic_read(&a->evicted[ZMM_LRU_HOT]);
	unsigned int rh = atomic_read(&a->refaulted[ZMM_LRU_HOT]);
	enum zmm_lru_end best;
	unsigned int n;

	if (ec < ZMM_EVICT_EVIDENCE || rc * 4 < ec)
		return ZMM_LRU_COLD;
	/* rh / eh < rc / ec, once the hot end has been tried enough */
	best = eh >= ZMM_EVICT_EVIDENCE && (u64)rh * ec < (u64)rc * eh ?
	       ZMM_LRU_HOT : ZMM_LRU_COLD;
	n = READ_ONCE(a->evictions);
	WRITE_ONCE(a->evictions, n + 1);
	if (n % ZMM_EVICT_PROBE == 0 || eh < ZMM_EVICT_EVIDENCE)
		best = best == ZMM_LRU_HOT ? ZMM_LRU_COLD : ZMM_LRU_HOT;
	return best;
}

/* zmm_shrink() of an arena found already; *@freed is zero on entry. */
static int zmm_shrink_arena(struct zmm_arena *a, unsigned long nr_pages,
			    unsigned long *freed)
{
	unsigned int fails = 0;
	unsigned long done;
	long ret;

	if (!READ_ONCE(a->pages_held))
		return -ENOENT;
	done = 0;
	while (done < nr_pages) {
		ret = zmm_block_evacuate_one(a, true);
		if (ret) {
			done += ret;
			continue;
		}
		/*
		 * One that fails is rotated: the next try is another.  One
		 * recompressed frees nothing yet: its garbage is the next
		 * evacuation's.
		 */
		ret = zmm_evict_one(a, zmm_policy_evict_end(a), NULL);
		if (ret == -ENOENT)
			break;
		if (ret < 0) {
			if (++fails >= ZMM_SHRINK_MAX_FAILS)
				break;
			continue;
		}
		done += ret;
		cond_resched();
	}
	*freed = done;
	return done >= nr_pages ? 0 : -EAGAIN;
}

/**
 * zmm_shrink - give back pageframes of one arena, on MM's direction.
 * @pool: the pool.
 * @owner: memcg id.
 * @nid: node.
 * @type: zpage type.
 * @nr_pages: pageframes wanted back.
 * @freed: pageframes actually given back.
 *
 * First garbage is given back (emptying sparse blocks into the others),
 * then the coldest zpages are evicted, written back for anon or dropped
 * for file, until @nr_pages pageframes have gone back to the page
 * allocator.  Memory goes back in whole blocks, so up to one block more
 * than asked may be freed; never more.
 *
 * Return: 0 when @nr_pages were freed, -EAGAIN when fewer could be (the
 * arena ran out of zpages, or writeback kept failing), -ENOENT when the
 * arena holds nothing, -EINVAL for bad arguments.
 */
int zmm_shrink(struct zmm_pool *pool, u32 owner, int nid, enum zmm_type type,
	       unsigned long nr_pages, unsigned long *freed)
{
	struct zmm_arena *a;
	int ret;

	if (!freed || (unsigned int)type >= ZMM_NR_TYPES || !nr_pages)
		return -EINVAL;
	*freed = 0;
	a = zmm_arena_find(pool, owner, nid, type, false);
	if (!a)
		return -ENOENT;
	ret = zmm_shrink_arena(a, nr_pages, freed);
	zmm_arena_put(a);
	return ret;
}

/**
 * zmm_shrink_type - evict every zpage of one type that can be evicted.
 * @pool: the pool.
 * @type: zpage type.
 *
 * Used when zmm is disabled (file zpages) and by tests.  May sleep.
 *
 * Return: pageframes freed.
 */
unsigned long zmm_shrink_type(struct zmm_pool *pool, enum zmm_type type)
{
	unsigned long i, n, total = 0, freed;
	struct zmm_arena **arenas;

	might_sleep();
	arenas = zmm_arenas_snapshot(pool, ZMM_OWNER_ANY, type, &n);
	for (i = 0; i < n; i++) {
		freed = 0;
		zmm_shrink_arena(arenas[i], ULONG_MAX, &freed);
		total += freed;
	}
	zmm_arenas_put(arenas, n);
	return total;
}

/**
 * zmm_drain - empty the pool, to stop using it.
 * @pool: the pool.
 *
 * Drops every file zpage (they are clean): those on an LRU as for memory
 * (counted as drops), then every other, same-filled ones and those of
 * stores that raced with the caller's decision to stop.  Writes every anon
 * zpage back to its swap slot (zmm_writeback_all()); one whose slot is
 * busy stays, so call again later.  May sleep.
 *
 * Return: the zpages left.
 */
unsigned long zmm_drain(struct zmm_pool *pool)
{
	might_sleep();
	zmm_shrink_type(pool, ZMM_FILE);
	zmm_invalidate_type(pool, ZMM_FILE);
	zmm_writeback_all(pool);
	return zmm_stat(pool, ZMM_STAT_NR_ZPAGES);
}

static unsigned long zmm_compact_arena(struct zmm_arena *a);

/* Take a batch of @a's churn to answer, if there is one. */
static bool zmm_churn_claim(struct zmm_arena *a)
{
	long c = atomic_long_read(&a->churn);

	do {
		if (c < ZMM_CHURN_BATCH)
			return false;
	} while (!atomic_long_try_cmpxchg(&a->churn, &c,
					  c - ZMM_CHURN_BATCH));
	return true;
}

/*
 * Zpages that hold @nr pageframes of @a's compressed bytes, on average:
 * 1 to 4 per pageframe.
 */
static unsigned int zmm_zpages_per_pageframes(struct zmm_arena *a,
					      unsigned int nr)
{
	u64 bytes = READ_ONCE(a->bytes_used), n = READ_ONCE(a->nr_zpages);

	if (!bytes || !n)
		return nr;
	n = div64_u64(n * nr * PAGE_SIZE, bytes);
	return clamp(n, (u64)nr, 4 * (u64)nr);
}

/*
 * Are @a's evictions coming back?  Once ZMM_EVICT_EVIDENCE of them have
 * been counted (recent ones: ghost.c halves the score), true while at
 * least half of them were loaded again, from whichever end they were
 * taken.
 */
static bool zmm_evictions_return(struct zmm_arena *a)
{
	unsigned int e = atomic_read(&a->evicted[ZMM_LRU_COLD]) +
			 atomic_read(&a->evicted[ZMM_LRU_HOT]);
	unsigned int r = atomic_read(&a->refaulted[ZMM_LRU_COLD]) +
			 atomic_read(&a->refaulted[ZMM_LRU_HOT]);

	return e >= ZMM_EVICT_EVIDENCE && 2 * r >= e;
}

/*
 * Answer ZMM_CHURN_BATCH of @a's churn (zmm_policy_loaded()) with
 * evictions from the end zmm_policy_evict_end() picks, not compaction
 * first as zmm_shrink_arena() does.  Each young load was a page that
 * the LRU lists lacked a pageframe for, and an evicted zpage gives back
 * only its compressed size: so the batch evicts zpages until they held
 * ZMM_CHURN_BATCH pageframes of compressed bytes.  Evicting one zpage per
 * load instead leaves the pool where it is: the pages reclaim takes off
 * the lists to make room for the load come back as zpages of the same
 * size.  A zpage recompressed instead (zmm_evict_one(), with a second
 * compressor) counts the bytes it saved, so that the batch gives the
 * working set as much room either way, and the arena is compacted after
 * to turn them into pageframes; at most four times as many zpages as
 * hold the batch (zmm_zpages_per_pageframes()) are taken, and one whose
 * eviction fails counts as an average one.  Less than a batch is left
 * for later: a few young loads are noise (a page reclaimed just as a
 * reader passed it), a working set cycling through the pool gives
 * thousands.
 * The batch is taken before the evictions, so that reclaimers racing on
 * one arena answer it once; an eviction that fails still uses up its
 * share, so that a slot that stays busy cannot make every ask retry it.
 * While half of the arena's evictions come back (zmm_evictions_return()),
 * the churn is not an exchange but a round trip through the swap device:
 * the pool holds no cold mass, the working set is larger than the lists
 * and the pool together, and every zpage evicted for it is read back from
 * disk, at a cost that a load from the pool does not have.  Then only one
 * batch in ZMM_EVICT_PROBE is answered, so that the score stays current;
 * the others are let go (churn_futile).  So is a batch that would take
 * more than 1 / ZMM_CHURN_SHARE of the arena's zpages: a pool that small
 * holds no cold mass, only pages reclaim stored a moment ago, and every
 * load from it is young (stress-ng's flip filling a memcg: batches of 60
 * zpages from an arena of 400 wrote back 336 of them in two seconds,
 * read back from disk soon after).  Return pageframes freed.
 */
static unsigned long zmm_shrink_churn(struct zmm_arena *a)
{
	unsigned long freed = 0, bytes = 0, goal;
	unsigned int i, n, claims, recompressed = 0;
	struct zmm_evicted ev;
	long ret;

	if (!zmm_churn_claim(a))
		return 0;
	n = zmm_zpages_per_pageframes(a, ZMM_CHURN_BATCH);
	if (READ_ONCE(a->nr_zpages) < ZMM_CHURN_SHARE * n) {
		zmm_stat_inc(a->pool, ZMM_STAT_CHURN_FUTILE);
		return 0;
	}
	if (zmm_evictions_return(a)) {
		claims = READ_ONCE(a->churn_claims);
		WRITE_ONCE(a->churn_claims, claims + 1);
		if (claims % ZMM_EVICT_PROBE) {
			zmm_stat_inc(a->pool, ZMM_STAT_CHURN_FUTILE);
			return 0;
		}
	}
	goal = (unsigned long)ZMM_CHURN_BATCH << PAGE_SHIFT;
	for (i = 0; bytes < goal && i < 4 * n; i++) {
		ret = zmm_evict_one(a, zmm_policy_evict_end(a), &ev);
		if (ret == -ENOENT)
			break;
		if (ret < 0) {
			/* a failure uses up its share, as an eviction would */
			bytes += goal / n;
		} else {
			freed += ret;
			bytes += ev.bytes;
			if (ev.kept)
				recompressed++;
			else
				zmm_stat_inc(a->pool, ZMM_STAT_EVICT_CHURN);
		}
		cond_resched();
	}
	/* what recompression saved is garbage until compacted */
	if (recompressed)
		freed += zmm_compact_arena(a);
	return freed;
}

/**
 * zmm_shrink_asked - MM's reclaim asks an arena for pageframes.
 * @pool: the pool.
 * @owner: memcg id.
 * @nid: node.
 * @type: zpage type.
 * @nr_pages: pageframes asked in this reclaim pass.
 * @urgent: the reclaim is in the last pass of an attempt (priority 0 in
 *	the kernel), having scanned the LRU lists whole, and has got nothing
 *	yet, and for a memcg it is not the charge's first attempt: as it
 *	stands the attempt fails (a memcg charge OOM-kills after a few
 *	failed attempts in a row).
 *
 * First the arena's churn, young zpages loaded back, is answered with
 * evictions, from the cold end unless its evictions keep coming back, a
 * batch at a time (zmm_shrink_churn()): reclaim asking at all says memory
 * is short, and the churn says where the zpage subclass should give it
 * from.  Then the ask itself.  Reclaim
 * asks a few pageframes per pass over an lruvec (the subclass's size
 * shifted by the priority), but the pool gives memory back in whole
 * blocks: obeyed one ask at a time, each small ask would evict a block's
 * worth of zpages.  So the asks add up in the arena's debt, less what
 * the churn's evictions freed, zmm_shrink() runs only while the debt is
 * positive, and what it frees beyond the debt is credit against the next
 * asks; so are pageframes that loads of old zpages freed
 * (zmm_policy_loaded()), up to ZMM_LOAD_CREDIT_MAX of credit in all.  A
 * shrink that falls short (the arena ran out, writeback kept failing)
 * clears the debt.  Over time the arena gives at least what reclaim
 * asked, to within a block.
 *
 * An @urgent ask is covered only by the surplus of the last shrink that
 * no ask has used yet (pageframes it freed beyond the debt, at most
 * ZMM_URGENT_CREDIT_MAX); the rest of the credit is dropped.  Credit
 * earned by old loads says that the pool shrank by itself, which the
 * reclaim asking has already counted in the lists it scanned; an arena
 * that keeps its zpages on that credit while its memcg runs out gets the
 * memcg OOM-killed with zmm holding memory (stress-ng's flip on the
 * classic LRU: Documentation/mm/zmm.rst, after "The ghost credit").
 * May sleep.
 *
 * Return: pageframes freed now.
 */
unsigned long zmm_shrink_asked(struct zmm_pool *pool, u32 owner, int nid,
			       enum zmm_type type, unsigned long nr_pages,
			       bool urgent)
{
	unsigned long churn_freed, freed = 0;
	long want, debt0;
	struct zmm_arena *a;

	might_sleep();
	if ((unsigned int)type >= ZMM_NR_TYPES || !nr_pages)
		return 0;
	a = zmm_arena_find(pool, owner, nid, type, false);
	if (!a)
		return 0;
	churn_freed = zmm_shrink_churn(a);
	nr_pages = min_t(unsigned long, nr_pages, LONG_MAX / 4);
	debt0 = atomic_long_read(&a->debt);
	if (urgent) {
		zmm_add_clamped(&a->debt, 0, -atomic_long_read(&a->surplus),
				ZMM_DEBT_MAX);
		zmm_stat_inc(pool, ZMM_STAT_ASK_URGENT);
	}
	want = zmm_add_clamped(&a->debt, (long)nr_pages - (long)churn_freed,
			       -ZMM_LOAD_CREDIT_MAX, ZMM_DEBT_MAX);
	/* asks use the surplus up first */
	zmm_add_clamped(&a->surplus, -(long)nr_pages, 0,
			ZMM_URGENT_CREDIT_MAX);
	/*
	 * The arena must shrink: recompress its old zpages in the
	 * background, ahead of the next asks.  Not for asks that credit
	 * covers: a reader of old data would have the zpages it reads next
	 * recompressed just before it loads them.
	 */
	if ((want > 0 || churn_freed) && pool->recomp &&
	    !atomic_xchg(&a->recomp_due, 1) && pool->ops.kick)
		pool->ops.kick(pool->ops.priv, ZMM_WORK_RECOMPRESS);
	if (want > 0) {
		if (zmm_shrink_arena(a, want, &freed)) {
			atomic_long_set(&a->debt, 0);
			atomic_long_set(&a->surplus, 0);
		} else {
			zmm_add_clamped(&a->debt, -(long)freed,
					-ZMM_LOAD_CREDIT_MAX, ZMM_DEBT_MAX);
			atomic_long_set(&a->surplus,
					min_t(long, freed - want,
					      ZMM_URGENT_CREDIT_MAX));
		}
	}
	trace_zmm_shrink_asked(owner, nid, type, nr_pages, urgent, debt0, want,
			       churn_freed, freed);
	zmm_arena_put(a);
	return churn_freed + freed;
}

/*
 * May a pool-wide reclaim write back the anon zpages of arena @a?  Not
 * those of an owner whose writeback is off (zmm_ops.may_writeback).
 */
static bool zmm_reclaim_may_take(struct zmm_pool *pool, u32 owner,
				 struct zmm_arena *a)
{
	if (a->type != ZMM_ANON || owner != ZMM_OWNER_ANY ||
	    !pool->ops.may_writeback)
		return true;
	return pool->ops.may_writeback(pool->ops.priv, a->owner);
}

/*
 * Ask every arena of @type for its share of what is still needed, in
 * proportion to the pageframes it holds (rounded up), so that no memcg or
 * node pays for the others.  Arenas give back whole blocks, so one may
 * give up to a block more than its share; the walk starts at a different
 * arena each time so that this does not always fall on the same one.  A
 * second pass takes what the first could not get.  Arenas that may not
 * give (zmm_reclaim_may_take()) are left out, shares included.
 */
static unsigned long zmm_reclaim_type(struct zmm_pool *pool, u32 owner,
				      enum zmm_type type,
				      unsigned long nr_pages)
{
	unsigned long i, k, n, start, rest = 0, done = 0, freed, want, held;
	struct zmm_arena **arenas, *a;
	unsigned int pass;

	arenas = zmm_arenas_snapshot(pool, owner, type, &n);
	if (!n)
		return 0;
	/* keep only the arenas that may give; put the others */
	for (i = 0, k = 0; i < n; i++) {
		if (zmm_reclaim_may_take(pool, owner, arenas[i])) {
			swap(arenas[k], arenas[i]);
			k++;
		}
	}
	if (!k)
		goto put_snapshot;
	start = READ_ONCE(pool->reclaim_start[type]) % k;
	WRITE_ONCE(pool->reclaim_start[type], start + 1);
	for (i = 0; i < k; i++)
		rest += READ_ONCE(arenas[i]->pages_held);
	for (pass = 0; pass < 2 && done < nr_pages; pass++) {
		for (i = 0; i < k && done < nr_pages; i++) {
			a = arenas[(start + i) % k];
			held = READ_ONCE(a->pages_held);
			want = nr_pages - done;
			if (!pass) {
				/* want < rest: the product cannot overflow */
				if (rest && want < rest)
					want = div64_u64((u64)want * held +
							 rest - 1, rest);
				rest -= min(rest, held);
			}
			if (!held || !want)
				continue;
			freed = 0;
			zmm_shrink_arena(a, want, &freed);
			done += freed;
		}
	}
put_snapshot:
	zmm_arenas_put(arenas, n);
	return done;
}

/**
 * zmm_reclaim - give pageframes back from the pool, or from one owner.
 * @pool: the pool.
 * @owner: memcg id whose arenas give (all its nodes), or ZMM_OWNER_ANY
 *	for every arena of the pool.
 * @nr_pages: pageframes wanted.
 * @freed: pageframes actually given back.
 *
 * The policy when the pool, or one memcg's share of it, must shrink as a
 * whole (a pool limit, a memcg going away): file zpages go first, because
 * dropping them costs no I/O now (only a read if they are wanted again,
 * which a written-back anon zpage costs too); then anon zpages are
 * written back.  Within a type every arena gives in proportion to what
 * it holds, coldest zpages first (zmm_shrink()).  Pool-wide, the anon
 * zpages of an owner whose writeback is off stay (zmm_ops.may_writeback);
 * an owner's own reclaim writes them back all the same.  May sleep.
 *
 * Return: 0 when @nr_pages were freed, -EAGAIN when fewer could be,
 * -EINVAL for bad arguments.
 */
int zmm_reclaim(struct zmm_pool *pool, u32 owner, unsigned long nr_pages,
		unsigned long *freed)
{
	unsigned long done;

	if (!freed || !nr_pages)
		return -EINVAL;
	might_sleep();
	done = zmm_reclaim_type(pool, owner, ZMM_FILE, nr_pages);
	if (done < nr_pages)
		done += zmm_reclaim_type(pool, owner, ZMM_ANON,
					 nr_pages - done);
	*freed = done;
	return done >= nr_pages ? 0 : -EAGAIN;
}

/*
 * Move every zpage of @from into the arena of (@heir, same node and type),
 * hottest first, each in as the coldest there, so that they keep their
 * order below the heir's own.  Stops at the first that finds no room.
 */
static void zmm_move_arena(struct zmm_pool *pool, struct zmm_arena *from,
			   u32 heir)
{
	struct zmm_arena *to;
	struct zmm_entry *e;

	to = zmm_arena_find(pool, heir, from->nid, from->type, true);
	if (!to)
		return;
	while ((e = zmm_lru_take_end(from, ZMM_LRU_HOT))) {
		if (zmm_entry_move(pool, e, to) == -ENOMEM)
			break;
		cond_resched();
	}
	zmm_arena_put(to);
}

/* rounds of zmm_owner_gone()'s reclaim, while each frees something */
#define ZMM_OWNER_GONE_ROUNDS	8

/**
 * zmm_owner_gone - an owner (a memcg going offline) goes away for good.
 * @pool: the pool.
 * @owner: its id; the caller makes sure that no store for it starts any
 *	more, and that its id is not reused before this returns.
 * @heir: the owner that inherits its zpages (the parent memcg), or
 *	ZMM_OWNER_ANY for none.
 *
 * Its zpages move to the heir's arenas (zmm_entry_move(): their
 * compressed bytes are copied, nothing is written), as the coldest
 * there, so that the heir's reclaim takes them first.  Those that cannot
 * move (no room: no block could be had) are evicted (zmm_reclaim(): file
 * dropped, anon written back, whatever zmm_ops.may_writeback says), in
 * rounds while a round frees something, since a writeback can fail for a
 * moment (a busy slot).  Then its arenas are retired (zmm_arena_retire()),
 * so that the id, reused, starts afresh.  Zpages still left (counted by
 * the nr_arenas_retired gauge) stay loadable and reachable by pool-wide
 * reclaim, charged as they were.  May sleep.
 *
 * Return: the zpages left behind.
 */
unsigned long zmm_owner_gone(struct zmm_pool *pool, u32 owner, u32 heir)
{
	struct zmm_arena **arenas;
	unsigned long freed, i, n;

	might_sleep();
	if (owner == ZMM_OWNER_ANY)
		return 0;
	if (heir != ZMM_OWNER_ANY && heir != owner) {
		arenas = zmm_arenas_snapshot(pool, owner, ZMM_NR_TYPES, &n);
		for (i = 0; i < n; i++)
			zmm_move_arena(pool, arenas[i], heir);
		zmm_arenas_put(arenas, n);
	}
	for (i = 0; i < ZMM_OWNER_GONE_ROUNDS; i++) {
		if (!zmm_reclaim(pool, owner, ULONG_MAX, &freed) || !freed)
			break;
		cond_resched();
	}
	return zmm_arena_retire(pool, owner);
}

/* zmm_compact() of an arena the caller holds a reference on */
static unsigned long zmm_compact_arena(struct zmm_arena *a)
{
	unsigned int slack = READ_ONCE(a->pool->params.compact_slack_pct);
	unsigned long done, f, held, garbage;

	done = 0;
	for (;;) {
		spin_lock(&a->lock);
		held = a->pages_held << PAGE_SHIFT;
		garbage = zmm_garbage(a);
		spin_unlock(&a->lock);
		if ((u64)garbage * 100 <= (u64)held * slack)
			break;
		f = zmm_block_evacuate_one(a, false);
		if (!f)
			break;
		done += f;
		cond_resched();
	}
	return done + zmm_block_shrink_head(a);
}

/**
 * zmm_compact - give back an arena's garbage beyond the slack.
 * @pool: the pool.
 * @owner: memcg id.
 * @nid: node.
 * @type: zpage type.
 *
 * Evicts nothing: only moves objects out of sparse blocks and gives the
 * emptied blocks back.  Meant for a background worker after pressure.
 *
 * Return: pageframes freed.
 */
unsigned long zmm_compact(struct zmm_pool *pool, u32 owner, int nid,
			  enum zmm_type type)
{
	unsigned long done;
	struct zmm_arena *a;

	if ((unsigned int)type >= ZMM_NR_TYPES)
		return 0;
	a = zmm_arena_find(pool, owner, nid, type, false);
	if (!a)
		return 0;
	done = zmm_compact_arena(a);
	zmm_arena_put(a);
	return done;
}

/**
 * zmm_compact_all - zmm_compact() every arena of the pool.
 * @pool: the pool.
 *
 * For a background worker; retired arenas too.  May sleep.
 *
 * Return: pageframes freed.
 */
unsigned long zmm_compact_all(struct zmm_pool *pool)
{
	unsigned long i, n, total = 0;
	struct zmm_arena **arenas;

	might_sleep();
	atomic_set(&pool->compact_due, 0);
	zmm_stat_inc(pool, ZMM_STAT_COMPACT_RUNS);
	arenas = zmm_arenas_snapshot(pool, ZMM_OWNER_ANY, ZMM_NR_TYPES, &n);
	for (i = 0; i < n; i++)
		total += zmm_compact_arena(arenas[i]);
	zmm_arenas_put(arenas, n);
	/* it freed something: there may be more once the dust settles */
	if (total)
		zmm_kick_compaction(pool);
	return total;
}

/* zpages recompressed per arena in one run of zmm_recompress_all() */
#define ZMM_RECOMP_BATCH	1024

/*
 * Recompress up to ZMM_RECOMP_BATCH of @a's old zpages, coldest first,
 * and compact the arena to give back what they saved.  *@more is set if
 * the batch ran out before the zpages did.  Return pageframes freed.
 */
static unsigned long zmm_recompress_arena(struct zmm_arena *a, bool *more)
{
	unsigned long saved = 0;
	unsigned int i, s;

	for (i = 0; i < ZMM_RECOMP_BATCH; i++) {
		/* old as zmm_policy_loaded() counts it */
		s = zmm_recompress_coldest(a, READ_ONCE(a->nr_zpages) / 2 + 1);
		if (!s)
			break;
		saved += s;
		if (!(i % 32))
			cond_resched();
	}
	*more = i == ZMM_RECOMP_BATCH;
	return saved ? zmm_compact_arena(a) : 0;
}

/**
 * zmm_recompress_all - recompress old zpages ahead of reclaim's asks.
 * @pool: the pool, with a second compressor (params.recomp).
 *
 * For the environment's ZMM_WORK_RECOMPRESS worker, which the first ask
 * of reclaim to an arena since the last run kicks, if the arena must
 * shrink for it (zmm_shrink_asked(): credit does not cover it).
 * In every such arena, the zpages at the cold end that are old (stored
 * before most of the arena) and still in the first compressor are
 * recompressed, in place, as a shrink would recompress them
 * (zmm_evict_one()), and the arena is compacted to give back what they
 * saved: pageframes returned without I/O and without waiting for the
 * next ask, and the work done outside the reclaimer, which would
 * otherwise recompress one zpage after another while the task that
 * needed memory waits.  A run stops at the first zpage that is young,
 * recompressed already or not worth it (which the next shrink evicts),
 * and takes at most ZMM_RECOMP_BATCH zpages per arena, asking for
 * another run if there are more.  May sleep.
 *
 * Return: pageframes freed.
 */
unsigned long zmm_recompress_all(struct zmm_pool *pool)
{
	unsigned long i, n, total = 0;
	struct zmm_arena **arenas;
	bool more, again = false;

	might_sleep();
	if (!pool->recomp)
		return 0;
	arenas = zmm_arenas_snapshot(pool, ZMM_OWNER_ANY, ZMM_NR_TYPES, &n);
	for (i = 0; i < n; i++) {
		if (!atomic_xchg(&arenas[i]->recomp_due, 0))
			continue;
		total += zmm_recompress_arena(arenas[i], &more);
		if (more) {
			atomic_set(&arenas[i]->recomp_due, 1);
			again = true;
		}
	}
	zmm_arenas_put(arenas, n);
	if (again && pool->ops.kick)
		pool->ops.kick(pool->ops.priv, ZMM_WORK_RECOMPRESS);
	return total;
}

/**
 * zmm_limit_reclaim - bring the pool back below params.limit_pages.
 * @pool: the pool.
 *
 * To a sixteenth below the limit, so that it does not run for every
 * store: file zpages first, then anon (zmm_reclaim()).  For the
 * environment's ZMM_WORK_LIMIT worker.  May sleep.
 *
 * Return: pageframes freed.
 */
unsigned long zmm_limit_reclaim(struct zmm_pool *pool)
{
	unsigned long limit = READ_ONCE(pool->params.limit_pages);
	unsigned long target = limit - limit / 16, held, freed = 0;

	held = atomic_long_read(&pool->pages_held);
	if (!limit || held <= target)
		return 0;
	zmm_stat_inc(pool, ZMM_STAT_LIMIT_RECLAIMS);
	zmm_reclaim(pool, ZMM_OWNER_ANY, held - target, &freed);
	return freed;
}
