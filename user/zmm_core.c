// SPDX-License-Identifier: GPL-2.0
/*
 * The zmm portable core, built for userspace: the kernel's own .c files,
 * included unchanged, against user/shim/zmm_shim.h (force-included by the
 * build before anything else).  Bottom layer first, as in Kbuild.  The
 * KUnit module (tests/kunit/zmm_kunit.c) builds the same list.
 */
#include "../zmm/stats.c"
#include "../zmm/compress.c"
#include "../zmm/htab.c"
#include "../zmm/block.c"
#include "../zmm/arena.c"
#include "../zmm/ghost.c"
#include "../zmm/index.c"
#include "../zmm/store.c"
#include "../zmm/evict.c"
#include "../zmm/policy.c"
#include "../zmm/pool.c"
#include "../zmm/check.c"
