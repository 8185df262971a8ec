// SPDX-License-Identifier: GPL-2.0
/*
 * zmm core, layer 2: the key index, key -> entry.
 *
 * Two levels, as tmem/cleancache had: an object per (type, id, chunk) and,
 * inside it, its entries by index.  Objects are spread over
 * ZMM_NR_SHARDS shards, each with its own spinlock, so stores, loads and
 * invalidations of unrelated keys take different locks.  Anon keys are cut
 * into objects of 2^ZMM_ANON_CHUNK_SHIFT swap slots, so one swap device
 * spreads over all shards; a file's keys share one object, so truncation
 * and inode eviction find them without a scan of the pool.  The shards'
 * object tables and the anon objects' entry tables are htab.c's; a file
 * object holds its entries in an XArray, whose xa_lock is taken inside
 * the shard lock (Documentation/mm/zmm.rst, "Locking").
 *
 * The index only links and unlinks: the references it hands back (erase,
 * take) go to the caller, which puts them (store.c).
 */
#include "htab.h"
#include "index.h"

static u64 zmm_obj_hash(enum zmm_type type, u64 id, u64 chunk)
{
	return id ^ (chunk * 0x9E3779B97F4A7C15ULL) ^ ((u64)type << 63);
}

/*
 * One multiplicative hash for both levels: the shard is the top
 * ZMM_NR_SHARDS_SHIFT bits of the product, and an object's key in its
 * shard's table is the product's bits below those (which htab.c hashes
 * again).  Taking both from the same top bits would put every object of
 * a shard in one chain until the table had more than ZMM_NR_SHARDS chains.
 */
static u64 zmm_obj_mix(enum zmm_type type, u64 id, u64 chunk)
{
	return zmm_obj_hash(type, id, chunk) * GOLDEN_RATIO_64;
}

static u64 zmm_obj_shard_key(u64 mix)
{
	return mix << ZMM_NR_SHARDS_SHIFT;
}

u64 zmm_chunk_of(enum zmm_type type, u64 index)
{
	return type == ZMM_ANON ? index >> ZMM_ANON_CHUNK_SHIFT : 0;
}

struct zmm_shard *zmm_shard_of(struct zmm_pool *pool, enum zmm_type type,
			       u64 id, u64 index)
{
	u64 mix = zmm_obj_mix(type, id, zmm_chunk_of(type, index));

	return &pool->shards[mix >> (64 - ZMM_NR_SHARDS_SHIFT)];
}

static u64 zmm_entry_hkey(struct hlist_node *n)
{
	return container_of(n, struct zmm_entry, hnode)->index;
}

/* an object's key in its shard's table (zmm_object_find() looks it up) */
static u64 zmm_object_hkey(struct hlist_node *n)
{
	struct zmm_object *o = container_of(n, struct zmm_object, hnode);

	return zmm_obj_shard_key(zmm_obj_mix(o->type, o->id, o->chunk));
}

static struct zmm_object *zmm_object_find(struct zmm_shard *s,
					  enum zmm_type type, u64 id,
					  u64 chunk)
{
	u64 h = zmm_obj_shard_key(zmm_obj_mix(type, id, chunk));
	struct zmm_object *o;

	lockdep_assert_held(&s->lock);
	hlist_for_each_entry(o, &s->objs.heads[hash_64(h, s->objs.bits)],
			     hnode) {
		if (o->id == id && o->chunk == chunk && o->type == type)
			return o;
	}
	return NULL;
}

/* anon: the entry of @index in @o's hash table, or NULL */
static struct zmm_entry *zmm_object_lookup(struct zmm_object *o, u64 index)
{
	struct hlist_head *head;
	struct zmm_entry *e;

	head = &o->entries.heads[hash_64(index, o->entries.bits)];
	hlist_for_each_entry(e, head, hnode) {
		if (e->index == index)
			return e;
	}
	return NULL;
}

/* A new, empty, object for (@type, @id, @chunk) in @s, or NULL. */
static struct zmm_object *zmm_object_new(struct zmm_shard *s,
					 enum zmm_type type, u64 id, u64 chunk)
{
	struct zmm_object *o;

	o = kzalloc(sizeof(*o), GFP_NOWAIT | __GFP_NOWARN);
	if (!o)
		return NULL;
	o->id = id;
	o->chunk = chunk;
	o->type = type;
	if (type == ZMM_FILE) {
		xa_init_flags(&o->xa, 0);
	} else {
		o->entries.heads = o->inline_heads;
		o->entries.bits = 2;
	}
	hlist_add_head(&o->hnode,
		       &s->objs.heads[hash_64(zmm_object_hkey(&o->hnode),
					      s->objs.bits)]);
	s->objs.nr++;
	zmm_htab_maybe_grow(&s->objs, zmm_object_hkey, NULL);
	return o;
}

/* Unlink @o, which holds no entry, from @s and free it. */
static void zmm_object_free(struct zmm_shard *s, struct zmm_object *o)
{
	hlist_del_init(&o->hnode);
	s->objs.nr--;
	if (o->type == ZMM_ANON) {
		if (o->entries.heads != o->inline_heads)
			kfree(o->entries.heads);
	} else if (!xa_empty(&o->xa)) {
		/* empty nodes that a failed store left behind */
		xa_destroy(&o->xa);
	}
	kfree(o);
}

/*
 * Does file object @o hold no entry?  A store that fails to allocate a
 * node leaves the nodes it had already linked in, empty, so after one
 * (@o->xa_stale) xa_empty() alone is not the answer: look for an entry.
 */
static bool zmm_object_xa_empty(struct zmm_object *o)
{
	unsigned long index = 0;

	if (xa_empty(&o->xa))
		return true;
	return o->xa_stale && !xa_find(&o->xa, &index, ULONG_MAX, XA_PRESENT);
}

/* file: @o lost entries; free it if it holds no more. */
static void zmm_object_xa_put(struct zmm_shard *s, struct zmm_object *o)
{
	if (zmm_object_xa_empty(o))
		zmm_object_free(s, o);
}

/* anon: unlink @e from @o, and @o from @s with its last entry */
static void zmm_object_unhash_entry(struct zmm_shard *s, struct zmm_object *o,
				    struct zmm_entry *e)
{
	hlist_del_init(&e->hnode);
	if (!--o->entries.nr)
		zmm_object_free(s, o);
}

/* file: remove @index from @o; return its entry or NULL */
static struct zmm_entry *zmm_object_xa_erase(struct zmm_shard *s,
					     struct zmm_object *o, u64 index)
{
	struct zmm_entry *e;

	xa_lock(&o->xa);
	e = __xa_erase(&o->xa, index);
	xa_unlock(&o->xa);
	if (e)
		zmm_object_xa_put(s, o);
	return e;
}

/**
 * zmm_index_lookup - find the entry a key maps to.
 * @s: the key's shard, locked.
 * @key: the key.
 *
 * Return: the entry, or NULL.  It stays valid while @s is locked.
 */
struct zmm_entry *zmm_index_lookup(struct zmm_shard *s,
				   const struct zmm_key *key)
{
	struct zmm_object *o;

	o = zmm_object_find(s, key->type, key->id,
			    zmm_chunk_of(key->type, key->index));
	if (!o)
		return NULL;
	if (o->type == ZMM_FILE)
		return xa_load(&o->xa, key->index);
	return zmm_object_lookup(o, key->index);
}

/**
 * zmm_index_erase - remove a key from the index.
 * @s: the key's shard, locked.
 * @key: the key.
 *
 * Return: the entry the key mapped to, whose index reference now belongs
 * to the caller, or NULL.
 */
struct zmm_entry *zmm_index_erase(struct zmm_shard *s,
				  const struct zmm_key *key)
{
	struct zmm_object *o;
	struct zmm_entry *e;

	o = zmm_object_find(s, key->type, key->id,
			    zmm_chunk_of(key->type, key->index));
	if (!o)
		return NULL;
	if (o->type == ZMM_FILE)
		return zmm_object_xa_erase(s, o, key->index);
	e = zmm_object_lookup(o, key->index);
	if (e)
		zmm_object_unhash_entry(s, o, e);
	return e;
}

/**
 * zmm_index_erase_entry - remove @e from the index if its key still maps
 * to it.
 * @s: the shard of @e's key, locked.
 * @e: the entry.
 *
 * Return: true if removed; the index reference then belongs to the caller.
 */
bool zmm_index_erase_entry(struct zmm_shard *s, struct zmm_entry *e)
{
	struct zmm_object *o;
	void *cur;

	o = zmm_object_find(s, e->type, e->id, zmm_chunk_of(e->type, e->index));
	if (!o)
		return false;
	if (o->type == ZMM_FILE) {
		xa_lock(&o->xa);
		/* storing NULL allocates nothing */
		cur = __xa_cmpxchg(&o->xa, e->index, e, NULL, 0);
		xa_unlock(&o->xa);
		if (cur != e)
			return false;
		zmm_object_xa_put(s, o);
		return true;
	}
	if (zmm_object_lookup(o, e->index) != e)
		return false;
	zmm_object_unhash_entry(s, o, e);
	return true;
}

/*
 * file: map @e's index in @o to @e.  Replacing a present key allocates
 * nothing and cannot fail; a new key may need nodes, allocated without
 * sleeping under both locks.  If that fails the key stays absent, and @o
 * goes if it holds nothing (it was made for this key).
 */
static int zmm_object_xa_insert(struct zmm_shard *s, struct zmm_object *o,
				struct zmm_entry *e, struct zmm_entry **old)
{
	void *prev;

	xa_lock(&o->xa);
	prev = __xa_store(&o->xa, e->index, e, GFP_NOWAIT | __GFP_NOWARN);
	xa_unlock(&o->xa);
	if (!xa_is_err(prev)) {
		*old = prev;
		return 0;
	}
	o->xa_stale = true;
	zmm_object_xa_put(s, o);
	return xa_err(prev);
}

/**
 * zmm_index_insert - map @e's key to @e.
 * @s: the key's shard, locked.
 * @e: the entry, holding its index reference.
 * @old: set to the entry the key mapped to before, or NULL.  Its index
 *	reference belongs to the caller.  Set even when insertion fails, so
 *	that a failed store never leaves the previous, stale, data behind.
 *
 * Return: 0, or -ENOMEM if a new object, or a file object's XArray node,
 * could not be allocated; the key is then absent.
 */
int zmm_index_insert(struct zmm_shard *s, struct zmm_entry *e,
		     struct zmm_entry **old)
{
	u64 chunk = zmm_chunk_of(e->type, e->index);
	struct zmm_object *o;
	struct zmm_entry *prev;

	lockdep_assert_held(&s->lock);
	*old = NULL;
	o = zmm_object_find(s, e->type, e->id, chunk);
	if (!o) {
		o = zmm_object_new(s, e->type, e->id, chunk);
		if (!o)
			return -ENOMEM;
	}
	if (o->type == ZMM_FILE)
		return zmm_object_xa_insert(s, o, e, old);
	prev = zmm_object_lookup(o, e->index);
	if (prev) {
		/* replace in place: the key is never absent */
		hlist_del_init(&prev->hnode);
		hlist_add_head(&e->hnode,
			       &o->entries.heads[hash_64(e->index,
							 o->entries.bits)]);
		*old = prev;
		return 0;
	}
	hlist_add_head(&e->hnode,
		       &o->entries.heads[hash_64(e->index, o->entries.bits)]);
	o->entries.nr++;
	zmm_htab_maybe_grow(&o->entries, zmm_entry_hkey, o->inline_heads);
	return 0;
}

/*
 * file: take up to @max entries of @o in [@start, @end], in index order
 * from where the last batch stopped: the walk costs what the range holds.
 */
static unsigned int zmm_object_xa_take(struct zmm_shard *s,
				       struct zmm_object *o, u64 start,
				       u64 end, struct zmm_entry **out,
				       unsigned int max,
				       struct zmm_range_pos *pos)
{
	XA_STATE(xas, &o->xa, max_t(u64, start, pos->next));
	struct zmm_entry *e;
	unsigned int n = 0;

	xas_lock(&xas);
	xas_for_each(&xas, e, end) {
		xas_store(&xas, NULL);
		out[n++] = e;
		if (n == max)
			break;
	}
	xas_unlock(&xas);
	pos->next = xas.xa_index + 1;
	if (n)
		zmm_object_xa_put(s, o);
	return n;
}

/**
 * zmm_index_take_range - remove up to @max keys of one object in a range.
 * @s: the object's shard, locked.
 * @type: key type.
 * @id: key id.
 * @chunk: the object's chunk.
 * @start: first index, inclusive.
 * @end: last index, inclusive.
 * @out: the removed entries; their index references go to the caller.
 * @max: room in @out.
 * @pos: where the previous call stopped; zero it before the first call.
 *	A file's walk goes on in index order, so taking a range costs what
 *	the range holds; an anon object's walk restarts only if its table
 *	was resized in between, so it costs one pass over the table.
 *
 * Return: the number of entries removed.  Fewer than @max means the
 * object has no more keys in the range.
 */
unsigned int zmm_index_take_range(struct zmm_shard *s, enum zmm_type type,
				  u64 id, u64 chunk, u64 start, u64 end,
				  struct zmm_entry **out, unsigned int max,
				  struct zmm_range_pos *pos)
{
	struct zmm_object *o;
	struct zmm_entry *e;
	struct hlist_node *next;
	unsigned int n = 0;
	bool last;

	lockdep_assert_held(&s->lock);
	o = zmm_object_find(s, type, id, chunk);
	if (!o)
		return 0;
	if (o->type == ZMM_FILE)
		return zmm_object_xa_take(s, o, start, end, out, max, pos);
	if (pos->bits != o->entries.bits) {
		pos->bits = o->entries.bits;
		pos->bucket = 0;
	}
	for (; pos->bucket < (1UL << o->entries.bits); pos->bucket++) {
		hlist_for_each_entry_safe(e, next,
					  &o->entries.heads[pos->bucket],
					  hnode) {
			if (e->index < start || e->index > end)
				continue;
			out[n++] = e;
			/* the object goes with its last entry */
			last = o->entries.nr == 1;
			zmm_object_unhash_entry(s, o, e);
			if (last)
				return n;
			/* stay on this chain: it may hold more */
			if (n == max)
				return n;
		}
	}
	return n;
}

int zmm_index_init(struct zmm_pool *pool)
{
	unsigned int i;
	int ret;

	pool->shards = kcalloc(ZMM_NR_SHARDS, sizeof(*pool->shards),
			       GFP_KERNEL);
	if (!pool->shards)
		return -ENOMEM;
	for (i = 0; i < ZMM_NR_SHARDS; i++) {
		spin_lock_init(&pool->shards[i].lock);
		ret = zmm_htab_init(&pool->shards[i].objs, 2);
		if (ret)
			goto free_tables;
	}
	return 0;

free_tables:
	while (i--)
		zmm_htab_free(&pool->shards[i].objs);
	kfree(pool->shards);
	pool->shards = NULL;
	return ret;
}

/**
 * zmm_index_any_object - find some object of a type in a shard.
 * @s: the shard, locked.
 * @type: the key type.
 * @id: set to the object's id.
 * @chunk: set to the object's chunk.
 *
 * For walks that drop a whole type, object by object.
 *
 * Return: true if there is one.
 */
bool zmm_index_any_object(struct zmm_shard *s, enum zmm_type type, u64 *id,
			  u64 *chunk)
{
	struct zmm_object *o;
	unsigned long b;

	lockdep_assert_held(&s->lock);
	for (b = 0; b < (1UL << s->objs.bits); b++) {
		hlist_for_each_entry(o, &s->objs.heads[b], hnode) {
			if (o->type == type) {
				*id = o->id;
				*chunk = o->chunk;
				return true;
			}
		}
	}
	return false;
}

/* Free the index, which must be empty (zmm_pool_destroy() emptied it). */
void zmm_index_destroy(struct zmm_pool *pool)
{
	struct zmm_shard *s;
	unsigned int i;

	if (!pool->shards)
		return;
	for (i = 0; i < ZMM_NR_SHARDS; i++) {
		s = &pool->shards[i];
		WARN_ON_ONCE(s->objs.nr);
		zmm_htab_free(&s->objs);
	}
	kfree(pool->shards);
	pool->shards = NULL;
}
