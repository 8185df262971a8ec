/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <linux/limits.h> is also a uapi header that glibc's <limits.h> includes
 * (before user/shim/zmm_shim.h is complete): pass through to it, and give
 * lib/xarray.c the C limits (ULONG_MAX) the kernel's header would.
 */
#include_next <linux/limits.h>
#include <limits.h>
