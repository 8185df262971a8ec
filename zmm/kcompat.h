/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel facilities used by the zmm portable core, the one header
 * through which it reaches them.
 *
 * Every portable .c file includes this header and nothing else from
 * <linux/>.  In the kernel it is the list below; built anywhere else
 * (tests/, bench/) it is user/shim/zmm_shim.h, which maps the same names
 * onto libc, pthreads, liblz4 and libzstd, so the core compiles unchanged
 * in both worlds.  Keep the two in step: a facility used by the core must
 * be provided by both.
 */
#ifndef ZMM_KCOMPAT_H
#define ZMM_KCOMPAT_H

#ifndef __KERNEL__
#include <zmm_shim.h>
/* the kernel's own lib/xarray.c, built by mk/xarray.mk on the shim */
#include <linux/xarray.h>
#else
#include <asm/barrier.h>
#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/cache.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/hash.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/local_lock.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/lz4.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <linux/zstd.h>
#endif /* __KERNEL__ */

#endif /* ZMM_KCOMPAT_H */
