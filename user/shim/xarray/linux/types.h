/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <linux/types.h> is also a uapi header that system headers include:
 * pass through to it; the kernel types come from user/shim/zmm_shim.h.
 */
#include_next <linux/types.h>
