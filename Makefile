# kpin — see README.md. `make deps` installs what building and testing need.
PACKAGE_VERSION := 0.1.0
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
DESTDIR ?=

PKGS := libguestfs json-c libxml-2.0 zlib liblzma libzstd inih
CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Werror -Wno-missing-field-initializers
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
# what the pure core links against (kernel modules, Packer manifests, profiles)
CORE_LIBS = $(shell pkg-config --libs zlib liblzma libzstd json-c inih)
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -DPACKAGE_VERSION='"$(PACKAGE_VERSION)"' -Isrc \
	$(WARNINGS) $(PKG_CFLAGS) $(CFLAGS)

# core + shared are pure: the unit tests link them without libguestfs.
CORE_SRC := $(wildcard src/core/*.c) $(wildcard src/shared/*.c)
TOOL_SRC := $(CORE_SRC) $(wildcard src/host/*.c) $(wildcard src/guest/*.c) $(wildcard src/vm/*.c) \
	$(wildcard src/cluster/*.c) $(wildcard src/repair/*.c) $(wildcard src/report/*.c) $(wildcard src/*.c)
HEADERS := $(wildcard src/*.h src/*/*.h)
UNIT_SRC := $(wildcard tests/unit/test-*.c)
UNIT_NAMES := $(UNIT_SRC:tests/unit/%.c=%)

B := build
.PHONY: all check check-all check-unit check-integration check-fuzz demo install clean deps deb

all: $(B)/kpin

# Every source is compiled once per flavour (plain: the tool and valgrind's
# unit tests; asan: ASan/UBSan; fuzz: clang's libFuzzer instrumentation);
# the tool, the unit tests and the fuzz targets link those objects.
OBJ_PLAIN = $(1:%.c=$(B)/obj-plain/%.o)
OBJ_ASAN = $(1:%.c=$(B)/obj-asan/%.o)
OBJ_FUZZ = $(1:%.c=$(B)/obj-fuzz/%.o)
FUZZ_CC ?= clang-14
FUZZ_FLAGS := -std=gnu11 -D_GNU_SOURCE -Isrc $(WARNINGS) -g -O1 -fno-sanitize-recover=undefined

$(B)/obj-plain/%.o: %.c $(HEADERS) Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/obj-asan/%.o: %.c $(HEADERS) Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O1 $(SANITIZE) -c -o $@ $<

$(B)/obj-fuzz/%.o: %.c $(HEADERS) Makefile
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(PKG_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

$(B)/kpin: $(call OBJ_PLAIN,$(TOOL_SRC))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -Wl,--as-needed $(PKG_LIBS) $(LDFLAGS)

$(B)/asan/kpin: $(call OBJ_ASAN,$(TOOL_SRC))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $(SANITIZE) -o $@ $^ -Wl,--as-needed $(PKG_LIBS) $(LDFLAGS)

# Unit tests: one binary per test file, built with ASan/UBSan and plain (for valgrind).
# The pure core's tests link core + shared; those of the host side and the
# renderers (test-host-*, test-report-*) link the tool's objects but main
# and the verbs' front-ends, and its libraries.
UNIT_TOOL_SRC := $(filter-out src/main.c src/verbs.c src/cmd-%.c,$(TOOL_SRC))
unit_src = $(if $(filter test-host-% test-report-%,$(1)),$(UNIT_TOOL_SRC),$(CORE_SRC))
unit_libs = $(if $(filter test-host-% test-report-%,$(1)),$(PKG_LIBS),$(CORE_LIBS))
.SECONDEXPANSION:
$(B)/asan/unit/%: tests/unit/%.c tests/unit/unit.h $$(call OBJ_ASAN,$$(call unit_src,$$*))
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O1 $(SANITIZE) -Itests/unit -o $@ $< $(call OBJ_ASAN,$(call unit_src,$*)) \
		$(call unit_libs,$*) $(shell pkg-config --libs cmocka)

$(B)/plain/unit/%: tests/unit/%.c tests/unit/unit.h $$(call OBJ_PLAIN,$$(call unit_src,$$*))
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(call OBJ_PLAIN,$(call unit_src,$*)) $(call unit_libs,$*) \
		$(shell pkg-config --libs cmocka)

# Fuzz targets (libFuzzer, clang): the pure parsers on untrusted bytes.
FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BIN := $(FUZZ_NAMES:%=$(B)/fuzz/%)
$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(call OBJ_FUZZ,$(CORE_SRC))
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Itests/fuzz $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< \
		$(call OBJ_FUZZ,$(CORE_SRC)) $(CORE_LIBS)

# objects stay when only the binaries that link them are asked for
.SECONDARY: $(call OBJ_PLAIN,$(TOOL_SRC)) $(call OBJ_ASAN,$(TOOL_SRC)) $(call OBJ_FUZZ,$(CORE_SRC))

UNIT_ASAN := $(UNIT_NAMES:%=$(B)/asan/unit/%)
UNIT_PLAIN := $(UNIT_NAMES:%=$(B)/plain/unit/%)

# `make check` works on a fresh Debian 12 machine: it installs what it needs first.
# On a fresh machine the fixtures are built meanwhile; the scripts that
# need one wait on its lock. With a warm cache this only prints their
# paths, and the compilers get every core.
check: deps
	@{ for f in trixie canary-deb bookworm pkgdir-6.1 virt-firmware site-kernel-6.1 cluster-controller cluster-compute trixie-6.1-older; do \
		tests/fixtures/fixture $$f || exit 1; done 2>&1 | sed -u 's/^/fixtures: /'; } & \
	$(MAKE) -j$$(nproc) check-all; rc=$$?; wait; exit $$rc

check-all: $(B)/kpin $(B)/asan/kpin $(UNIT_ASAN) $(UNIT_PLAIN) $(FUZZ_BIN)
	tests/run all

# The main job on the built-in demo image: the trixie fixture (laid out like
# Debian's cloud image, kernel 6.12, canary DKMS module failing), built on
# first use and cached: inspect it, fetch Debian 12's 6.1 cloud kernel for it
# (once), then `kpin repair` it with the demo profile into a copy: pin 6.1
# from that directory offline, build and verify the canary for it, check
# GRUB, boot-test it under QEMU, commit, report.
DEMO_OUT := $(B)/demo-hpc-compute.qcow2
DEMO_KERNEL := $(B)/demo-kernel-6.1
demo: deps
	$(MAKE) all
	$(B)/kpin inspect "$$(tests/fixtures/fixture trixie)"
	test -e $(DEMO_KERNEL)/MANIFEST || $(B)/kpin fetch "$$(tests/fixtures/fixture trixie)" --kernel 6.1 \
		--from bookworm --from bookworm-security $(if $(KPIN_MIRROR),--mirror $(KPIN_MIRROR)) -d $(DEMO_KERNEL)
	$(B)/kpin repair "$$(tests/fixtures/fixture trixie)" --profile images/demo.conf \
		--packages $(DEMO_KERNEL) -o $(DEMO_OUT) \
		--report $(B)/demo-report.json --junit $(B)/demo-junit.xml
	@echo "report: $(B)/demo-report.json (JSON), $(B)/demo-junit.xml (JUnit); image: $(DEMO_OUT)"

check-unit: $(UNIT_ASAN) $(UNIT_PLAIN)
	tests/run unit

check-integration: $(B)/kpin $(B)/asan/kpin
	tests/run integration

# Each fuzz target for FUZZ_RUNS inputs (default 20000, seed FUZZ_SEED) from its corpus.
check-fuzz: $(FUZZ_BIN)
	tests/run fuzz

# The binary, the nightly job, the man page, bash completion and the example profiles.
install: $(B)/kpin
	install -D -m 0755 $(B)/kpin $(DESTDIR)$(BINDIR)/kpin
	install -D -m 0755 contrib/kpin-nightly $(DESTDIR)$(BINDIR)/kpin-nightly
	install -D -m 0644 man/kpin.1 $(DESTDIR)$(MANDIR)/man1/kpin.1
	install -D -m 0644 completion/kpin.bash $(DESTDIR)$(BASHCOMPDIR)/kpin
	install -d $(DESTDIR)$(DATADIR)/kpin/images
	install -m 0644 images/*.conf $(DESTDIR)$(DATADIR)/kpin/images/

# The Debian package, built from a copy of the tracked tree (dpkg-buildpackage
# writes beside the source): build/deb/kpin_$(PACKAGE_VERSION)_amd64.deb.
deb:
	rm -rf $(B)/deb && mkdir -p $(B)/deb/kpin-$(PACKAGE_VERSION)
	git ls-files -z | xargs -0 tar -cf - | tar -xf - -C $(B)/deb/kpin-$(PACKAGE_VERSION)
	cd $(B)/deb/kpin-$(PACKAGE_VERSION) && dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
		{ tail -n 30 ../build.log; exit 1; }
	@ls $(B)/deb/*.deb

clean:
	rm -rf $(B)

# Debian packages for building, testing and running (no-op when present).
DEPS := build-essential pkg-config libguestfs-dev libguestfs-tools linux-image-amd64 \
	libjson-c-dev libxml2-dev zlib1g-dev liblzma-dev libzstd-dev libinih-dev libcmocka-dev \
	qemu-system-x86 qemu-utils ovmf debootstrap valgrind dpkg-dev jq libxml2-utils \
	packer debhelper clang-14 libfuzzer-14-dev apt-utils dosfstools mtools gnupg acl \
	slurmctld slurmd slurm-client munge python3-importlib-resources fdisk e2fsprogs \
	bison flex libelf-dev bc libssl-dev rsync cpio kmod fakeroot vde-switch
deps:
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends $$missing; \
	fi
