/*
 * SIGINT, SIGTERM and SIGHUP while a program holds something half done (a
 * temporary image, a claimed restore target): the handler undoes it, says
 * "PROGRAM: interrupted" and exits 1.  Signals that were ignored when the
 * program started (nohup, background jobs) stay ignored.
 *
 * Once the work is complete, interrupt_done() ignores the signals, and a
 * step that must not be cut in two (the rename that publishes an image,
 * marking a restore complete) runs between interrupt_block() and
 * interrupt_unblock(): a signal arriving there waits, and interrupt_done()
 * before the unblock drops it, so finished work never reports failure.
 */
#ifndef BIMG_COMMON_INTERRUPT_H
#define BIMG_COMMON_INTERRUPT_H

#include <signal.h>

/* cleanup runs inside the signal handler: async-signal-safe calls only (unlink, pwrite, fdatasync). */
void interrupt_catch(void (*cleanup)(void));
/* Blocks them in the calling thread: use it where no other thread runs. */
void interrupt_block(sigset_t *old);
void interrupt_unblock(const sigset_t *old);
/* The work is complete: the caught signals are ignored from now on, a pending one is dropped. */
void interrupt_done(void);

#endif
