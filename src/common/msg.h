/*
 * Messages and fatal errors.
 *
 * Every program reports failure as one line on stderr,
 * "program: what failed: why", and exits 1.  A format ending in ':' gets
 * ": strerror(errno)" appended, so callers never spell out strerror.
 */
#ifndef BIMG_MSG_H
#define BIMG_MSG_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

extern const char *progname;

/* Set progname from argv[0] (basename). */
void msg_init(const char *argv0);

/* Print "progname: message" and exit 1. */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
/* Print "progname: warning: message". */
__attribute__((format(printf, 1, 2))) void warn(const char *fmt, ...);
/* Print "progname: message" (informational, e.g. summaries). */
__attribute__((format(printf, 1, 2))) void note(const char *fmt, ...);

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

