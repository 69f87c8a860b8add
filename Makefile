# bimg: btrfs-image as a pipeline of small programs.
#
#   make            build every program into bin/
#   make check      install what the tests need (as root), build, make the
#                   test filesystems (tests/fixtures/mkfixtures: the full
#                   set, which holds the quick one; cached), run the bats suite
#   make corpus     just make the test filesystems (corpus-quick: the quick set)
#   make demo       dump and restore a generated sample filesystem
#   make install    PREFIX=/usr/local DESTDIR=
#   make sanitize   build with AddressSanitizer + UBSan into bin/
#   make fuzz       build and run the libFuzzer harnesses (FUZZ_SECONDS=N)

CC ?= cc
CFLAGS ?= -O2 -g
# What the code needs, kept apart from CFLAGS so that `make CFLAGS=...` (as
# `make sanitize` does) cannot drop it.
BIMG_CFLAGS = -Wall -Wextra -std=gnu11 -D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE -pthread
CPPFLAGS += -Isrc/common
LDFLAGS ?=
LDLIBS += -lz -luuid -lxxhash -lgcrypt -pthread -ldeflate -lisal
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
# Test filesystems: built into $(FIXTURES)/images, read by the tests from
# the set directories.
FIXTURES ?= $(CURDIR)/.cache/fixtures
CORPUS ?= $(FIXTURES)/quick
FULL_CORPUS ?= $(FIXTURES)/full
MKFIXTURES = tests/fixtures/mkfixtures
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

PROGRAMS = bimg-scan bimg-sanitize bimg-pack bimg-unpack bimg-fixchunks
BINS = $(addprefix bin/,$(PROGRAMS))

COMMON_SRC = $(wildcard src/common/*.c)
COMMON_OBJ = $(patsubst src/%.c,build/%.o,$(COMMON_SRC))

# objects_of(PROGRAM): build/PROGRAM/x.o for every src/PROGRAM/x.c
objects_of = $(patsubst src/%.c,build/%.o,$(wildcard src/$(1)/*.c))

all: $(BINS) bin/btrfs-image.sh

# The libraries' headers, each with the Debian package that has it: on a
# fresh machine `make` says which package is missing (and that `make deps`
# installs them all) instead of failing on the first #include.
LIBRARY_HEADERS = zlib.h:zlib1g-dev uuid/uuid.h:uuid-dev xxhash.h:libxxhash-dev \
	gcrypt.h:libgcrypt20-dev libdeflate.h:libdeflate-dev isa-l/crc.h:libisal-dev

build/.library-headers: Makefile
	@for pair in $(LIBRARY_HEADERS); do \
		printf '#include <%s>\n' "$${pair%%:*}" | $(CC) $(CPPFLAGS) -E -x c - >/dev/null 2>&1 || \
		{ echo "make: $${pair%%:*} is missing: install $${pair#*:} (or, as root: make deps)" >&2; exit 1; }; \
	done
	@mkdir -p build
	@touch $@

# Every object: its source compiled with src/common and its own directory
# on the include path.  -MMD writes build/.../x.d, the headers it included,
# so that changing a header rebuilds exactly the objects that use it.
build/%.o: src/%.c Makefile | build/.library-headers
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DBIMG_VERSION='"$(VERSION)"' $(BIMG_CFLAGS) $(CFLAGS) -I$(dir $<) -MMD -MP -c -o $@ $<

-include $(wildcard build/*/*.d)

# What two programs or more share: one static library.
build/libbimg.a: $(COMMON_OBJ)
	@mkdir -p build
	rm -f $@
	$(AR) rcs $@ $^

# Each program: its own objects, then the library.
bin/bimg-scan:      $(call objects_of,bimg-scan) build/libbimg.a
bin/bimg-sanitize:  $(call objects_of,bimg-sanitize) build/libbimg.a
bin/bimg-pack:      $(call objects_of,bimg-pack) build/libbimg.a
bin/bimg-unpack:    $(call objects_of,bimg-unpack) build/libbimg.a
bin/bimg-fixchunks: $(call objects_of,bimg-fixchunks) build/libbimg.a
$(BINS):
	@mkdir -p bin
	$(CC) $(BIMG_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bin/btrfs-image.sh: btrfs-image.sh
	@mkdir -p bin
	cp $< $@
	chmod +x $@

check: deps all corpus
	@CORPUS=$(CORPUS) FULL_CORPUS=$(FULL_CORPUS) bash tests/lib/run-bats.sh tests/

deps:
	@sh tests/lib/install-deps.sh

corpus:
	$(MKFIXTURES) --full $(FIXTURES)

corpus-quick:
	$(MKFIXTURES) --quick $(FIXTURES)

demo: deps all
	@bash tests/lib/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BINS) bin/btrfs-image.sh $(DESTDIR)$(BINDIR)/
	install -m 644 $(wildcard docs/man/*.1) $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(PROGRAMS) btrfs-image.sh)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard docs/man/*.1)))

sanitize:
	$(MAKE) clean
	$(MAKE) CC=clang CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" LDFLAGS="-fsanitize=address,undefined"

clean:
	rm -rf build bin

.PHONY: all check deps corpus corpus-quick demo install uninstall sanitize clean

include fuzz.mk
