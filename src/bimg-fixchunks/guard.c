/*
 * A restore that does not finish must not leave a target that looks like
 * a filesystem (half of its blocks would be missing).  The superblock is
 * written last, so while blocks are written there is none; this covers a
 * failure or a signal once it was (partly) written, or while the last
 * checks run, and says "interrupted" instead of dying silently.
 *
 * The signal handler exits from inside itself, so it uses only
 * async-signal-safe calls (fstat, pwrite, fdatasync, write, _exit) on a
 * table filled before the handlers were installed.
 */
#include "fixchunks.h"
#include "msg.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct guarded {
	int fd;
	int is_blockdev;
	uint64_t dev_size;
};

static struct guarded *guarded;
static size_t guarded_capacity;
static volatile sig_atomic_t guarded_count;
static volatile sig_atomic_t released;

static const int signals[] = { SIGINT, SIGTERM, SIGHUP };

/* Zero the primary superblock where there can be one. */
static void invalidate(const struct guarded *g)
{
	static const uint8_t zeros[BTRFS_SUPER_SIZE];
	struct stat st;
	uint64_t size = g->dev_size;

	if (!g->is_blockdev) {
		if (fstat(g->fd, &st) < 0)
			return;
		size = (uint64_t)st.st_size;
	}
	if (size <= BTRFS_SUPER_OFFSET)
		return;
	/* Best effort: nothing more can be done if this fails too. */
	if (pwrite(g->fd, zeros, sizeof(zeros), (off_t)BTRFS_SUPER_OFFSET) > 0)
		(void)fdatasync(g->fd);
}

static void invalidate_all(void)
{
	sig_atomic_t i;

	if (released)
		return;
	for (i = 0; i < guarded_count; i++)
		invalidate(&guarded[i]);
}

static void on_die(const char *text)
{
	(void)text;
	invalidate_all();
}

static void on_signal(int sig)
{
	static const char tail[] = ": interrupted\n";

	(void)sig;
	invalidate_all();
	if (write(STDERR_FILENO, progname, strlen(progname)) < 0 || write(STDERR_FILENO, tail, sizeof(tail) - 1) < 0)
		_exit(1);
	_exit(1);
}

void guard_init(size_t max_targets)
{
	struct sigaction sa;
	size_t i;

	guarded = xcalloc(max_targets, sizeof(*guarded));
	guarded_capacity = max_targets;
	msg_on_die(on_die);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		struct sigaction old;

		if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(signals[i], &sa, NULL);
	}
}

void guard_arm(const struct target *t)
{
	sigset_t all, old;

	if ((size_t)guarded_count >= guarded_capacity)
		die("internal error: more guarded targets than announced");
	/* The handler must never see a half-filled entry. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	guarded[guarded_count].fd = t->fd;
	guarded[guarded_count].is_blockdev = t->is_blockdev;
	guarded[guarded_count].dev_size = t->dev_size;
	guarded_count++;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void guard_release(void)
{
	size_t i;

	released = 1;
	/* Done: a late ^C must not turn a finished restore into exit 1. */
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		struct sigaction old;

		if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == on_signal)
			signal(signals[i], SIG_IGN);
	}
}
