// SPDX-License-Identifier: GPL-2.0
/*
 * The zmm portable core, built for userspace: the kernel's own .c files,
 * included unchanged, against user/shim/kcompat.h (force-included by the
 * build before anything else).
 */
#include "../zmm/index.c"
#include "../zmm/compress.c"
#include "../zmm/block.c"
#include "../zmm/lru.c"
#include "../zmm/policy.c"
#include "../zmm/store.c"
#include "../zmm/check.c"
