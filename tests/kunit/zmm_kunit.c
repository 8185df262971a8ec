// SPDX-License-Identifier: GPL-2.0
/*
 * zmm_kunit.ko: the zmm core with its KUnit tests compiled in (the
 * *-test.h files included at the bottom of the core's files, enabled by
 * CONFIG_ZMM_KUNIT_TEST, which tests/kunit/Kbuild defines for this module
 * only).  The core is the same list of files as the userspace build's;
 * the module registers no backend and needs nothing from zmm.ko.
 */
#include <linux/module.h>

#include "../../user/zmm_core.c"

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of the zmm core");
