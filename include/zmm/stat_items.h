/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every counter of a zmm pool, one ZMM_STAT(item, name) per line: item
 * makes the enum zmm_stat_item value ZMM_STAT_item, and name is what
 * zmm_stat_name() gives (documented in Documentation/admin-guide/zmm.rst).
 * One list, included by <zmm/zmm.h> for the enum and by zmm/stats.c for
 * the names, so that an item and its name cannot drift apart.  Events only
 * ever grow; gauges go up and down.  No include guard: it is meant to be
 * included more than once.
 */
ZMM_STAT(STORED, "stored")			/* stores that kept the page */
ZMM_STAT(SAME_FILLED, "same_filled")		/* ... of which same-filled */
ZMM_STAT(LOADED, "loaded")			/* loads that returned the page */
ZMM_STAT(LOAD_MISS, "load_miss")		/* loads of an unknown key */
ZMM_STAT(INVALIDATED, "invalidated")		/* dropped by invalidation */
ZMM_STAT(REPLACED, "replaced")			/* stores that replaced a zpage */
ZMM_STAT(REJECT_POOR, "reject_poor_ratio")	/* compressed too poorly */
ZMM_STAT(REJECT_NOMEM, "reject_nomem")		/* no storage at hand */
ZMM_STAT(REJECT_COMP, "reject_compressor")	/* compressor error */
ZMM_STAT(REJECT_INVAL, "reject_invalid")	/* bad arguments */
ZMM_STAT(REJECT_POOL_LIMIT, "reject_pool_limit")	/* pool at its limit */
ZMM_STAT(REJECT_MEMCG_LIMIT, "reject_memcg_limit")	/* memory.zpages.max */
ZMM_STAT(REJECT_SAME_FILE, "reject_same_file")	/* same-filled file pages */
ZMM_STAT(RECOMP, "recompressed")		/* cold zpages recompressed */
ZMM_STAT(RECOMP_BG, "recompressed_background")	/* ... by the background work */
ZMM_STAT(RECOMP_POOR, "recompress_poor")	/* tried, saved too little */
ZMM_STAT(RECOMP_SAVED, "recompress_saved_bytes")	/* bytes they saved */
ZMM_STAT(DECOMP_ERR, "decompress_error")	/* data failed to decompress */
ZMM_STAT(EVICT_WB, "evict_writeback")		/* anon zpages written back */
ZMM_STAT(EVICT_DROP, "evict_drop")		/* file zpages dropped by shrink */
ZMM_STAT(EVICT_CACHED, "evict_cached")		/* anon given up: page cached */
ZMM_STAT(EVICT_HOT, "evict_hot")		/* ... taken from the hot end */
ZMM_STAT(EVICT_REFAULT, "evict_refault")	/* evicted, then loaded again */
ZMM_STAT(LOAD_CREDIT, "load_credit")		/* old zpages loaded or missed */
ZMM_STAT(ASK_URGENT, "ask_urgent")		/* reclaim's urgent asks */
ZMM_STAT(LOAD_CHURN, "load_churn")		/* young zpages loaded */
ZMM_STAT(EVICT_CHURN, "evict_churn")		/* evicted for the churn */
ZMM_STAT(CHURN_FUTILE, "churn_futile")		/* churn batches let go */
ZMM_STAT(WB_FAIL, "writeback_fail")		/* writebacks failed: zpage kept */
ZMM_STAT(WB_BUSY, "writeback_busy")		/* ... of which: slot busy */
ZMM_STAT(WB_NOMEM, "writeback_nomem")		/* ... of which: no memory */
ZMM_STAT(LIMIT_RECLAIMS, "limit_reclaims")	/* zmm_limit_reclaim() runs */
ZMM_STAT(COMPACT_RUNS, "compact_runs")		/* zmm_compact_all() runs */
ZMM_STAT(COMPACT_MOVES, "compact_moves")	/* objects moved by compaction */
ZMM_STAT(COMPACT_BYTES, "compact_bytes")	/* bytes moved by compaction */
ZMM_STAT(COMPACT_RECYCLE_BYTES, "compact_recycle_bytes") /* ... for a store */
ZMM_STAT(COMPACT_EVAC_BYTES, "compact_evacuate_bytes") /* ... in the background */
ZMM_STAT(SHRINK_EVAC_BYTES, "shrink_evacuate_bytes") /* ... for a shrink */
ZMM_STAT(BLOCK_ALLOC_FAIL, "block_alloc_fail")	/* allocations failed */
ZMM_STAT(BLOCKS_FREED, "blocks_freed")		/* blocks returned */
ZMM_STAT(BLOCKS_O4, "blocks_order4")		/* blocks allocated, by order */
ZMM_STAT(BLOCKS_O5, "blocks_order5")
ZMM_STAT(BLOCKS_O6, "blocks_order6")
ZMM_STAT(BLOCKS_O7, "blocks_order7")
ZMM_STAT(BLOCKS_O8, "blocks_order8")
ZMM_STAT(BLOCKS_O9, "blocks_order9")
ZMM_STAT(PAGES_HELD, "pages_held")		/* gauge: pageframes in blocks */
ZMM_STAT(BYTES_USED, "bytes_used")		/* gauge: compressed bytes */
ZMM_STAT(NR_ZPAGES, "nr_zpages")		/* gauge: zpages, same-filled too */
ZMM_STAT(MOVED, "moved")			/* zpages moved to an heir */
ZMM_STAT(ARENAS_RETIRED, "arenas_retired")	/* arenas of owners gone */
ZMM_STAT(NR_ARENAS, "nr_arenas")		/* gauge: arenas, empty ones too */
ZMM_STAT(NR_ARENAS_RETIRED, "nr_arenas_retired")	/* gauge: ... retired */
