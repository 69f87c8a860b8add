#include "msg.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *progname = "bimg";
static char escaped_progname[TEXT_ESCAPED_SIZE(64)];

static void (*die_hooks[8])(const char *text);
static int die_hook_count;
static int dying;
static jmp_buf *die_jump;

void msg_set_die_jump(jmp_buf *env)
{
	die_jump = env;
}

/* Exit, or for a fuzz harness return to its jump point ready for the next input. */
__attribute__((noreturn)) static void die_exit(void)
{
	if (die_jump) {
		dying = 0;
		longjmp(*die_jump, 1);
	}
	exit(1);
}

/*
 * Bytes of the valid UTF-8 character at s that a terminal prints as it is
 * (1..4), or 0 for a byte to escape: a control (C0, DEL, C1), a stray or
 * missing continuation byte, an overlong form, a surrogate, or a code point
 * above U+10FFFF.
 */
static size_t printable_utf8(const uint8_t *s, size_t len)
{
	uint8_t lead = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (lead < 0x80)
		return lead >= 0x20 && lead != 0x7f ? 1 : 0;
	if (lead >= 0xc2 && lead <= 0xdf)
		need = 2;
	else if (lead >= 0xe0 && lead <= 0xef)
		need = 3;
	else if (lead >= 0xf0 && lead <= 0xf4)
		need = 4;
	else
		return 0;
	if (lead == 0xc2)
		lo = 0xa0; /* U+0080..U+009F are the C1 controls */
	else if (lead == 0xe0)
		lo = 0xa0;
	else if (lead == 0xed)
		hi = 0x9f;
	else if (lead == 0xf0)
		lo = 0x90;
	else if (lead == 0xf4)
		hi = 0x8f;
	if (len < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

char *text_escape(char *dst, size_t dst_size, const void *src, size_t len)
{
	const uint8_t *s = src;
	size_t in = 0, out = 0;

	if (!dst_size)
		return dst;
	while (in < len) {
		size_t n = printable_utf8(s + in, len - in);
		char piece[5];
		size_t piece_len;

		if (n == 1 && s[in] == '\\') {
			piece_len = 2;
			memcpy(piece, "\\\\", 2);
		} else if (n) {
			piece_len = n;
			memcpy(piece, s + in, n);
		} else {
			n = 1;
			piece_len = 4;
			snprintf(piece, sizeof(piece), "\\x%02x", s[in]);
		}
		if (out + piece_len >= dst_size)
			break;
		memcpy(dst + out, piece, piece_len);
		out += piece_len;
		in += n;
	}
	dst[out] = 0;
	return dst;
}

void msg_init(const char *argv0)
{
	const char *slash;

	if (!argv0 || !*argv0)
		return;
	slash = strrchr(argv0, '/');
	slash = slash ? slash + 1 : argv0;
	progname = text_escape(escaped_progname, sizeof(escaped_progname), slash, strlen(slash));
}

/* One message line on stderr: "progname: " kind, then text escaped. */
static void print_line(const char *kind, const char *text)
{
	static char escaped[TEXT_ESCAPED_SIZE(4096)];

	fprintf(stderr, "%s: %s%s\n", progname, kind,
		text_escape(escaped, sizeof(escaped), text, strlen(text)));
}

const char *msg_vformat(const char *fmt, va_list ap)
{
	static char text[4096];
	int saved_errno = errno;
	size_t fmt_len = strlen(fmt);
	int n;

	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(text))
		n = (int)sizeof(text) - 1;
	if (fmt_len && fmt[fmt_len - 1] == ':')
		snprintf(text + n, sizeof(text) - (size_t)n, " %s", strerror(saved_errno));
	return text;
}

void msg_on_die(void (*hook)(const char *text))
{
	if (die_hook_count < (int)(sizeof(die_hooks) / sizeof(die_hooks[0])))
		die_hooks[die_hook_count++] = hook;
}

void die(const char *fmt, ...)
{
	va_list ap;
	const char *text;
	int i;

	va_start(ap, fmt);
	text = msg_vformat(fmt, ap);
	va_end(ap);
	if (!dying) {
		dying = 1;
		for (i = die_hook_count - 1; i >= 0; i--)
			die_hooks[i](text);
	}
	print_line("", text);
	die_exit();
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_line("warning: ", msg_vformat(fmt, ap));
	va_end(ap);
}

void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_line("", msg_vformat(fmt, ap));
	va_end(ap);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		die("out of memory allocating %zu bytes", size);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (!p)
		die("out of memory allocating %zu x %zu bytes", count, size);
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (!p)
		die("out of memory allocating %zu bytes", size);
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die("out of memory");
	return p;
}

void die_silently(const char *text)
{
	int i;

	if (!dying) {
		dying = 1;
		for (i = die_hook_count - 1; i >= 0; i--)
			die_hooks[i](text);
	}
	die_exit();
}

void usage_error(const char *fmt, ...)
{
	char line[1024], escaped[TEXT_ESCAPED_SIZE(1024)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	text_escape(escaped, sizeof(escaped), line, strlen(line));
	fprintf(stderr, "%s: %s: try '%s --help'\n", progname, escaped, progname);
	exit(1);
}

void bad_option(int c, char *const argv[])
{
	/* getopt has moved optind past a long option, but not always past a short one */
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	int is_long = strncmp(arg, "--", 2) == 0;
	int name_len = (int)strcspn(arg, "=");

	if (c == ':' && is_long)
		usage_error("option '%.*s' needs an argument", name_len, arg);
	if (c == ':')
		usage_error("option '-%c' needs an argument", optopt);
	if (optopt && is_long && arg[name_len] == '=')
		usage_error("option '%.*s' takes no argument", name_len, arg);
	if (!optopt)
		usage_error("unknown option '%.*s'", name_len, arg);
	usage_error("unknown option '-%c'", optopt);
}

void die_downstream_closed(const char *what)
{
	const char *quiet = getenv("BIMG_DOWNSTREAM_REPORTS");

	if (quiet && strcmp(quiet, "1") == 0)
		die_silently("downstream closed the pipe");
	die("%s: downstream closed the pipe", what);
}

void report_check(FILE *out)
{
	if (!ferror(out))
		return;
	if (errno == EPIPE)
		_exit(0);
	die("writing to standard output:");
}

int report_finish(void)
{
	/* The reader may have gone before anything was flushed: EPIPE, not SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	(void)fflush(stdout); /* a failure sets the error indicator */
	report_check(stdout);
	return 0;
}
