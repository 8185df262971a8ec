// SPDX-License-Identifier: GPL-2.0
/*
 * zmm debugfs: /sys/kernel/debug/zmm/
 *
 *   stats   every counter of enum zmm_stat_item, "name value" per line,
 *           then the pool limit in pageframes
 *   check   reading it recounts the pool (zmm_pool_check()) and prints
 *           the number of inconsistencies found, 0 for a sound pool
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

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

int zmm_debugfs_init(void)
{
	zmm_debugfs_root = debugfs_create_dir("zmm", NULL);
	debugfs_create_file("stats", 0444, zmm_debugfs_root, NULL,
			    &zmm_stats_fops);
	debugfs_create_file("check", 0400, zmm_debugfs_root, NULL,
			    &zmm_check_fops);
	return 0;
}

void zmm_debugfs_exit(void)
{
	debugfs_remove_recursive(zmm_debugfs_root);
}
