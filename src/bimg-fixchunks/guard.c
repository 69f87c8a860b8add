/*
 * A restore that does not finish must not leave a target that looks like
 * a filesystem (half of its blocks would be missing).  The superblock is
 * written last, so while blocks are written there is none; this covers a
 * failure or a signal once it was (partly) written, or while the last
 * checks run, and says "interrupted" instead of dying silently.
 *
 * The signal handler (common/interrupt.c) calls invalidate_all(), so that
 * uses only async-signal-safe calls (fstat, pwrite, fdatasync) on a table
 * filled with the signals blocked.
 */
#include "guard.h"
#include "interrupt.h"
#include "msg.h"
#include "target.h"

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

void guard_init(size_t max_targets)
{
	guarded = xcalloc(max_targets, sizeof(*guarded));
	guarded_capacity = max_targets;
	msg_on_die(on_die);
	interrupt_catch(invalidate_all);
}

void guard_arm(const struct target *t)
{
	sigset_t old;

	if ((size_t)guarded_count >= guarded_capacity)
		die("internal error: more guarded targets than announced");
	/* The handler must never see a half-filled entry. */
	interrupt_block(&old);
	guarded[guarded_count].fd = t->fd;
	guarded[guarded_count].is_blockdev = t->is_blockdev;
	guarded[guarded_count].dev_size = t->dev_size;
	guarded_count++;
	interrupt_unblock(&old);
}

void guard_release(void)
{
	sigset_t old;

	/*
	 * Done: a late ^C must not turn a finished restore into exit 1.  A
	 * signal arriving from here on waits until it is ignored, then is
	 * dropped: the handler never runs once the restore is complete.
	 */
	interrupt_block(&old);
	released = 1;
	interrupt_done();
	interrupt_unblock(&old);
}
