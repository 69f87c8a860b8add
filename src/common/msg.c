#include "msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *progname = "bimg";

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

void msg_init(const char *argv0)
{
	const char *slash;

	if (!argv0 || !*argv0)
		return;
	slash = strrchr(argv0, '/');
	progname = slash ? slash + 1 : argv0;
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
	fprintf(stderr, "%s: %s\n", progname, text);
	die_exit();
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: warning: %s\n", progname, msg_vformat(fmt, ap));
	va_end(ap);
}

void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: %s\n", progname, msg_vformat(fmt, ap));
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
