/*
 * Until the restore is done, every claimed target is invalidated (its
 * primary superblock zeroed) when the program dies or gets SIGINT,
 * SIGTERM or SIGHUP; the signals print "interrupted" and exit 1.  Signals
 * ignored at start (nohup, background jobs) stay ignored.
 */
#ifndef BIMG_FIXCHUNKS_GUARD_H
#define BIMG_FIXCHUNKS_GUARD_H

#include "target.h"

#include <stddef.h>

void guard_init(size_t max_targets);
/* From now on t is invalidated on failure. */
void guard_arm(const struct target *t);
/* Every superblock is written: from here on failures and signals leave the targets alone. */
void guard_release(void);

#endif
