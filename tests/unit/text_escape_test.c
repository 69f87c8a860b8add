/*
 * text_escape (src/common/msg.c) on the cases a terminal cares about:
 * every control, C1 in both spellings, each kind of invalid UTF-8, valid
 * UTF-8 of every length, and escapes cut at the end of the buffer.
 * Prints one line per failure; exit status 1 if there was any.
 */
#include "msg.h"

#include <stdio.h>
#include <string.h>

static int failures;

static void expect(const char *in, size_t len, size_t dst_size, const char *want)
{
	char out[256];

	text_escape(out, dst_size, in, len);
	if (strcmp(out, want) != 0) {
		printf("escape of %zu bytes into %zu: got \"%s\", want \"%s\"\n", len, dst_size, out, want);
		failures++;
	}
}

#define CASE(in, want) expect(in, sizeof(in) - 1, sizeof(char[256]), want)

int main(void)
{
	CASE("plain text", "plain text");
	CASE("back\\slash", "back\\\\slash");
	CASE("\x1b]0;title\x07", "\\x1b]0;title\\x07");
	CASE("\r\n\t\x7f", "\\x0d\\x0a\\x09\\x7f");
	CASE("a\0b", "a\\x00b");
	CASE("\x9b" "31m", "\\x9b31m");			 /* C1 CSI as a raw byte */
	CASE("\xc2\x9b" "31m", "\\xc2\\x9b31m");	 /* C1 CSI in UTF-8 */
	CASE("\xc2\xa0\xc3\xbc", "\xc2\xa0\xc3\xbc");	 /* U+00A0, ü: printable */
	CASE("\xe2\x98\x83 \xf0\x9f\x98\x80", "\xe2\x98\x83 \xf0\x9f\x98\x80"); /* 3 and 4 bytes */
	CASE("\xc0\xaf", "\\xc0\\xaf");			 /* overlong '/' */
	CASE("\xe0\x80\xaf", "\\xe0\\x80\\xaf");	 /* overlong, 3 bytes */
	CASE("\xed\xa0\x80", "\\xed\\xa0\\x80");	 /* a surrogate */
	CASE("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
	CASE("\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80");
	CASE("\xe2\x98", "\\xe2\\x98");			 /* cut short by the end */
	CASE("\xe2\x98" "A", "\\xe2\\x98A");		 /* cut short by ASCII */
	CASE("\xff\xfe", "\\xff\\xfe");
	/* the buffer: an escape or character that does not fit is left out whole */
	expect("ab\x1b", 3, 5, "ab");
	expect("ab\x1b", 3, 7, "ab\\x1b");
	expect("\xe2\x98\x83", 3, 3, "");
	expect("\xe2\x98\x83", 3, 4, "\xe2\x98\x83");
	expect("\\", 1, 2, "");
	return failures ? 1 : 0;
}
