/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmm tracepoints, in /sys/kernel/tracing/events/zmm/.  main.c defines
 * them (CREATE_TRACE_POINTS); the portable core calls them, and built
 * outside the kernel (user/shim/), or into the KUnit module
 * (ZMM_NO_TRACEPOINTS, tests/kunit/Kbuild: the events are zmm.ko's),
 * gets empty stubs instead.
 *
 * zmm_shrink_asked: one ask of reclaim's to one arena (zmm_shrink_asked(),
 * policy.c), of @owner (the memcg's id, as debugfs's arenas show it; the
 * event records its cgroup's inode number too, 0 once it is gone, which
 * userspace can map to a path): @asked page frames, whether it was
 * @urgent (reclaim's last pass of an attempt that has got nothing yet),
 * the arena's debt before it (@debt_before: negative is
 * credit) and once the ask was added to it, less what the churn's
 * evictions freed and, for an urgent ask, the credit beyond the last
 * shrink's surplus (@debt: positive runs a shrink), and the page frames
 * freed by the churn (@churn_freed) and by that shrink (@freed).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM zmm

#if !defined(_ZMM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _ZMM_TRACE_H

#if defined(__KERNEL__) && !defined(ZMM_NO_TRACEPOINTS)
#include <linux/tracepoint.h>

/* zmm_owner_cgroup_ino(): module.h, which main.c includes first */

TRACE_EVENT(zmm_shrink_asked,
	    TP_PROTO(u32 owner, int nid, int type, unsigned long asked,
		     bool urgent, long debt_before, long debt,
		     unsigned long churn_freed, unsigned long freed),
	    TP_ARGS(owner, nid, type, asked, urgent, debt_before, debt,
		    churn_freed, freed),
	    TP_STRUCT__entry(__field(u32, owner)
			     __field(unsigned long, memcg_ino)
			     __field(int, nid)
			     __field(int, type)
			     __field(bool, urgent)
			     __field(unsigned long, asked)
			     __field(long, debt_before)
			     __field(long, debt)
			     __field(unsigned long, churn_freed)
			     __field(unsigned long, freed)),
	    TP_fast_assign(__entry->owner = owner;
			   __entry->memcg_ino = zmm_owner_cgroup_ino(owner);
			   __entry->nid = nid;
			   __entry->type = type;
			   __entry->urgent = urgent;
			   __entry->asked = asked;
			   __entry->debt_before = debt_before;
			   __entry->debt = debt;
			   __entry->churn_freed = churn_freed;
			   __entry->freed = freed;),
	    TP_printk("owner=%u memcg_ino=%lu nid=%d type=%s asked=%lu urgent=%d debt_before=%ld debt=%ld churn_freed=%lu freed=%lu",
		      __entry->owner, __entry->memcg_ino, __entry->nid,
		      __entry->type ? "file" : "anon", __entry->asked,
		      __entry->urgent, __entry->debt_before, __entry->debt,
		      __entry->churn_freed, __entry->freed)
);
#else
static inline void trace_zmm_shrink_asked(u32 owner, int nid, int type,
					  unsigned long asked, bool urgent,
					  long debt_before, long debt,
					  unsigned long churn_freed,
					  unsigned long freed)
{
}
#endif /* __KERNEL__ && !ZMM_NO_TRACEPOINTS */

#endif /* _ZMM_TRACE_H */

#if defined(__KERNEL__) && !defined(ZMM_NO_TRACEPOINTS)
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
#endif
