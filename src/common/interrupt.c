#include "interrupt.h"
#include "msg.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

static const int caught_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define CAUGHT_COUNT (sizeof(caught_signals) / sizeof(caught_signals[0]))

static void (*cleanup_fn)(void);
static int caught[CAUGHT_COUNT]; /* installed by us (not ignored at start) */

static void on_signal(int sig)
{
	static const char tail[] = ": interrupted\n";

	(void)sig;
	if (cleanup_fn)
		cleanup_fn();
	if (write(STDERR_FILENO, progname, strlen(progname)) < 0 || write(STDERR_FILENO, tail, sizeof(tail) - 1) < 0)
		_exit(1);
	_exit(1);
}

static void caught_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < CAUGHT_COUNT; i++)
		sigaddset(set, caught_signals[i]);
}

void interrupt_catch(void (*cleanup)(void))
{
	struct sigaction sa;
	size_t i;

	cleanup_fn = cleanup;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	caught_set(&sa.sa_mask);
	for (i = 0; i < CAUGHT_COUNT; i++) {
		struct sigaction old;

		if (sigaction(caught_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		caught[i] = sigaction(caught_signals[i], &sa, NULL) == 0;
	}
}

void interrupt_block(sigset_t *old)
{
	sigset_t set;

	caught_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

void interrupt_unblock(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

void interrupt_done(void)
{
	size_t i;

	for (i = 0; i < CAUGHT_COUNT; i++)
		if (caught[i])
			signal(caught_signals[i], SIG_IGN);
}
