// SPDX-License-Identifier: GPL-2.0
/*
 * zmm module parameters, /sys/module/zmm/parameters/.
 *
 * Every write is validated; a bad value is refused with -EINVAL and a
 * message, and changes nothing.  The compressors and the zstd level are
 * fixed once the pool exists (writing another one gives -EBUSY): set them on the
 * command line or at load time.  Documentation/admin-guide/zmm.rst has the
 * meaning of each.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "module.h"

/* serialises parameter writes with each other */
static DEFINE_MUTEX(zmm_param_lock);

/* Validate @p and, if the pool exists, hand it over; then keep it. */
static int zmm_param_commit(const struct zmm_params *p)
{
	int ret = zmm_params_check(p);

	if (!ret && zmm_pool)
		ret = zmm_pool_set_params(zmm_pool, p);
	if (ret == -EBUSY)
		pr_err("the compressors cannot change under a live pool\n");
	if (!ret)
		zmm_config.params = *p;
	return ret;
}

static int zmm_set_enabled_param(const char *val,
				 const struct kernel_param *kp)
{
	bool on;
	int ret = kstrtobool(val, &on);

	if (ret) {
		pr_err("enabled: '%.*s' is not a boolean\n",
		       (int)strcspn(val, "\n"), val);
		return -EINVAL;
	}
	return zmm_set_enabled(on);
}

static int zmm_get_enabled(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%c\n", READ_ONCE(zmm_config.enabled) ?
				       'Y' : 'N');
}

static const struct kernel_param_ops zmm_enabled_ops = {
	.set = zmm_set_enabled_param,
	.get = zmm_get_enabled,
};
module_param_cb(enabled, &zmm_enabled_ops, NULL, 0644);
MODULE_PARM_DESC(enabled, "take new pages (Y/N)");

static int zmm_set_compressor(const char *val, const struct kernel_param *kp)
{
	struct zmm_params p;
	enum zmm_comp c;
	int ret = -EINVAL;

	mutex_lock(&zmm_param_lock);
	p = zmm_config.params;
	for (c = 0; c < ZMM_NR_COMPS; c++) {
		if (sysfs_streq(val, zmm_comp_name(c))) {
			p.comp = c;
			ret = zmm_param_commit(&p);
			break;
		}
	}
	if (c == ZMM_NR_COMPS)
		pr_err("compressor: '%.*s' is not lz4 or zstd\n",
		       (int)strcspn(val, "\n"), val);
	mutex_unlock(&zmm_param_lock);
	return ret;
}

static int zmm_get_compressor(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", zmm_comp_name(zmm_config.params.comp));
}

static const struct kernel_param_ops zmm_compressor_ops = {
	.set = zmm_set_compressor,
	.get = zmm_get_compressor,
};
module_param_cb(compressor, &zmm_compressor_ops, NULL, 0644);
MODULE_PARM_DESC(compressor, "lz4 (default) or zstd; fixed once loaded");

static int zmm_set_recompress(const char *val, const struct kernel_param *kp)
{
	struct zmm_params p;
	enum zmm_comp c;
	int ret;

	mutex_lock(&zmm_param_lock);
	p = zmm_config.params;
	for (c = 0; c < ZMM_NR_COMPS; c++)
		if (sysfs_streq(val, zmm_comp_name(c)))
			break;
	/* no compressor's name: c is ZMM_COMP_NONE */
	if (c == ZMM_COMP_NONE && !sysfs_streq(val, "none")) {
		pr_err("recompress: '%.*s' is not none, lz4 or zstd\n",
		       (int)strcspn(val, "\n"), val);
		ret = -EINVAL;
	} else if (c != ZMM_COMP_NONE && c == p.comp) {
		pr_err("recompress: %s is the compressor already\n",
		       zmm_comp_name(c));
		ret = -EINVAL;
	} else {
		p.recomp = c;
		ret = zmm_param_commit(&p);
	}
	mutex_unlock(&zmm_param_lock);
	return ret;
}

static int zmm_get_recompress(char *buf, const struct kernel_param *kp)
{
	enum zmm_comp c = zmm_config.params.recomp;

	return sysfs_emit(buf, "%s\n", c == ZMM_COMP_NONE ? "none" :
					 zmm_comp_name(c));
}

static const struct kernel_param_ops zmm_recompress_ops = {
	.set = zmm_set_recompress,
	.get = zmm_get_recompress,
};
module_param_cb(recompress, &zmm_recompress_ops, NULL, 0644);
MODULE_PARM_DESC(recompress,
		 "second compressor for cold zpages: none (default), lz4 or zstd; fixed once loaded");

/* An unsigned tunable of struct zmm_params, checked as a whole. */
static int zmm_set_uint(const char *val, const struct kernel_param *kp)
{
	size_t off = (size_t)kp->arg;
	struct zmm_params p;
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret) {
		pr_err("%s: '%.*s' is not a number\n", kp->name,
		       (int)strcspn(val, "\n"), val);
		return -EINVAL;
	}
	mutex_lock(&zmm_param_lock);
	p = zmm_config.params;
	*(unsigned int *)((char *)&p + off) = v;
	ret = zmm_param_commit(&p);
	mutex_unlock(&zmm_param_lock);
	return ret;
}

static int zmm_get_uint(char *buf, const struct kernel_param *kp)
{
	size_t off = (size_t)kp->arg;

	return sysfs_emit(buf, "%u\n",
			  *(unsigned int *)((char *)&zmm_config.params + off));
}

static const struct kernel_param_ops zmm_uint_ops = {
	.set = zmm_set_uint,
	.get = zmm_get_uint,
};

/* the offset of the field in struct zmm_params is the parameter's arg */
module_param_cb(accept_pct, &zmm_uint_ops,
		(void *)offsetof(struct zmm_params, accept_pct), 0644);
MODULE_PARM_DESC(accept_pct,
		 "largest compressed size kept, % of a page (10..100, 75)");
module_param_cb(min_order, &zmm_uint_ops,
		(void *)offsetof(struct zmm_params, min_order), 0644);
MODULE_PARM_DESC(min_order, "smallest block order taken (4..9, 4)");
module_param_cb(compact_slack_pct, &zmm_uint_ops,
		(void *)offsetof(struct zmm_params, compact_slack_pct), 0644);
MODULE_PARM_DESC(compact_slack_pct,
		 "garbage tolerated before compacting, % (0..50, 3)");

static int zmm_set_zstd_level(const char *val, const struct kernel_param *kp)
{
	struct zmm_params p;
	int v, ret;

	ret = kstrtoint(val, 0, &v);
	if (ret) {
		pr_err("zstd_level: '%.*s' is not a number\n",
		       (int)strcspn(val, "\n"), val);
		return -EINVAL;
	}
	mutex_lock(&zmm_param_lock);
	p = zmm_config.params;
	p.zstd_level = v;
	ret = zmm_param_commit(&p);
	mutex_unlock(&zmm_param_lock);
	return ret;
}

static int zmm_get_zstd_level(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", zmm_config.params.zstd_level);
}

static const struct kernel_param_ops zmm_zstd_level_ops = {
	.set = zmm_set_zstd_level,
	.get = zmm_get_zstd_level,
};
module_param_cb(zstd_level, &zmm_zstd_level_ops, NULL, 0644);
MODULE_PARM_DESC(zstd_level, "zstd level (1..19, 3); fixed once loaded");

/**
 * struct zmm_pct_param - a percentage of zmm.ko itself (not of the pool).
 * @val: where it lives in zmm_config.
 * @min: smallest value taken.
 * @max: largest value taken.
 * @changed: called after a change (may be NULL); runs under the module's
 *	parameter lock, so zmm_pool cannot go away under it.
 */
struct zmm_pct_param {
	unsigned int *val;
	unsigned int min;
	unsigned int max;
	void (*changed)(void);
};

static int zmm_set_pct(const char *val, const struct kernel_param *kp)
{
	const struct zmm_pct_param *pp = kp->arg;
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < pp->min || v > pp->max) {
		pr_err("%s: '%.*s' not in %u..%u\n", kp->name,
		       (int)strcspn(val, "\n"), val, pp->min, pp->max);
		return -EINVAL;
	}
	WRITE_ONCE(*pp->val, v);
	if (pp->changed)
		pp->changed();
	return 0;
}

static int zmm_get_pct(char *buf, const struct kernel_param *kp)
{
	const struct zmm_pct_param *pp = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(*pp->val));
}

static const struct kernel_param_ops zmm_pct_ops = {
	.set = zmm_set_pct,
	.get = zmm_get_pct,
};

/* the pool gets the limit in pageframes; a lower one takes effect now */
static void zmm_max_pool_changed(void)
{
	struct zmm_params p;

	mutex_lock(&zmm_param_lock);
	p = zmm_config.params;
	p.limit_pages = zmm_pool_limit_pages();
	zmm_param_commit(&p);
	mutex_unlock(&zmm_param_lock);
	zmm_limit_changed();
}

static const struct zmm_pct_param zmm_max_pool = {
	.val = &zmm_config.max_pool_percent, .min = 1, .max = 90,
	.changed = zmm_max_pool_changed,
};
module_param_cb(max_pool_percent, &zmm_pct_ops, (void *)&zmm_max_pool, 0644);
MODULE_PARM_DESC(max_pool_percent,
		 "pageframes zmm may hold, % of RAM (1..90, 40)");
