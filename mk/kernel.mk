# mk/kernel.mk - test kernel and QEMU harness targets.
# Included from the top-level Makefile; make runs in the repository top and
# every path below is relative to it.  See Documentation/dev/vm-harness.rst.
#
#   make kernel          build (or reuse from the cache) the test kernel
#   make kernel-debug    same, with kernel/config/debug.config (KASAN, lockdep)
#   make initramfs       busybox + stress-ng initramfs -> $(ZMM_INITRAMFS)
#   make vm-smoke        kernel + initramfs, then smoke and smoke-zswap tests
#   make vm-smoke-debug  the same on the debug kernel (slow)
#   make vm-shell        interactive shell in the VM (Ctrl-A X quits)
#   make vm-test         every VM scenario (scripts/vm-suite.sh), "N passed, M failed"
#   make vm-test-debug   KUnit + anon/file pressure on the debug kernel
#   make demo            zmm under memory pressure, live, next to zswap
#
# $(KDIR) / $(BZIMAGE) (and *_DEBUG) name the cached build; they are computed
# on first use without building, e.g.  $(MAKE) -C $(KDIR) M=$(CURDIR)/mod
# (scripts/lib/kernel.sh --cache --no-build, the one lookup of the kernel;
# --cache: make's own override is "make KDIR=...", not the environment).

ZMM_KERNEL_BUILD     ?= scripts/kernel-build.sh
ZMM_KERNEL_LOOKUP    ?= scripts/lib/kernel.sh
ZMM_INITRAMFS_SH     ?= scripts/initramfs.sh
ZMM_VM_RUN           ?= scripts/vm-run.sh
ZMM_VM_DIR           ?= build/vm
ZMM_INITRAMFS        ?= $(ZMM_VM_DIR)/initramfs.cpio.gz
ZMM_VM_SWAP          ?= 1G
ZMM_VM_TIMEOUT       ?= 600
ZMM_VM_DEBUG_TIMEOUT ?= 2400
ZMM_VM_ARGS          ?=

zmm_kernel_var = $(patsubst $(1)=%,%,$(filter $(1)=%,$(shell $(ZMM_KERNEL_LOOKUP) --cache --no-build $(2) 2>/dev/null)))
# Deferred, evaluated at most once.
KDIR          = $(eval KDIR := $(call zmm_kernel_var,KDIR,))$(KDIR)
BZIMAGE       = $(eval BZIMAGE := $(call zmm_kernel_var,BZIMAGE,))$(BZIMAGE)
KDIR_DEBUG    = $(eval KDIR_DEBUG := $(call zmm_kernel_var,KDIR,--debug))$(KDIR_DEBUG)
BZIMAGE_DEBUG = $(eval BZIMAGE_DEBUG := $(call zmm_kernel_var,BZIMAGE,--debug))$(BZIMAGE_DEBUG)

zmm_vm = $(ZMM_VM_RUN) --initrd $(ZMM_INITRAMFS) --swap $(ZMM_VM_SWAP) $(ZMM_VM_ARGS)

.PHONY: kernel kernel-debug kernel-env initramfs vm-smoke vm-smoke-debug vm-shell \
	vm-test vm-test-debug demo

kernel:
	$(ZMM_KERNEL_BUILD)

kernel-debug:
	$(ZMM_KERNEL_BUILD) --debug

kernel-env:
	@echo "KDIR=$(KDIR)"
	@echo "BZIMAGE=$(BZIMAGE)"
	@echo "KDIR_DEBUG=$(KDIR_DEBUG)"
	@echo "BZIMAGE_DEBUG=$(BZIMAGE_DEBUG)"

initramfs:
	$(ZMM_INITRAMFS_SH) $(ZMM_INITRAMFS)

# Sequential on purpose (no prerequisites): the scripts may apt-get install,
# and two concurrent apt-get runs would fight over the dpkg lock under -j.
vm-smoke:
	$(ZMM_KERNEL_BUILD)
	$(ZMM_INITRAMFS_SH) $(ZMM_INITRAMFS)
	$(zmm_vm) --timeout $(ZMM_VM_TIMEOUT) --test smoke --log $(ZMM_VM_DIR)/smoke.log
	$(zmm_vm) --timeout $(ZMM_VM_TIMEOUT) --test smoke-zswap --log $(ZMM_VM_DIR)/smoke-zswap.log

vm-smoke-debug:
	$(ZMM_KERNEL_BUILD) --debug
	$(ZMM_INITRAMFS_SH) $(ZMM_INITRAMFS)
	$(zmm_vm) --debug --timeout $(ZMM_VM_DEBUG_TIMEOUT) --test smoke --log $(ZMM_VM_DIR)/smoke-debug.log

vm-shell:
	$(ZMM_KERNEL_BUILD)
	$(ZMM_INITRAMFS_SH) $(ZMM_INITRAMFS)
	$(ZMM_VM_RUN) --initrd $(ZMM_INITRAMFS) --swap $(ZMM_VM_SWAP) --data 1G $(ZMM_VM_ARGS)

# The VM scenarios of Documentation/dev/vm-harness.rst ("VM test suite").
# The kernel first, then "make module" in a sub-make, whose $(KDIR) is then
# computed from the entry just built.  ZMM_SUITE_ARGS: e.g. --only zmm-anon.
ZMM_SUITE_ARGS ?=
vm-test:
	$(ZMM_KERNEL_BUILD) >/dev/null
	$(MAKE) --no-print-directory module
	scripts/vm-suite.sh --ko-dir $(CURDIR) $(ZMM_SUITE_ARGS)

# zmm.ko is built for the debug kernel in build/vm/kmod-debug/ by the suite.
vm-test-debug:
	nice -n 5 $(ZMM_KERNEL_BUILD) --debug >/dev/null
	scripts/vm-suite.sh --debug $(ZMM_SUITE_ARGS)

# zmm in the test kernel under memory pressure, then zswap on the same
# workload, and a table of both (scripts/vm-demo.sh).
demo:
	scripts/vm-demo.sh
