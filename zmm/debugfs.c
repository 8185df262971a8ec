// SPDX-License-Identifier: GPL-2.0
/*
 * zmm debugfs: /sys/kernel/debug/zmm/
 *
 *   stats   every counter of enum zmm_stat_item, "name value" per line,
 *           then the pool limit in pageframes
 *   check   reading it recounts the pool (zmm_pool_check()) and prints
 *           the number of inconsistencies found, 0 for a sound pool
 *   arenas  one line per arena (zmm_arenas_list()), after a header:
 *           memcg id, node, type, retired (0/1), references (one per
 *           zpage, the table's unless retired, users'), zpages,
 *           pageframes, compressed bytes, and the memcg's cgroup inode
 *           number (0 once it is gone or the arena retired), which maps
 *           to a path
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "module.h"

static struct dentry *zmm_debugfs_root;

static int zmm_stats_show(struct seq_file *m, void *v)
{
	unsigned int i;

	for (i = 0; i < NR_ZMM_STAT_ITEMS; i++)
		seq_printf(m, "%s %lu\n", zmm_stat_name(i),
			   zmm_stat(zmm_pool, i));
	seq_printf(m, "pool_limit_pages %lu\n",
		   READ_ONCE(zmm_config.params.limit_pages));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zmm_stats);

static int zmm_check_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%ld\n", zmm_pool_check(zmm_pool, false));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zmm_check);

static int zmm_arenas_show(struct seq_file *m, void *v)
{
	struct zmm_arena_info *infos;
	unsigned long i, n, max;

	max = zmm_stat(zmm_pool, ZMM_STAT_NR_ARENAS) + 16;
	infos = kvcalloc(max, sizeof(*infos), GFP_KERNEL);
	if (!infos)
		return -ENOMEM;
	n = zmm_arenas_list(zmm_pool, infos, max);
	seq_puts(m, "owner nid type retired refs zpages pages_held bytes_used cgroup_ino\n");
	for (i = 0; i < n; i++)
		seq_printf(m, "%u %d %s %d %u %lu %lu %lu %lu\n",
			   infos[i].owner, infos[i].nid,
			   infos[i].type == ZMM_ANON ? "anon" : "file",
			   infos[i].retired, infos[i].refs,
			   infos[i].nr_zpages, infos[i].pages_held,
			   infos[i].bytes_used, infos[i].retired ? 0 :
			   zmm_owner_cgroup_ino(infos[i].owner));
	kvfree(infos);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zmm_arenas);

int zmm_debugfs_init(void)
{
	zmm_debugfs_root = debugfs_create_dir("zmm", NULL);
	debugfs_create_file("stats", 0444, zmm_debugfs_root, NULL,
			    &zmm_stats_fops);
	debugfs_create_file("check", 0400, zmm_debugfs_root, NULL,
			    &zmm_check_fops);
	debugfs_create_file("arenas", 0400, zmm_debugfs_root, NULL,
			    &zmm_arenas_fops);
	return 0;
}

void zmm_debugfs_exit(void)
{
	debugfs_remove_recursive(zmm_debugfs_root);
}
