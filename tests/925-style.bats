#!/usr/bin/env bats
# The code conventions of docs/style.md that a program can check
# (tests/lib/style-check.py), on the repository and on small trees made to
# break each rule; and every header under src/ compiles on its own.

load lib/common

CHECK="python3 $ROOT/tests/lib/style-check.py"

setup() {
	skip_on_sanitizer_build "the sources are the same"
}

# A tree that keeps every rule: src/common/a.{c,h}, src/bimg-scan/b.{c,h}.
good_tree() {
	local t=$BATS_TEST_TMPDIR/tree
	mkdir -p "$t/src/common" "$t/src/bimg-scan" "$t/tests"
	printf '#ifndef BIMG_COMMON_A_H\n#define BIMG_COMMON_A_H\nint a(void);\n#endif\n' >"$t/src/common/a.h"
	printf '#include "a.h"\n#include "msg.h"\n\nint a(void)\n{\n\treturn 0;\n}\n' >"$t/src/common/a.c"
	printf '#ifndef BIMG_SCAN_B_H\n#define BIMG_SCAN_B_H\nint b(int x);\n#endif\n' >"$t/src/bimg-scan/b.h"
	{
		printf '#include "b.h"\n\nint b(int x)\n{\n'
		for ((i = 0; i < 76; i++)); do printf '\tx++;\n'; done
		printf '\treturn x;\n}\n'
	} >"$t/src/bimg-scan/b.c" # 80 lines from signature to brace: the most allowed
	echo "$t"
}

@test "style: the repository keeps the checked conventions" {
	run $CHECK "$ROOT"
	assert_success
	assert_output "0 breaches"
}

@test "style: a tree that keeps the rules passes, each breach is named" {
	local t
	t=$(good_tree)
	run $CHECK "$t"
	assert_success
	assert_output "0 breaches"

	sed -i 's/BIMG_SCAN_B_H/SCAN_B_H/' "$t/src/bimg-scan/b.h"
	sed -i 's/\treturn x;/\tx++;\n\treturn x;/' "$t/src/bimg-scan/b.c"
	printf '#include "a.h"\n#include "msg.h"\n' >"$t/tests/a.c"  # not its own header: no breach
	cp "$t/src/common/a.h" "$t/src/bimg-scan/a.h"
	printf '#include "msg.h"\n#include "a.h"\n' >"$t/src/bimg-scan/a.c"
	run $CHECK "$t"
	assert_failure 1
	assert_line "src/bimg-scan/b.h: include guard is not BIMG_SCAN_B_H"
	assert_line "src/bimg-scan/b.c:3: function of 81 lines (at most 80): int b(int x)"
	assert_line "src/bimg-scan/a.h: include guard is not BIMG_SCAN_A_H"
	assert_line "src/bimg-scan/a.c: its own header is not its first include"
	assert_line "src/bimg-scan/a.c: includes are not: own header, project headers, system headers (each alphabetical)"
	assert_line "header name a.h used twice: src/bimg-scan/a.h src/common/a.h"
	assert_line --index -1 "6 breaches"
}

@test "style: every header under src/ compiles on its own" {
	local h dir failed=0
	for h in "$ROOT"/src/*/*.h; do
		dir=$(dirname "$h")
		printf '#include "%s"\n' "$(basename "$h")" >"$BATS_TEST_TMPDIR/only.c"
		if ! cc -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Wall -Wextra -Werror -fsyntax-only \
			-I"$dir" -I"$ROOT/src/common" "$BATS_TEST_TMPDIR/only.c" 2>"$BATS_TEST_TMPDIR/err"; then
			echo "${h#"$ROOT"/}: $(head -3 "$BATS_TEST_TMPDIR/err")"
			failed=1
		fi
	done
	[ "$failed" -eq 0 ]
}

@test "style: a file whose includes are out of order is named" {
	local t
	t=$(good_tree)
	printf '#include <stdlib.h>\n#include "b.h"\n' >"$t/src/bimg-scan/c.c"
	printf '#include "b.h"\n#include "a.h"\n' >"$t/src/bimg-scan/d.c"
	run $CHECK "$t"
	assert_failure 1
	assert_line "src/bimg-scan/c.c: includes are not: own header, project headers, system headers (each alphabetical)"
	assert_line "src/bimg-scan/d.c: includes are not: own header, project headers, system headers (each alphabetical)"
	assert_line --index -1 "2 breaches"
}
