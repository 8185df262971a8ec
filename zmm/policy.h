/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmm core, layer 5: the default policy and the drivers (policy.c); the
 * drivers' prototypes are public, in <zmm/zmm.h>.
 */
#ifndef _ZMM_POLICY_H
#define _ZMM_POLICY_H

#include "types.h"

extern const struct zmm_policy zmm_default_policy;

#endif /* _ZMM_POLICY_H */
