// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own lib/xarray.c, built for userspace (as
 * tools/testing/shared/xarray-shared.c builds it for the radix-tree
 * tests): mk/xarray.mk extracts it from the installed kernel source into
 * $(OUT)/kernel-src, which is on the include path.  What lib/radix-tree.c
 * would provide to it is here.
 */
#include "lib/xarray.c"

__thread int zmm_xa_rcu_depth;

/* never allocated from: zmm_xa_node_alloc() stands for the cache */
struct kmem_cache *radix_tree_node_cachep;

void *zmm_xa_node_alloc(gfp_t gfp)
{
	struct xa_node *node;

	node = zmm_shim_malloc(sizeof(*node), gfp | __GFP_ZERO);
	if (node)
		INIT_LIST_HEAD(&node->private_list);
	return node;
}

void radix_tree_node_rcu_free(struct rcu_head *head)
{
	struct xa_node *node = container_of(head, struct xa_node, rcu_head);

	zmm_shim_free(node);
}
