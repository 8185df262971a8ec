/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/err.h> for lib/xarray.c in userspace: see ../xa_kcompat.h */
#include "../xa_kcompat.h"
