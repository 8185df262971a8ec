/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmm.ko: the kernel side of zmm, shared by main.c, params.c, debugfs.c.
 * Not part of the portable core: these files build only in the kernel.
 */
#ifndef _ZMM_MODULE_H
#define _ZMM_MODULE_H

#include <linux/atomic.h>
#include <linux/memcontrol.h>
#include <linux/zpage.h>
#include <zmm/zmm.h>

/**
 * struct zmm_config - the module parameters, as the pool sees them.
 * @enabled: take new pages; loads and invalidations always work.
 * @params: tunables of the pool; those a live pool cannot change
 *	(compressor, zstd level) are refused with -EBUSY while it is live.
 * @max_pool_percent: pageframes the pool may hold, in percent of RAM;
 *	the pool gets it as @params.limit_pages.
 */
struct zmm_config {
	bool enabled;
	struct zmm_params params;
	unsigned int max_pool_percent;
};

extern struct zmm_config zmm_config;
/* the pool, set once at module load and never changed */
extern struct zmm_pool *zmm_pool;

int zmm_set_enabled(bool enabled);
unsigned long zmm_pool_limit_pages(void);
void zmm_limit_changed(void);

/*
 * The inode number of @owner's cgroup, which userspace can map to a path
 * (find /sys/fs/cgroup -inum), for the tracepoint (trace.h) and debugfs;
 * 0 for owner 0 (no memcg) or a memcg that is gone.  Any context.
 */
static inline unsigned long zmm_owner_cgroup_ino(u32 owner)
{
	struct mem_cgroup *memcg = zpage_memcg_get_id(owner);
	unsigned long ino = mem_cgroup_ino(memcg);

	mem_cgroup_put(memcg);
	return ino;
}

int zmm_debugfs_init(void);
void zmm_debugfs_exit(void);

#endif /* _ZMM_MODULE_H */
