# mk/xarray.mk - the kernel's own lib/xarray.c in the userspace build.
# Included from the top-level Makefile (after USER_CFLAGS and OUT are set).
#
#   make xarray-src     extract lib/xarray.c, lib/radix-tree.h and
#                       include/linux/xarray.h from the installed
#                       linux-source-6.12 tarball into $(XA_SRC)
#   make check-xarray   the shim's test, under ASan/UBSan, with threads
#   make bench-index    the key index benchmark (bench/README.md)
#
# The kernel files are taken at build time and never committed (as
# tools/testing/radix-tree builds ../../../lib/xarray.c); the headers they
# include come from user/shim/xarray/, on top of user/shim/zmm_shim.h.
# A userspace file that uses an XArray adds $(XA_CFLAGS) and compiles
# $(XA_SHIM_C) with its own flags.  The core's index keeps file keys in
# XArrays, so every build of the core does (the Makefile's USER_SRC and
# CORE_CFLAGS): test_core, test_core-san, zmm-bench, zmm-demo, index-bench.

XA_TARBALL ?= /usr/src/linux-source-6.12.tar.xz
XA_SRC := $(OUT)/kernel-src
XA_FILES := lib/xarray.c lib/radix-tree.h include/linux/xarray.h
XA_STAMP := $(XA_SRC)/.extracted
XA_SHIM_C := $(TOP)/user/shim/xarray/xarray.c
XA_SHIM_H := $(TOP)/user/shim/xarray/xa_shim.h \
	     $(wildcard $(TOP)/user/shim/xarray/linux/*.h) \
	     $(TOP)/user/shim/xarray/linux/sched/mm.h
XA_CFLAGS := -I$(TOP)/user/shim/xarray -I$(XA_SRC) -I$(XA_SRC)/include
XA_DEPS := $(XA_STAMP) $(XA_SHIM_C) $(XA_SHIM_H) $(TOP)/user/shim/zmm_shim.h

.PHONY: xarray-src check-xarray bench-index

xarray-src: $(XA_STAMP)

# A newer tarball (package upgrade) re-extracts.  xz has to decompress the
# whole archive to find three files: ~15 s, once.
$(XA_STAMP): $(wildcard $(XA_TARBALL))
	@$(TOP)/scripts/deps.sh kernel-src
	@rm -rf $(XA_SRC).tmp && mkdir -p $(XA_SRC).tmp
	tar -xJf $(XA_TARBALL) -C $(XA_SRC).tmp --strip-components=1 \
		$(addprefix linux-source-6.12/,$(XA_FILES))
	@rm -rf $(XA_SRC) && mv $(XA_SRC).tmp $(XA_SRC) && touch $@

$(OUT)/xarray_test-san: $(TOP)/tests/xarray_test.c $(TOP)/user/shim/shim.c \
			$(XA_DEPS) | $(OUT)
	$(CC) $(USER_CFLAGS) $(XA_CFLAGS) $(SAN_CFLAGS) -o $@ \
		$(TOP)/tests/xarray_test.c $(XA_SHIM_C) \
		$(TOP)/user/shim/shim.c $(TOP)/user/pagegen.c $(LIBS)

check-xarray: $(OUT)/xarray_test-san
	$(OUT)/xarray_test-san

# -O2 as the other benchmarks; NDEBUG: plain mutexes for spinlocks
$(OUT)/index-bench: $(TOP)/bench/index_bench.c $(TOP)/user/shim/shim.c \
		    $(XA_DEPS) $(CORE_SRC) | $(OUT)
	$(CC) $(BENCH_CFLAGS) $(XA_CFLAGS) -o $@ $(TOP)/bench/index_bench.c \
		$(XA_SHIM_C) $(TOP)/user/shim/shim.c $(TOP)/user/pagegen.c $(LIBS)

# ZMM_BENCH_ARGS: e.g. "-r 5" for five runs, "-q" for a quick pass
bench-index: deps $(OUT)/index-bench
	$(OUT)/index-bench $(ZMM_BENCH_ARGS)
