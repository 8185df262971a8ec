/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/bug.h> for lib/xarray.c in userspace: see ../xa_shim.h */
#include "../xa_shim.h"
