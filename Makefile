# SPDX-License-Identifier: GPL-2.0
#
# zmm: every target.  In a kernel build tree (KERNELRELEASE set) this file
# hands over to Kbuild; otherwise it drives the userspace core, tests,
# benchmarks, and the kernel/VM harness.
#
#   make check        every test (installs what it needs), "N passed, M failed"
#   make demo         zmm in the test kernel under memory pressure, next to zswap
#   make demo-user    the userspace demo on a captured corpus
#   make vm-test      the VM scenarios (make vm-test-debug: on the debug kernel)
#   make bench-user   userspace store benchmark against raw lz4/zstd
#   make style        checkpatch --strict on the kernel C
#
ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
OUT ?= $(TOP)/build
CC ?= cc

CORE_SRC := $(wildcard $(TOP)/zmm/*.c) $(wildcard $(TOP)/zmm/*.h) \
	    $(TOP)/include/zmm/zmm.h $(TOP)/user/shim/zmm_shim.h
USER_CFLAGS := -std=gnu11 -g -Wall -Wextra -Wno-unused-parameter \
	       -Wno-sign-compare -Werror -include $(TOP)/user/shim/zmm_shim.h \
	       -I$(TOP)/include -I$(TOP)/user -I$(TOP)/user/shim -pthread
SAN_CFLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	      -fno-sanitize-recover=all
LIBS := -llz4 -lzstd -pthread

# the kernel's lib/xarray.c in userspace (XA_CFLAGS, XA_SHIM_C, XA_DEPS):
# the core's index keeps file keys in XArrays, so every core user needs it
include $(TOP)/mk/xarray.mk

# user/: the userspace build of the core, shared by tests/ and bench/
USER_SRC := $(addprefix $(TOP)/user/,user_env.c pagegen.c shim/shim.c) \
	    $(XA_SHIM_C)
USER_DEPS := $(USER_SRC) $(CORE_SRC) $(XA_DEPS) \
	     $(addprefix $(TOP)/user/,zmm_core.c user_env.h pagegen.h)
CORE_CFLAGS := $(USER_CFLAGS) $(XA_CFLAGS)
TEST_SRC := $(TOP)/tests/test_core.c $(USER_SRC)

.PHONY: all deps check check-all check-user demo demo-user bench-user style clean

all: $(OUT)/test_core-san $(OUT)/test_core $(OUT)/zmm-bench $(OUT)/zmm-corpus \
     $(OUT)/zmm-demo $(OUT)/corpus_selftest $(OUT)/xarray_test-san

# one after the other: two apt-get runs would wait on each other's lock
deps:
	@$(TOP)/scripts/deps.sh user
	@$(TOP)/scripts/deps.sh kernel-src

$(OUT):
	@mkdir -p $@

$(OUT)/test_core-san: $(TOP)/tests/test_core.c $(USER_DEPS) | $(OUT)
	$(CC) $(CORE_CFLAGS) $(SAN_CFLAGS) -o $@ $(TEST_SRC) $(LIBS)

$(OUT)/test_core: $(TOP)/tests/test_core.c $(USER_DEPS) | $(OUT)
	$(CC) $(CORE_CFLAGS) -O1 -o $@ $(TEST_SRC) $(LIBS)

BENCH_CFLAGS := $(filter-out -Werror,$(USER_CFLAGS)) -Werror -O2 -DNDEBUG
CORPUS := $(OUT)/corpus.zc

# the two tools on the core: zmm-bench and zmm-demo
BENCH_SRC := $(TOP)/bench/corpus.c $(USER_SRC)

$(OUT)/zmm-bench $(OUT)/zmm-demo: $(OUT)/zmm-%: $(TOP)/bench/zmm_%.c \
		$(BENCH_SRC) $(USER_DEPS) $(TOP)/bench/corpus.h | $(OUT)
	$(CC) $(BENCH_CFLAGS) $(XA_CFLAGS) -o $@ $< $(BENCH_SRC) $(LIBS)

# the corpus tool: the format, synthetic pages, workloads and their capture
CORPUS_SRC := $(addprefix $(TOP)/bench/,corpus.c synthetic.c) \
	      $(TOP)/user/pagegen.c
CORPUS_DEPS := $(CORPUS_SRC) $(addprefix $(TOP)/bench/,corpus.h synthetic.h) \
	       $(TOP)/user/pagegen.h
CORPUS_TOOL := $(addprefix $(TOP)/bench/,zmm_corpus.c capture.c workload.c \
				       util.c)

$(OUT)/zmm-corpus: $(CORPUS_TOOL) $(CORPUS_DEPS) \
		   $(addprefix $(TOP)/bench/,capture.h workload.h util.h) | $(OUT)
	$(CC) -O2 -Wall -Wextra -Werror -I$(TOP)/user -o $@ $(CORPUS_TOOL) \
		$(CORPUS_SRC)

$(OUT)/corpus_selftest: $(TOP)/tests/corpus_selftest.c $(CORPUS_DEPS) | $(OUT)
	$(CC) -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
		-I$(TOP)/user -o $@ $< $(CORPUS_SRC)

# the corpus: real anonymous memory of processes the tool starts itself
$(CORPUS): | $(OUT)/zmm-corpus
	$(OUT)/zmm-corpus -o $@.tmp -m 64 && mv $@.tmp $@

demo-user: deps $(OUT)/zmm-demo $(CORPUS)
	$(OUT)/zmm-demo $(CORPUS)

bench-user: deps $(OUT)/zmm-bench $(CORPUS)
	$(OUT)/zmm-bench $(CORPUS) $(OUT)/bench.json

check-user: deps $(OUT)/corpus_selftest $(OUT)/test_core-san $(OUT)/test_core \
	    $(OUT)/xarray_test-san
	@$(TOP)/scripts/run-tests.sh $(OUT)

# userspace + kernel + module + VM scenarios, one "N passed, M failed" line
# (scripts/check.sh runs every step even after a failure)
check:
	@$(TOP)/scripts/check.sh

# the same plus the debug kernel run (cold: ~20 min more for its build)
check-all:
	@ZMM_CHECK_DEBUG=1 $(TOP)/scripts/check.sh

# ---- kernel side: zmm.ko and the VM scenarios ----
-include $(TOP)/mk/kernel.mk
# the kernel's lib/xarray.c in userspace (check-xarray, bench-index) is
# mk/xarray.mk, included above

.PHONY: module module-clean vm-zmm

# zmm.ko against $(KDIR): by default the cached kernel of
# scripts/kernel-build.sh (make kernel builds it); W=1 is kept clean.
module:
	$(MAKE) -C $(KDIR) M=$(TOP) W=1 modules
	$(MAKE) -C $(KDIR) M=$(TOP)/tests/kunit W=1 modules

module-clean:
	$(MAKE) -C $(KDIR) M=$(TOP) clean
	$(MAKE) -C $(KDIR) M=$(TOP)/tests/kunit clean

vm-zmm: module
	$(TOP)/scripts/vm-run.sh -k $(BZIMAGE) -M $(TOP)/zmm.ko \
		-M $(TOP)/tests/kunit/zmm_kunit.ko \
		-f $(TOP)/tests/vm/zmm-smoke.sh:/tests/zmm-smoke.sh \
		--swap 1G --data 1G -m 384M -t zmm-smoke -T 900

KERNEL_C := $(wildcard $(TOP)/zmm/*.[ch]) $(wildcard $(TOP)/include/zmm/*.h)

style:
	$(TOP)/scripts/checkpatch.sh $(KERNEL_C)
	$(TOP)/scripts/checkpatch.sh --patch $(wildcard $(TOP)/kernel/patches/0[0-9][0-9][1-9]-*.patch)

clean:
	rm -rf $(OUT)

endif
