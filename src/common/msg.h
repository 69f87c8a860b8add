/*
 * Messages and fatal errors.
 *
 * Every program reports failure as one line on stderr,
 * "program: what failed: why", and exits 1.  A format ending in ':' gets
 * ": strerror(errno)" appended, so callers never spell out strerror.
 */
#ifndef BIMG_COMMON_MSG_H
#define BIMG_COMMON_MSG_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

extern const char *progname;

/* Set progname from argv[0] (basename, escaped as text_escape does). */
void msg_init(const char *argv0);

/*
 * die, warn and note print their line through text_escape: whatever a
 * message quotes (a label, a path, bytes of an image) reaches the terminal
 * as visible text, and the message stays one line.
 */

/* Print "progname: message" and exit 1. */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
/* Print "progname: warning: message". */
__attribute__((format(printf, 1, 2))) void warn(const char *fmt, ...);
/* Print "progname: message" (informational, e.g. summaries). */
__attribute__((format(printf, 1, 2))) void note(const char *fmt, ...);

/*
 * A command-line mistake: "progname: message: try 'progname --help'", one
 * line, exit 1.
 */
__attribute__((noreturn, format(printf, 1, 2))) void usage_error(const char *fmt, ...);
/*
 * getopt_long's answer '?' (unknown option, or an argument to an option
 * that takes none) or ':' (missing argument; the option string must start
 * with ':' and opterr be 0) as one usage_error line.
 */
__attribute__((noreturn)) void bad_option(int c, char *const argv[]);

/*
 * The reader of our output went away (EPIPE).  "progname: WHAT: downstream
 * closed the pipe" and exit 1; quietly, as when an upstream ERROR arrives,
 * if the environment has BIMG_DOWNSTREAM_REPORTS=1: the reader is a bimg
 * stage, which has already said why it stopped (btrfs-image.sh sets it).
 */
__attribute__((noreturn)) void die_downstream_closed(const char *what);

/*
 * A text report for a reader (--list, --info, --help, --version) written to
 * out: check it after writing.  A reader that went away (`| head`) ends the
 * program quietly with status 0, as it asked for no more; any other write
 * error dies.  report_finish flushes stdout first and returns 0 for main.
 */
void report_check(FILE *out);
int report_finish(void);

/*
 * Copy len bytes of src into dst (dst_size bytes, always NUL-terminated) so
 * that a terminal shows them and obeys none of them: bytes 0x00..0x1f and
 * 0x7f, the C1 controls U+0080..U+009F, and bytes that are not valid UTF-8
 * become \xNN; a backslash becomes \\; valid printable UTF-8 stays as it
 * is.  An escape or character that does not fit is left out whole.
 * TEXT_ESCAPED_SIZE(len) is always enough.  Returns dst.
 */
#define TEXT_ESCAPED_SIZE(len) (4 * (len) + 1)
char *text_escape(char *dst, size_t dst_size, const void *src, size_t len);

/*
 * Format the message into a static buffer as die() would, without the
 * program name; used to forward the text downstream in an ERROR record.
 */
const char *msg_vformat(const char *fmt, va_list ap);

/*
 * Hook run by die() before exiting (for example: emit an ERROR record,
 * remove a temporary output file, clear a progress line).  Hooks run in
 * reverse order of registration; at most 8.
 */
void msg_on_die(void (*hook)(const char *text));

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);

/*
 * Run the die hooks with text and exit 1 without printing: for a failure
 * that another process has already reported (an upstream ERROR record).
 */
__attribute__((noreturn)) void die_silently(const char *text);

/*
 * For the fuzz harnesses only: while env is set, die() and die_silently()
 * print as usual but then longjmp(*env, 1) instead of exiting, so that one
 * hostile input is one rejected run, not the end of the fuzzer.  Die hooks
 * still run on every such die.  NULL restores exiting.
 */
void msg_set_die_jump(jmp_buf *env);

#endif

