# libFuzzer harnesses (tests/fuzz/); included by the Makefile.
#
#   make fuzz-build     build each harness into build/fuzz/fuzz_<name>
#   make fuzz           run each for FUZZ_SECONDS (default 60) on its seeds;
#                       fails if any input crashes (saved in build/fuzz/artifacts/);
#                       make -j2 fuzz runs two at a time (fuzz-run-<name>: one)
#   make fuzz-regress   run every saved input in tests/fuzz/regress/<name>/ once
#   make fuzz-seeds     (re)generate tests/fuzz/seeds/ from the quick test
#                       filesystems at $(CORPUS) (made first if missing) and
#                       the regression inputs
#
# Needs clang with its fuzzer runtime (libclang-rt-dev).  The harnesses
# link the library sources compiled with the same sanitizers; die() returns
# to the harness instead of exiting (msg_set_die_jump).

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES = stream super_chunks tree_block image_index fixchunks fixchunks_multi verify
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) -Wall -Wextra -std=gnu11 \
	-D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE -pthread -Isrc/common -DBIMG_VERSION='"$(VERSION)"'
# The programs' libraries (LDLIBS from the Makefile when included from it).
FUZZ_LIBS = $(or $(LDLIBS),-lz -luuid -lxxhash -lgcrypt -ldeflate -lisal -pthread)
# libFuzzer options for every harness; -close_fd_mask=2 silences die()'s
# messages (crash reports still appear).  FUZZ_OPTS_<name> adds to them.
FUZZ_RUN_OPTS = -close_fd_mask=2 -print_final_stats=1
# Streams with many tree blocks are slow to mutate; a few blocks cover every path.
FUZZ_OPTS_stream = -max_len=262144
FUZZ_OPTS_super_chunks =
FUZZ_OPTS_tree_block =
FUZZ_OPTS_image_index =
# Whole small filesystems (a corpus image's stream is about 0.5 MiB).
FUZZ_OPTS_fixchunks = -max_len=1048576
FUZZ_OPTS_fixchunks_multi = -max_len=1048576
# A few dozen blocks make every pointer graph; longer inputs only slow the mutations.
FUZZ_OPTS_verify = -max_len=200000

# Program sources a harness exercises besides src/common (never a main.c):
# named explicitly, so a renamed file breaks the fuzz build loudly instead
# of silently shrinking what is fuzzed.
FUZZ_SRC_stream =
FUZZ_SRC_super_chunks =
FUZZ_SRC_tree_block = src/bimg-scan/scrub.c $(addprefix src/bimg-sanitize/,block.c readable.c nameless.c leaf.c reserved.c namemap.c collide.c \
	placement.c hashcopies.c rng.c namestore.c generation.c namespill.c spillset.c spillrun.c)
FUZZ_SRC_image_index = $(addprefix src/bimg-unpack/,inflate_item.c items.c sink.c info.c)
# target.c and guard.c are replaced by the harness (targets in memory).
FUZZ_SRC_fixchunks = $(addprefix src/bimg-fixchunks/,restore.c restore_map.c holdback.c block_verify.c layout.c \
	fixup.c multi.c superblock.c newfsid.c)
FUZZ_SRC_fixchunks_multi = $(FUZZ_SRC_fixchunks)
FUZZ_SRC_verify =
# Extra link flags (see the harness for why).
FUZZ_LDFLAGS_fixchunks = -Wl,--wrap=xmalloc,--wrap=xcalloc,--wrap=xrealloc,--wrap=xstrdup,--wrap=free \
	-Wl,--wrap=temp_file_open
FUZZ_LDFLAGS_fixchunks_multi = $(FUZZ_LDFLAGS_fixchunks)
FUZZ_INC = -Isrc/bimg-scan -Isrc/bimg-sanitize -Isrc/bimg-unpack -Isrc/bimg-fixchunks

# (pattern rules would substitute a stem for the %s, hence the variables)
$(foreach h,$(FUZZ_HARNESSES),$(eval FUZZ_OBJ_$(h) = $(patsubst src/%.c,build/fuzz/obj/%.o,$(FUZZ_SRC_$(h)))))
FUZZ_COMMON_OBJ = $(patsubst src/%.c,build/fuzz/obj/%.o,$(wildcard src/common/*.c))
# Objects reached only through the pattern rule would count as intermediate and be deleted.
FUZZ_BINS = $(addprefix build/fuzz/fuzz_,$(FUZZ_HARNESSES))
FUZZ_SEED_STAMP = tests/fuzz/seeds/.made

build/fuzz/obj/%.o: src/%.c $(wildcard src/common/*.h) fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Isrc/$(firstword $(subst /, ,$*)) -c -o $@ $<

.SECONDEXPANSION:
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_COMMON_OBJ) $$(FUZZ_OBJ_$$*) fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_INC) -fsanitize=fuzzer -o $@ $< $(FUZZ_COMMON_OBJ) \
		$(FUZZ_OBJ_$*) $(FUZZ_LDFLAGS_$*) $(FUZZ_LIBS)

# The seed generator is an ordinary program (no fuzzer main).
build/fuzz/seedgen: tests/fuzz/seedgen.c $(FUZZ_COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -o $@ $< $(FUZZ_COMMON_OBJ) $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)

# Seeds come from the quick test filesystems (order-only: a rebuilt fixture
# does not by itself regenerate the seeds).
$(FUZZ_SEED_STAMP): tests/fuzz/make-seeds.sh build/fuzz/seedgen | corpus-quick
	CORPUS="$(CORPUS)" sh tests/fuzz/make-seeds.sh build/fuzz/seedgen

fuzz-seeds: build/fuzz/seedgen corpus-quick
	CORPUS="$(CORPUS)" sh tests/fuzz/make-seeds.sh build/fuzz/seedgen

# One target per harness, niced (the fuzzer shares the machine with builds):
# `make -j2 fuzz` runs two at a time, each for FUZZ_SECONDS on a core of its own.
FUZZ_RUNS = $(addprefix fuzz-run-,$(FUZZ_HARNESSES))

$(FUZZ_RUNS): fuzz-run-%: fuzz-build $(FUZZ_SEED_STAMP)
	@mkdir -p build/fuzz/corpus/$* build/fuzz/artifacts/$* tests/fuzz/seeds/$* tests/fuzz/regress/$*
	@echo "fuzz: $* for $(FUZZ_SECONDS) s"
	@nice -n 19 build/fuzz/fuzz_$* $(FUZZ_RUN_OPTS) $(FUZZ_OPTS_$*) -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=build/fuzz/artifacts/$*/ \
		build/fuzz/corpus/$* tests/fuzz/seeds/$* tests/fuzz/regress/$* 2>build/fuzz/fuzz-$*.log \
		|| { tail -n 60 build/fuzz/fuzz-$*.log >&2; \
		     echo "fuzz: $* found a crash; input in build/fuzz/artifacts/$*/" >&2; exit 1; }
	@grep -h '^stat::number_of_executed_units' build/fuzz/fuzz-$*.log | sed 's/^stat::/fuzz: $*: /'

fuzz: $(FUZZ_RUNS)

# Every saved input once (no mutation): fast, for CI.
define fuzz_regress_one
	@set -e; set -- tests/fuzz/regress/$(1)/*; \
	if [ -e "$$1" ]; then \
		echo "fuzz-regress: $(1): $$# inputs"; \
		build/fuzz/fuzz_$(1) $(FUZZ_RUN_OPTS) $(FUZZ_OPTS_$(1)) "$$@" 2>build/fuzz/regress-$(1).log \
			|| { cat build/fuzz/regress-$(1).log >&2; exit 1; }; \
	fi

endef

fuzz-regress: fuzz-build
	$(foreach h,$(FUZZ_HARNESSES),$(call fuzz_regress_one,$(h)))

fuzz-clean:
	rm -rf build/fuzz tests/fuzz/seeds

.PHONY: fuzz $(FUZZ_RUNS) fuzz-build fuzz-regress fuzz-seeds fuzz-clean
