/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmm core, layer 2: the key index (index.c).  Every call but init and
 * destroy runs under the lock of the key's shard (zmm_shard_of()).
 */
#ifndef _ZMM_INDEX_H
#define _ZMM_INDEX_H

#include "types.h"

struct zmm_shard *zmm_shard_of(struct zmm_pool *pool, enum zmm_type type,
			       u64 id, u64 index);
u64 zmm_chunk_of(enum zmm_type type, u64 index);
struct zmm_entry *zmm_index_lookup(struct zmm_shard *s,
				   const struct zmm_key *key);
struct zmm_entry *zmm_index_erase(struct zmm_shard *s,
				  const struct zmm_key *key);
bool zmm_index_erase_entry(struct zmm_shard *s, struct zmm_entry *e);
int zmm_index_insert(struct zmm_shard *s, struct zmm_entry *e,
		     struct zmm_entry **old);
unsigned int zmm_index_take_range(struct zmm_shard *s, enum zmm_type type,
				  u64 id, u64 chunk, u64 start, u64 end,
				  struct zmm_entry **out, unsigned int max,
				  struct zmm_range_pos *pos);
bool zmm_index_any_object(struct zmm_shard *s, enum zmm_type type, u64 *id,
			  u64 *chunk);
int zmm_index_init(struct zmm_pool *pool);
void zmm_index_destroy(struct zmm_pool *pool);

#endif /* _ZMM_INDEX_H */
