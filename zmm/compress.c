// SPDX-License-Identifier: GPL-2.0
/*
 * zmm core, layer 0: page codecs.
 *
 * Compressors: lz4 (default) and zstd, called directly through the
 * kernel's lib/lz4 and lib/zstd rather than the crypto API (no transform
 * lookup, no scatterlists, and the same calls build in userspace against
 * liblz4/libzstd through the shim).
 *
 * Each CPU has a context holding the work memory and an output buffer,
 * taken with a local_lock: preemption is off while it is held, so every
 * zmm operation that compresses or decompresses can run where sleeping is
 * not allowed, such as the page cache's ->get at a read miss.  Nothing
 * called with a context held may sleep.  This differs from zswap, whose
 * per-CPU compression context (6.12: acomp_ctx) is taken with a mutex
 * and may sleep, since zswap is only called where sleeping is allowed.
 * The cost is a non-preemptible section as long as one compression: a
 * few microseconds with lz4, but much longer with zstd at high levels
 * (the admin guide warns about zstd_level).
 */
#include "compress.h"

static int zmm_lz4_init(struct zmm_cpu_ctx *c, const struct zmm_params *p)
{
	c->wrkmem = kvmalloc(LZ4_MEM_COMPRESS, GFP_KERNEL);
	return c->wrkmem ? 0 : -ENOMEM;
}

static void zmm_lz4_fini(struct zmm_cpu_ctx *c)
{
	kvfree(c->wrkmem);
	c->wrkmem = NULL;
}

static int zmm_lz4_compress(struct zmm_cpu_ctx *c, const struct zmm_params *p,
			    const void *src, void *dst, unsigned int cap)
{
	return LZ4_compress_fast(src, dst, PAGE_SIZE, cap, 1, c->wrkmem);
}

static int zmm_lz4_decompress(struct zmm_cpu_ctx *c, const void *src,
			      unsigned int len, void *dst)
{
	int ret = LZ4_decompress_safe(src, dst, len, PAGE_SIZE);

	return ret == PAGE_SIZE ? 0 : -EIO;
}

static int zmm_zstd_init(struct zmm_cpu_ctx *c, const struct zmm_params *p)
{
	zstd_parameters zp = zstd_get_params(p->zstd_level, PAGE_SIZE);
	size_t csize = zstd_cctx_workspace_bound(&zp.cParams);
	size_t dsize = zstd_dctx_workspace_bound();

	c->cws = kvmalloc(csize, GFP_KERNEL);
	c->dws = kvmalloc(dsize, GFP_KERNEL);
	if (!c->cws || !c->dws)
		return -ENOMEM;
	c->cctx = zstd_init_cctx(c->cws, csize);
	c->dctx = zstd_init_dctx(c->dws, dsize);
	if (!c->cctx || !c->dctx)
		return -EINVAL;
	return 0;
}

static void zmm_zstd_fini(struct zmm_cpu_ctx *c)
{
	kvfree(c->cws);
	kvfree(c->dws);
	c->cws = NULL;
	c->dws = NULL;
	c->cctx = NULL;
	c->dctx = NULL;
}

static int zmm_zstd_compress(struct zmm_cpu_ctx *c, const struct zmm_params *p,
			     const void *src, void *dst, unsigned int cap)
{
	zstd_parameters zp = zstd_get_params(p->zstd_level, PAGE_SIZE);
	size_t ret;

	ret = zstd_compress_cctx(c->cctx, dst, cap, src, PAGE_SIZE, &zp);
	return zstd_is_error(ret) ? -EIO : ret;
}

static int zmm_zstd_decompress(struct zmm_cpu_ctx *c, const void *src,
			       unsigned int len, void *dst)
{
	size_t ret = zstd_decompress_dctx(c->dctx, dst, PAGE_SIZE, src, len);

	return !zstd_is_error(ret) && ret == PAGE_SIZE ? 0 : -EIO;
}

static const struct zmm_compressor zmm_compressors[ZMM_NR_COMPS] = {
	[ZMM_COMP_LZ4] = {
		.name = "lz4",
		.init = zmm_lz4_init,
		.fini = zmm_lz4_fini,
		.compress = zmm_lz4_compress,
		.decompress = zmm_lz4_decompress,
	},
	[ZMM_COMP_ZSTD] = {
		.name = "zstd",
		.init = zmm_zstd_init,
		.fini = zmm_zstd_fini,
		.compress = zmm_zstd_compress,
		.decompress = zmm_zstd_decompress,
	},
};

const struct zmm_compressor *zmm_compressor(enum zmm_comp comp)
{
	if ((unsigned int)comp >= ZMM_NR_COMPS)
		return NULL;
	return &zmm_compressors[comp];
}

const char *zmm_comp_name(enum zmm_comp comp)
{
	const struct zmm_compressor *c = zmm_compressor(comp);

	return c ? c->name : "?";
}

void zmm_ctx_destroy(struct zmm_pool *pool)
{
	struct zmm_cpu_ctx *c;
	int cpu;

	if (!pool->ctx)
		return;
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(pool->ctx, cpu);
		pool->comp->fini(c);
		if (pool->recomp)
			pool->recomp->fini(c);
		kfree(c->buf);
	}
	free_percpu(pool->ctx);
	pool->ctx = NULL;
}

int zmm_ctx_init(struct zmm_pool *pool)
{
	struct zmm_cpu_ctx *c;
	int cpu, ret;

	pool->ctx = alloc_percpu(struct zmm_cpu_ctx);
	if (!pool->ctx)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(pool->ctx, cpu);
		local_lock_init(&c->lock);
		c->buf = kmalloc(ZMM_CTX_BUF_SIZE, GFP_KERNEL);
		if (!c->buf) {
			ret = -ENOMEM;
			goto destroy_ctx;
		}
		ret = pool->comp->init(c, &pool->params);
		if (!ret && pool->recomp)
			ret = pool->recomp->init(c, &pool->params);
		if (ret)
			goto destroy_ctx;
	}
	return 0;

destroy_ctx:
	zmm_ctx_destroy(pool);
	return ret;
}

/**
 * zmm_decompress - decompress a zpage's data with the compressor it names.
 * @c: this CPU's context, held.
 * @comp: the zpage's compressor (struct zmm_entry @comp, read with @len
 *	under the arena lock: a recompression changes both).
 * @src: the compressed data.
 * @len: its length.
 * @dst: PAGE_SIZE bytes.
 *
 * Return: 0, or -EIO (bad data, or a compressor the pool does not have).
 */
int zmm_decompress(struct zmm_cpu_ctx *c, unsigned int comp, const void *src,
		   unsigned int len, void *dst)
{
	const struct zmm_compressor *cc = zmm_compressor(comp);

	if (WARN_ON_ONCE(!cc))
		return -EIO;
	return cc->decompress(c, src, len, dst);
}

struct zmm_cpu_ctx *zmm_ctx_get(struct zmm_pool *pool)
{
	local_lock(&pool->ctx->lock);
	return this_cpu_ptr(pool->ctx);
}

void zmm_ctx_put(struct zmm_pool *pool)
{
	local_unlock(&pool->ctx->lock);
}

/* Is @src one word repeated?  Then *@value is that word. */
bool zmm_same_filled(const void *src, unsigned long *value)
{
	const unsigned long *w = src;
	unsigned int i, n = PAGE_SIZE / sizeof(*w);

	if (w[0] != w[n - 1])
		return false;
	for (i = 1; i < n - 1; i++) {
		if (w[i] != w[0])
			return false;
	}
	*value = w[0];
	return true;
}

/* Fill a page with a same-filled zpage's word. */
void zmm_fill(void *dst, unsigned long value)
{
	unsigned long *w = dst;
	unsigned int i;

	if (!value) {
		memset(dst, 0, PAGE_SIZE);
		return;
	}
	for (i = 0; i < PAGE_SIZE / sizeof(*w); i++)
		w[i] = value;
}
