// SPDX-License-Identifier: GPL-2.0
/*
 * zmm key index: zmm/index.c, included as it is (a sharded hash of
 * objects; entries by index in a hash table per anon object, in an XArray
 * per file), against XArray-only designs built on the kernel's own
 * lib/xarray.c (mk/xarray.mk), for the operations the index does:
 *
 *   insert   key absent -> entry           (store)
 *   replace  key present -> new entry      (store over a stale zpage)
 *   lookup   key -> entry, under the lock  (load)
 *   lookup-rcu  XArray only: xa_load() without the lock (see below)
 *   erase    key -> removed entry          (exclusive load, invalidate)
 *   take     every key of a range, in batches of 32 under the lock
 *            (swapoff / whole-device invalidation, truncation, eviction)
 *   take-tail  a file's last 1/16 (a partial truncation)
 *
 * Designs:
 *   zmm      zmm/index.c: 256 spinlocked shards, objects per (type, id,
 *            chunk of 1024 swap slots | file); an anon object is a hash
 *            table by index, a file object an XArray (its xa_lock taken
 *            inside the shard lock, which stays held)
 *   xa-1     one XArray per swap type keyed by swap offset (zswap up to
 *            6.8); files as xa
 *   xa       one XArray per 64 MiB of swap (SWAP_ADDRESS_SPACE_PAGES, the
 *            6.12 zswap split), keyed by offset within it; one XArray per
 *            file, found through 256 spinlocked shards of a hash table by
 *            mapping id (hand-over-hand: shard lock, then xa_lock)
 *
 * Every lock is user/shim/zmm_shim.h's spinlock (a pthread mutex with
 * -DNDEBUG), every allocation zmm_shim_malloc() (malloc), for both.
 * lookup-rcu is safe here only because nothing is erased while it runs:
 * the shim's call_rcu() frees at once.
 *
 * -r N: runs (3); -q: an eighth of the keys; -p NAME: that pattern only.
 *
 * Output: one line per (pattern, op, threads, design): the median, min and
 * max over the runs of ns per operation (wall time / all operations of
 * all threads), then the memory the index takes per entry.
 */
#include <malloc.h>
#include <unistd.h>
#include <time.h>
#include "../zmm/htab.c"
#include "../zmm/index.c"
#include <linux/xarray.h>

#define BATCH 32
#define XA_SPLIT_SHIFT 14	/* SWAP_ADDRESS_SPACE_SHIFT: 64 MiB */
#define FILE_SHARDS 256
#define MAX_THREADS 2
#define MAX_RUNS 15

static volatile unsigned long sink;

/* ---- the key set of one pattern ---- */
struct task {
	enum zmm_type type;
	u64 id, start, end;
};

struct pattern {
	const char *name;
	unsigned long n;
	struct zmm_entry *a, *b;	/* two entries per key: for replace */
	/* per thread count: the keys of each thread, in operation order */
	unsigned long *keys[MAX_THREADS + 1][MAX_THREADS];
	unsigned long nkeys[MAX_THREADS + 1][MAX_THREADS];
	struct task *tasks[MAX_THREADS + 1][MAX_THREADS];
	unsigned long ntasks[MAX_THREADS + 1][MAX_THREADS];
	struct task *tail[MAX_THREADS + 1][MAX_THREADS];	/* or NULL */
	u64 anon_max;		/* largest swap offset: sizes the xa trees */
};

static u64 rng = 0x9E3779B97F4A7C15ULL;

static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void shuffle(unsigned long *v, unsigned long n)
{
	unsigned long i, j, t;

	for (i = n - 1; i > 0; i--) {
		j = rnd() % (i + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

static void set_key(struct pattern *p, unsigned long i, enum zmm_type type,
		    u64 id, u64 index)
{
	p->a[i].type = p->b[i].type = type;
	p->a[i].id = p->b[i].id = id;
	p->a[i].index = p->b[i].index = index;
	refcount_set(&p->a[i].refs, 1);
	refcount_set(&p->b[i].refs, 1);
	if (type == ZMM_ANON && index > p->anon_max)
		p->anon_max = index;
}

/*
 * Give each thread count its per-thread key lists: @cluster > 0 deals
 * out runs of @cluster consecutive keys round robin (per-CPU swap
 * clusters); 0 deals out halves of @order.
 */
static void deal(struct pattern *p, const unsigned long *order,
		 unsigned long cluster)
{
	unsigned long i, t, nt, k;

	for (nt = 1; nt <= MAX_THREADS; nt++) {
		for (t = 0; t < nt; t++) {
			p->keys[nt][t] = calloc(p->n, sizeof(unsigned long));
			p->nkeys[nt][t] = 0;
		}
		for (i = 0; i < p->n; i++) {
			t = cluster ? (i / cluster) % nt : i * nt / p->n;
			k = p->nkeys[nt][t]++;
			p->keys[nt][t][k] = order[i];
		}
	}
}

/* the take tasks: @n ranges, split between the threads */
static void add_tasks(struct pattern *p, struct task *(*where)[MAX_THREADS],
		      unsigned long (*count)[MAX_THREADS],
		      const struct task *all, unsigned long n)
{
	unsigned long i, t, nt;

	for (nt = 1; nt <= MAX_THREADS; nt++) {
		for (t = 0; t < nt; t++) {
			where[nt][t] = calloc(n, sizeof(struct task));
			count[nt][t] = 0;
		}
		for (i = 0; i < n; i++) {
			t = i * nt / n;
			where[nt][t][count[nt][t]++] = all[i];
		}
	}
}

/* one range per thread share of [start, end] */
static void split_range(struct pattern *p, enum zmm_type type, u64 id,
			u64 start, u64 end, bool tail)
{
	unsigned long nt, t, len = end - start + 1;

	for (nt = 1; nt <= MAX_THREADS; nt++) {
		for (t = 0; t < nt; t++) {
			struct task *x = calloc(1, sizeof(*x));

			x->type = type;
			x->id = id;
			x->start = start + len * t / nt;
			x->end = start + len * (t + 1) / nt - 1;
			if (tail) {
				p->tail[nt][t] = x;
			} else {
				p->tasks[nt][t] = x;
				p->ntasks[nt][t] = 1;
			}
		}
	}
}

static struct pattern *pattern_new(const char *name, unsigned long n)
{
	struct pattern *p = calloc(1, sizeof(*p));

	p->name = name;
	p->n = n;
	p->a = calloc(n, sizeof(*p->a));
	p->b = calloc(n, sizeof(*p->b));
	return p;
}

static unsigned long *iota(unsigned long n)
{
	unsigned long *v = malloc(n * sizeof(*v)), i;

	for (i = 0; i < n; i++)
		v[i] = i;
	return v;
}

/* swap offsets 0..n-1 in order, per-CPU clusters of 512 slots */
static struct pattern *pat_anon_seq(unsigned long n)
{
	struct pattern *p = pattern_new("anon-seq", n);
	unsigned long *order = iota(n), i;

	for (i = 0; i < n; i++)
		set_key(p, i, ZMM_ANON, 0, i);
	deal(p, order, 512);
	split_range(p, ZMM_ANON, 0, 0, p->anon_max, false);
	free(order);
	return p;
}

/* n distinct random offsets across a 4 GiB swap device, random order */
static struct pattern *pat_anon_rand(unsigned long n)
{
	struct pattern *p = pattern_new("anon-rand", n);
	const unsigned long slots = 1UL << 20;
	unsigned long *all = iota(slots), *order = iota(n), i;

	shuffle(all, slots);
	for (i = 0; i < n; i++)
		set_key(p, i, ZMM_ANON, 0, all[i]);
	deal(p, order, 0);
	split_range(p, ZMM_ANON, 0, 0, slots - 1, false);
	free(all);
	free(order);
	return p;
}

/* one file of n pages, in random order (reclaim is not sequential) */
static struct pattern *pat_file_big(unsigned long n)
{
	struct pattern *p = pattern_new("file-1M", n);
	unsigned long *order = iota(n), i;
	u64 id = 0xffff888012345000ULL;

	for (i = 0; i < n; i++)
		set_key(p, i, ZMM_FILE, id, i);
	shuffle(order, n);
	deal(p, order, 0);
	split_range(p, ZMM_FILE, id, 0, n - 1, false);
	split_range(p, ZMM_FILE, id, n - n / 16, n - 1, true);
	free(order);
	return p;
}

/* @files files of @pages pages, ids spread as address_space pointers */
static struct pattern *pat_small_files(unsigned long files,
				       unsigned long pages)
{
	struct pattern *p = pattern_new("small-files", files * pages);
	unsigned long *order = iota(p->n), i;
	struct task *t = calloc(files, sizeof(*t));

	for (i = 0; i < p->n; i++)
		set_key(p, i, ZMM_FILE,
			0xffff888000000000ULL + (i / pages) * 0x6c0,
			i % pages);
	for (i = 0; i < files; i++)
		t[i] = (struct task){ ZMM_FILE, p->a[i * pages].id, 0,
				      U64_MAX };
	shuffle(order, p->n);
	deal(p, order, 0);
	add_tasks(p, p->tasks, p->ntasks, t, files);
	free(order);
	free(t);
	return p;
}

/* what zmm_entry_put() does first to a taken entry: read its count */
static void put_batch(struct zmm_entry **batch, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++)
		sink += refcount_read(&batch[k]->refs);
}

/* ---- designs ---- */
struct design {
	const char *name;
	void (*init)(struct pattern *p);
	void (*fini)(void);
	void (*insert)(struct zmm_entry *e);
	struct zmm_entry *(*lookup)(const struct zmm_entry *k);
	struct zmm_entry *(*lookup_rcu)(const struct zmm_entry *k);
	struct zmm_entry *(*erase)(const struct zmm_entry *k);
	unsigned long (*take)(const struct task *t);
};

/* -- zmm: zmm/index.c -- */
static struct zmm_pool hpool;

static void h_init(struct pattern *p)
{
	if (zmm_index_init(&hpool))
		abort();
}

static void h_fini(void)
{
	zmm_index_destroy(&hpool);
}

static void h_insert(struct zmm_entry *e)
{
	struct zmm_shard *s = zmm_shard_of(&hpool, e->type, e->id, e->index);
	struct zmm_entry *old;

	spin_lock(&s->lock);
	if (zmm_index_insert(s, e, &old))
		abort();
	spin_unlock(&s->lock);
	sink += (unsigned long)old;
}

static struct zmm_entry *h_lookup(const struct zmm_entry *k)
{
	struct zmm_key key = { k->type, k->id, k->index };
	struct zmm_shard *s = zmm_shard_of(&hpool, k->type, k->id, k->index);
	struct zmm_entry *e;

	spin_lock(&s->lock);
	e = zmm_index_lookup(s, &key);
	spin_unlock(&s->lock);
	return e;
}

static struct zmm_entry *h_erase(const struct zmm_entry *k)
{
	struct zmm_key key = { k->type, k->id, k->index };
	struct zmm_shard *s = zmm_shard_of(&hpool, k->type, k->id, k->index);
	struct zmm_entry *e;

	spin_lock(&s->lock);
	e = zmm_index_erase(s, &key);
	spin_unlock(&s->lock);
	return e;
}

/* zmm_invalidate_range(): object by object, batches of 32 */
static unsigned long h_take(const struct task *t)
{
	u64 end = t->type == ZMM_ANON ? min_t(u64, t->end, ZMM_ANON_INDEX_MAX)
				      : t->end;
	u64 chunk = zmm_chunk_of(t->type, t->start);
	u64 last = zmm_chunk_of(t->type, end);
	struct zmm_entry *batch[BATCH];
	unsigned long taken = 0;
	struct zmm_shard *s;
	unsigned int n;

	for (; chunk <= last; chunk++) {
		struct zmm_range_pos pos = { 0 };

		s = zmm_shard_of(&hpool, t->type, t->id,
				 t->type == ZMM_ANON ?
				 chunk << ZMM_ANON_CHUNK_SHIFT : 0);
		do {
			spin_lock(&s->lock);
			n = zmm_index_take_range(s, t->type, t->id, chunk,
						 t->start, end, batch, BATCH,
						 &pos);
			spin_unlock(&s->lock);
			put_batch(batch, n);
			taken += n;
		} while (n == BATCH);
	}
	return taken;
}

/* -- XArray designs -- */
static struct xarray *xa_anon;		/* the trees of swap type 0 */
static unsigned int xa_anon_shift;	/* 64 = one tree */
static unsigned long xa_anon_nr;

struct xa_file {
	struct hlist_node hnode;
	u64 id;
	struct xarray xa;
};

struct xa_file_shard {
	spinlock_t lock;
	struct zmm_htab files;
} ____cacheline_aligned_in_smp;

static struct xa_file_shard *xa_files;

static void xa_init_common(struct pattern *p, unsigned int shift)
{
	unsigned long i;

	xa_anon_shift = shift;
	xa_anon_nr = shift >= 64 ? 1 : (p->anon_max >> shift) + 1;
	xa_anon = calloc(xa_anon_nr, sizeof(*xa_anon));
	for (i = 0; i < xa_anon_nr; i++)
		xa_init(&xa_anon[i]);
	xa_files = calloc(FILE_SHARDS, sizeof(*xa_files));
	for (i = 0; i < FILE_SHARDS; i++) {
		spin_lock_init(&xa_files[i].lock);
		if (zmm_htab_init(&xa_files[i].files, 2))
			abort();
	}
}

static void xa_init_split(struct pattern *p)
{
	xa_init_common(p, XA_SPLIT_SHIFT);
}

static void xa_init_one(struct pattern *p)
{
	xa_init_common(p, 64);
}

static void xa_fini(void)
{
	unsigned long i;

	for (i = 0; i < xa_anon_nr; i++) {
		if (!xa_empty(&xa_anon[i]))
			abort();
		xa_destroy(&xa_anon[i]);
	}
	free(xa_anon);
	for (i = 0; i < FILE_SHARDS; i++) {
		if (xa_files[i].files.nr)
			abort();
		zmm_htab_free(&xa_files[i].files);
	}
	free(xa_files);
}

static struct xarray *anon_tree(u64 off, unsigned long *key)
{
	if (xa_anon_shift >= 64) {
		*key = off;
		return &xa_anon[0];
	}
	*key = off & ((1UL << xa_anon_shift) - 1);
	return &xa_anon[off >> xa_anon_shift];
}

/* as zmm/index.c: the shard from the product's top bits, the chain below */
static u64 file_key(u64 id)
{
	return id * GOLDEN_RATIO_64 << 8;
}

static u64 xa_file_hkey(struct hlist_node *n)
{
	return file_key(container_of(n, struct xa_file, hnode)->id);
}

static struct xa_file_shard *file_shard(u64 id)
{
	return &xa_files[id * GOLDEN_RATIO_64 >> 56];
}

static struct xa_file *file_find(struct xa_file_shard *sh, u64 id)
{
	struct xa_file *f;

	hlist_for_each_entry(f, &sh->files.heads[hash_64(file_key(id),
							 sh->files.bits)],
			     hnode)
		if (f->id == id)
			return f;
	return NULL;
}

/*
 * The file's XArray, xa_locked, or NULL.  Hand over hand: the shard lock
 * is dropped once xa_lock is held, so other files of the shard go on.
 */
static struct xa_file *file_lock(u64 id, bool create)
{
	struct xa_file_shard *sh = file_shard(id);
	struct xa_file *f;

	spin_lock(&sh->lock);
	f = file_find(sh, id);
	if (!f && create) {
		f = kzalloc(sizeof(*f), GFP_NOWAIT | __GFP_NOWARN);
		if (!f)
			abort();
		f->id = id;
		xa_init(&f->xa);
		hlist_add_head(&f->hnode,
			       &sh->files.heads[hash_64(file_key(id),
							sh->files.bits)]);
		sh->files.nr++;
		zmm_htab_maybe_grow(&sh->files, xa_file_hkey, NULL);
	}
	if (f)
		xa_lock(&f->xa);
	spin_unlock(&sh->lock);
	return f;
}

/* after a file's XArray was seen empty: free it if it still is */
static void file_maybe_free(u64 id)
{
	struct xa_file_shard *sh = file_shard(id);
	struct xa_file *f;
	bool empty = false;

	spin_lock(&sh->lock);
	f = file_find(sh, id);
	if (f) {
		xa_lock(&f->xa);
		empty = xa_empty(&f->xa);
		if (empty) {
			hlist_del_init(&f->hnode);
			sh->files.nr--;
		}
		xa_unlock(&f->xa);
	}
	spin_unlock(&sh->lock);
	if (empty)
		kfree(f);
}

static void x_insert(struct zmm_entry *e)
{
	struct xa_file *f;
	struct xarray *xa;
	unsigned long key;
	void *old;

	if (e->type == ZMM_ANON) {
		xa = anon_tree(e->index, &key);
		xa_lock(xa);
	} else {
		f = file_lock(e->id, true);
		xa = &f->xa;
		key = e->index;
	}
	old = __xa_store(xa, key, e, GFP_NOWAIT | __GFP_NOWARN);
	xa_unlock(xa);
	if (xa_is_err(old))
		abort();
	sink += (unsigned long)old;
}

static struct zmm_entry *x_lookup(const struct zmm_entry *k)
{
	struct zmm_entry *e;
	struct xa_file *f;
	struct xarray *xa;
	unsigned long key;

	if (k->type == ZMM_ANON) {
		xa = anon_tree(k->index, &key);
		xa_lock(xa);
	} else {
		f = file_lock(k->id, false);
		if (!f)
			return NULL;
		xa = &f->xa;
		key = k->index;
	}
	e = xa_load(xa, key);
	xa_unlock(xa);
	return e;
}

/* the kernel's load path without a lock (would need RCU-freed entries) */
static struct zmm_entry *x_lookup_rcu(const struct zmm_entry *k)
{
	struct xa_file_shard *sh;
	struct xa_file *f;
	struct xarray *xa;
	unsigned long key;

	if (k->type == ZMM_ANON) {
		xa = anon_tree(k->index, &key);
		return xa_load(xa, key);
	}
	/* the file table would be an RCU hash table; locked here */
	sh = file_shard(k->id);
	spin_lock(&sh->lock);
	f = file_find(sh, k->id);
	spin_unlock(&sh->lock);
	return f ? xa_load(&f->xa, k->index) : NULL;
}

static struct zmm_entry *x_erase(const struct zmm_entry *k)
{
	struct zmm_entry *e;
	struct xa_file *f;
	struct xarray *xa;
	unsigned long key;
	bool empty;

	if (k->type == ZMM_ANON) {
		xa = anon_tree(k->index, &key);
		xa_lock(xa);
		e = __xa_erase(xa, key);
		xa_unlock(xa);
		return e;
	}
	f = file_lock(k->id, false);
	if (!f)
		return NULL;
	e = __xa_erase(&f->xa, k->index);
	empty = xa_empty(&f->xa);
	xa_unlock(&f->xa);
	if (empty)
		file_maybe_free(k->id);
	return e;
}

/* up to BATCH entries of @xa in [*pos, end], xa_lock held; moves *pos */
static unsigned int xa_take_batch(struct xarray *xa, unsigned long *pos,
				  unsigned long end, struct zmm_entry **out)
{
	XA_STATE(xas, xa, *pos);
	unsigned int n = 0;
	void *e;

	xas_for_each(&xas, e, end) {
		xas_store(&xas, NULL);
		out[n++] = e;
		if (n == BATCH)
			break;
	}
	*pos = xas.xa_index + 1;
	return n;
}

static unsigned long x_take(const struct task *t)
{
	struct zmm_entry *batch[BATCH];
	unsigned long taken = 0, pos, last, i, key, next, end;
	struct xarray *xa;
	struct xa_file *f;
	unsigned int n;
	bool empty;

	if (t->type == ZMM_ANON) {
		last = min_t(u64, t->end, ZMM_ANON_INDEX_MAX);
		for (i = t->start; i <= last; i = next) {
			/* [i, next) is what this tree holds of the range */
			next = xa_anon_shift >= 64 ? last + 1 :
			       (i | ((1UL << xa_anon_shift) - 1)) + 1;
			if (xa_anon_shift < 64 &&
			    (i >> xa_anon_shift) >= xa_anon_nr)
				break;
			xa = anon_tree(i, &key);
			pos = key;
			end = key + (min_t(u64, last, next - 1) - i);
			do {
				xa_lock(xa);
				n = xa_take_batch(xa, &pos, end, batch);
				xa_unlock(xa);
				put_batch(batch, n);
				taken += n;
			} while (n == BATCH);
		}
		return taken;
	}
	pos = t->start;
	do {
		f = file_lock(t->id, false);
		if (!f)
			break;
		n = xa_take_batch(&f->xa, &pos, t->end, batch);
		empty = xa_empty(&f->xa);
		xa_unlock(&f->xa);
		put_batch(batch, n);
		taken += n;
		if (empty)
			file_maybe_free(t->id);
	} while (n == BATCH && !empty);
	return taken;
}

static const struct design designs[] = {
	{ "zmm", h_init, h_fini, h_insert, h_lookup, NULL, h_erase, h_take },
	{ "xa-1", xa_init_one, xa_fini, x_insert, x_lookup, x_lookup_rcu,
	  x_erase, x_take },
	{ "xa", xa_init_split, xa_fini, x_insert, x_lookup, x_lookup_rcu,
	  x_erase, x_take },
};

/* ---- running ---- */
enum op { OP_INSERT, OP_REPLACE, OP_LOOKUP, OP_LOOKUP_RCU, OP_ERASE,
	  OP_TAKE, OP_TAKE_TAIL, NR_OPS };
static const char *const op_names[] = { "insert", "replace", "lookup",
	"lookup-rcu", "erase", "take", "take-tail" };

struct job {
	const struct design *d;
	struct pattern *p;
	enum op op;
	unsigned int nt, t;
	pthread_barrier_t *bar;
	struct timespec t0, t1;
	unsigned long done, bad;
};

static void *job_fn(void *arg)
{
	struct job *j = arg;
	const unsigned long *keys = j->p->keys[j->nt][j->t];
	unsigned long i, n = j->p->nkeys[j->nt][j->t];
	struct pattern *p = j->p;
	struct zmm_entry *e;

	pthread_barrier_wait(j->bar);
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	switch (j->op) {
	case OP_INSERT:
	case OP_REPLACE:
		/* a store has just written its entry: it is in the cache */
		for (i = 0; i < n; i++) {
			e = j->op == OP_INSERT ? &p->a[keys[i]]
					       : &p->b[keys[i]];
			refcount_set(&e->refs, 1);
			j->d->insert(e);
		}
		j->done = n;
		break;
	case OP_LOOKUP:
	case OP_LOOKUP_RCU:
		for (i = 0; i < n; i++) {
			e = (j->op == OP_LOOKUP ? j->d->lookup
						: j->d->lookup_rcu)(&p->a[keys[i]]);
			/* a load takes a reference on what it found */
			j->bad += e != &p->a[keys[i]] ||
				  refcount_read(&e->refs) != 1;
		}
		j->done = n;
		break;
	case OP_ERASE:
		for (i = 0; i < n; i++) {
			e = j->d->erase(&p->a[keys[i]]);
			/* and then puts the entry */
			j->bad += e != &p->a[keys[i]] ||
				  refcount_read(&e->refs) != 1;
		}
		j->done = n;
		break;
	case OP_TAKE:
		for (i = 0; i < p->ntasks[j->nt][j->t]; i++)
			j->done += j->d->take(&p->tasks[j->nt][j->t][i]);
		break;
	case OP_TAKE_TAIL:
		j->done = j->d->take(p->tail[j->nt][j->t]);
		break;
	default:
		break;
	}
	clock_gettime(CLOCK_MONOTONIC, &j->t1);
	return NULL;
}

static double ts(const struct timespec *t)
{
	return t->tv_sec * 1e9 + t->tv_nsec;
}

/* run @op on @nt threads; ns per operation, or -1 when not applicable */
static double run_op(const struct design *d, struct pattern *p, enum op op,
		     unsigned int nt, unsigned long expect)
{
	struct job jobs[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	pthread_barrier_t bar;
	double t0 = 1e300, t1 = 0;
	unsigned long done = 0, bad = 0;
	unsigned int t;

	pthread_barrier_init(&bar, NULL, nt);
	for (t = 0; t < nt; t++) {
		jobs[t] = (struct job){ .d = d, .p = p, .op = op, .nt = nt,
					.t = t, .bar = &bar };
		pthread_create(&tid[t], NULL, job_fn, &jobs[t]);
	}
	for (t = 0; t < nt; t++) {
		pthread_join(tid[t], NULL);
		t0 = min(t0, ts(&jobs[t].t0));
		t1 = max(t1, ts(&jobs[t].t1));
		done += jobs[t].done;
		bad += jobs[t].bad;
	}
	pthread_barrier_destroy(&bar);
	if (bad || (expect && done != expect)) {
		fprintf(stderr, "%s %s %s: %lu wrong, %lu of %lu done\n",
			d->name, p->name, op_names[op], bad, done, expect);
		exit(1);
	}
	return (t1 - t0) / done;
}

static void insert_all(const struct design *d, struct pattern *p)
{
	unsigned long i;

	for (i = 0; i < p->n; i++)
		d->insert(&p->a[i]);
}

static double res[NR_OPS][MAX_THREADS + 1][MAX_RUNS];
static double mem_per_entry;

/* one run of every op of @p on @d with @nt threads */
static void run_all(const struct design *d, struct pattern *p,
		    unsigned int nt, unsigned int run)
{
	struct mallinfo2 m0, m1;
	static struct task all;

	d->init(p);
	m0 = mallinfo2();
	res[OP_INSERT][nt][run] = run_op(d, p, OP_INSERT, nt, p->n);
	m1 = mallinfo2();
	if (nt == 1 && run == 0)
		mem_per_entry = (double)(m1.uordblks - m0.uordblks) / p->n;
	res[OP_REPLACE][nt][run] = run_op(d, p, OP_REPLACE, nt, p->n);
	/* the b entries are in now; put the a ones back, untimed */
	insert_all(d, p);
	res[OP_LOOKUP][nt][run] = run_op(d, p, OP_LOOKUP, nt, p->n);
	res[OP_LOOKUP_RCU][nt][run] = d->lookup_rcu ?
		run_op(d, p, OP_LOOKUP_RCU, nt, p->n) : -1;
	res[OP_ERASE][nt][run] = run_op(d, p, OP_ERASE, nt, p->n);
	insert_all(d, p);
	res[OP_TAKE][nt][run] = run_op(d, p, OP_TAKE, nt, p->n);
	if (p->tail[nt][0]) {
		insert_all(d, p);
		res[OP_TAKE_TAIL][nt][run] =
			run_op(d, p, OP_TAKE_TAIL, nt, p->n / 16);
		all = (struct task){ p->a[0].type, p->a[0].id, 0, U64_MAX };
		d->take(&all);
	} else {
		res[OP_TAKE_TAIL][nt][run] = -1;
	}
	d->fini();
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const struct design *d, struct pattern *p,
		   unsigned int runs)
{
	unsigned int op, nt;
	double v[MAX_RUNS];

	for (op = 0; op < NR_OPS; op++) {
		for (nt = 1; nt <= MAX_THREADS; nt++) {
			if (res[op][nt][0] < 0)
				continue;
			memcpy(v, res[op][nt], runs * sizeof(double));
			qsort(v, runs, sizeof(double), cmp_double);
			printf("%-11s %-10s %ut %-5s %8.1f %8.1f %8.1f\n",
			       p->name, op_names[op], nt, d->name,
			       v[runs / 2], v[0], v[runs - 1]);
		}
	}
	/* a zmm entry carries a 16-byte hlist_node (used by anon keys only) */
	printf("%-11s %-10s %-2s %-5s %8.1f B/entry%s\n", p->name, "memory",
	       "1t", d->name,
	       mem_per_entry + (d->init == h_init ? sizeof(struct hlist_node)
						  : 0),
	       d->init == h_init ? " (incl. 16 B hnode per entry)" : "");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	unsigned int runs = 3, nt, r, i, k;
	unsigned long scale = 1;
	struct pattern *pats[4];
	const char *only = NULL;
	int c;

	while ((c = getopt(argc, argv, "r:qp:")) != -1) {
		switch (c) {
		case 'r':
			runs = atoi(optarg);
			break;
		case 'q':
			scale = 8;
			break;
		case 'p':
			only = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-r runs] [-q] [-p pattern]\n", argv[0]);
			return 2;
		}
	}
	if (runs < 1 || runs > MAX_RUNS)
		runs = 3;
	pats[0] = pat_anon_seq((1UL << 18) / scale);	/* 1 GiB of swap */
	pats[1] = pat_anon_rand((1UL << 18) / scale);	/* in 4 GiB */
	pats[2] = pat_file_big((1UL << 20) / scale);
	pats[3] = pat_small_files((1UL << 16) / scale, 8);
	printf("# zmm key index: ns/op median min max of %u runs (-O2)\n",
	       runs);
	printf("%-11s %-10s %-2s %-5s %8s %8s %8s\n", "# pattern", "op", "th",
	       "impl", "median", "min", "max");
	for (i = 0; i < ARRAY_SIZE(pats); i++) {
		if (only && strcmp(only, pats[i]->name))
			continue;
		for (k = 0; k < ARRAY_SIZE(designs); k++) {
			/* xa-1 differs from xa for anon keys only */
			if (!strcmp(designs[k].name, "xa-1") &&
			    pats[i]->a[0].type != ZMM_ANON)
				continue;
			/* runs interleave thread counts, to spread noise */
			for (r = 0; r < runs; r++)
				for (nt = 1; nt <= MAX_THREADS; nt++)
					run_all(&designs[k], pats[i], nt, r);
			report(&designs[k], pats[i], runs);
		}
	}
	if (zmm_shim_outstanding())
		fprintf(stderr, "%ld allocations leaked\n",
			zmm_shim_outstanding());
	return zmm_shim_outstanding() != 0;
}
