// SPDX-License-Identifier: GPL-2.0
/*
 * zmm-corpus, the corpus tool: its options and main().  It writes a corpus
 * of real and synthetic 4 KiB memory pages for the zmm compression
 * benchmarks, or describes one.
 *
 *   zmm-corpus -o FILE [-n PAGES_PER_SYNTH_CLASS] [-m MAX_ANON_MIB] [-s SEED]
 *   zmm-corpus --synthetic -o FILE [-n N] [-s SEED]
 *   zmm-corpus --info FILE
 *
 * The pieces are in their own files: the file format in corpus.c, the
 * synthetic classes (zero, same-filled, text, random) in synthetic.c, the
 * processes whose anonymous memory makes the real classes (a cc1 compiling
 * a generated C file, a python3 holding a few tens of MiB of objects) in
 * workload.c, and the capture of that memory through
 * /proc/PID/{maps,pagemap,mem}, while the process is stopped, in capture.c.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "synthetic.h"
#include "util.h"
#include "workload.h"

#define PAGE_SZ			ZMM_CORPUS_PAGE_SIZE
#define DEF_SYNTH_PAGES		1024u
#define DEF_ANON_MIB		64u
#define MAX_ANON_MIB		4096u

/* ---- --info ---- */

static int show_info(const char *path)
{
	struct zmm_corpus c;
	unsigned int k;
	int ret = zmm_corpus_open(path, &c);

	if (ret)
		return ret;
	printf("%s: %u pages, %u classes, %.1f MiB of pages\n", path,
	       c.nr_pages, c.nr_classes_present,
	       c.nr_pages * (PAGE_SZ / 1024.0) / 1024.0);
	printf("  %-8s %10s %9s\n", "class", "pages", "MiB");
	for (k = 0; k < ZMM_CORPUS_NR_CLASSES; k++)
		printf("  %-8s %10u %9.1f\n", zmm_corpus_class_name(k),
		       c.class_pages[k],
		       c.class_pages[k] * (PAGE_SZ / 1024.0) / 1024.0);
	printf("  %-8s %10u %9.1f\n", "total", c.nr_pages,
	       c.nr_pages * (PAGE_SZ / 1024.0) / 1024.0);
	zmm_corpus_close(&c);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: zmm-corpus -o FILE [-n PAGES] [-m MAX_ANON_MIB] [-s SEED]\n"
		"       zmm-corpus --synthetic -o FILE [-n PAGES] [-s SEED]\n"
		"       zmm-corpus --info FILE\n"
		"  -n  pages per synthetic class (default %u)\n"
		"  -m  cap on captured anonymous memory per process, MiB "
		"(default %u)\n"
		"  -s  seed (default 1)\n",
		DEF_SYNTH_PAGES, DEF_ANON_MIB);
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *e;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &e, 0);
	if (errno || e == s || *e || *s == '-' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "synthetic", no_argument, NULL, 'S' },
		{ "info", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long n = DEF_SYNTH_PAGES, mib = DEF_ANON_MIB, seed = 1;
	const char *out = NULL, *info = NULL;
	int synthetic = 0, opt, ret, ret_cc, ret_py, sig;
	double t0 = now_sec();
	struct zmm_corpus_writer w;

	while ((opt = getopt_long(argc, argv, "o:n:m:s:h", lopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'n':
			if (parse_ulong(optarg, 1, CORPUS_MAX_SYNTH_PAGES,
					&n)) {
				pr_warn("-n: expected 1..%u",
					CORPUS_MAX_SYNTH_PAGES);
				return 2;
			}
			break;
		case 'm':
			if (parse_ulong(optarg, 1, MAX_ANON_MIB, &mib)) {
				pr_warn("-m: expected 1..%u", MAX_ANON_MIB);
				return 2;
			}
			break;
		case 's':
			if (parse_ulong(optarg, 0, ULONG_MAX, &seed)) {
				pr_warn("-s: expected an unsigned integer");
				return 2;
			}
			break;
		case 'S':
			synthetic = 1;
			break;
		case 'I':
			info = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (info && (out || synthetic)) ||
	    (!info && !out)) {
		usage(stderr);
		return 2;
	}
	if (info)
		return show_info(info) ? 1 : 0;

	ret = zmm_corpus_writer_init(&w);
	if (ret)
		return 1;
	ret = corpus_add_synthetic(&w, (unsigned int)n, seed, 1);
	if (ret) {
		pr_warn("synthetic pages: %s", strerror(-ret));
		goto fail;
	}
	if (!synthetic) {
		workload_catch_signals();
		ret_cc = workload_cc(&w, (unsigned int)mib, seed);
		if (ret_cc && !workload_signal())
			pr_warn("anon-cc: capture failed (%s), continuing",
				strerror(-ret_cc));
		ret_py = workload_signal() ? -EINTR :
			 workload_py(&w, (unsigned int)mib, seed);
		if (ret_py && !workload_signal())
			pr_warn("anon-py: capture failed (%s), continuing",
				strerror(-ret_py));
		sig = workload_release_signals();
		if (sig) {
			/* children are reaped and temp files gone: die */
			zmm_corpus_writer_free(&w);
			raise(sig);
			return 1;
		}
		if (!w.count[ZMM_CORPUS_ANON_CC] &&
		    !w.count[ZMM_CORPUS_ANON_PY]) {
			pr_warn("no anonymous memory captured, not writing %s",
				out);
			goto fail;
		}
	}
	ret = zmm_corpus_writer_finish(&w, out);
	if (ret)
		goto fail;
	zmm_corpus_writer_free(&w);
	fprintf(stderr, "zmm-corpus: wrote %s in %.1fs\n", out,
		now_sec() - t0);
	return show_info(out) ? 1 : 0;
fail:
	zmm_corpus_writer_free(&w);
	return 1;
}
