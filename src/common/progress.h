/*
 * A one-line progress report on stderr for the long stages (dump: bimg-scan,
 * restore: bimg-unpack):
 *
 *   bimg-scan: 123.4 MiB of 297.0 MiB (41%), 350 MiB/s, ETA 0:01
 *
 * The line is redrawn in place ("\r" ... "\033[K") at most ten times a
 * second, and erased by progress_finish(), by die() (a die hook, so the
 * error message starts on a clean line) and at exit, so the terminal is
 * left clean however the program ends.
 *
 * PROGRESS_AUTO draws only when stderr is a terminal, so nothing is ever
 * printed into a pipe or a log file unless asked for with PROGRESS_ON
 * (--progress).  One report per process at a time; call update from one
 * thread.  The environment variable BIMG_PROGRESS_MS=N redraws every N ms
 * instead (tests use 0: a line on every update, however short the run).
 */
#ifndef BIMG_COMMON_PROGRESS_H
#define BIMG_COMMON_PROGRESS_H

#include <stdint.h>
#include <time.h>

enum progress_mode {
	PROGRESS_AUTO, /* only if stderr is a terminal (the default) */
	PROGRESS_ON,   /* --progress: draw wherever stderr goes */
	PROGRESS_OFF,  /* --no-progress, or output that must stay clean (--list) */
};

struct progress {
	char what[64];
	uint64_t total; /* 0: unknown, no percentage or ETA */
	uint64_t done;
	int enabled;
	unsigned width; /* terminal columns, to never wrap (0: unknown) */
	long long interval_ns; /* between redraws */
	struct timespec start, last_draw;
};

/* Start a report named what (usually progname); total 0 if unknown. */
void progress_init(struct progress *p, const char *what, uint64_t total, enum progress_mode mode);

/* bytes_done so far (not an increment); redraws if 100 ms have passed. */
void progress_update(struct progress *p, uint64_t bytes_done);

/* Erase the line; further updates draw nothing. */
void progress_finish(struct progress *p);

/* Erase the line for another message; the next update draws it again. */
void progress_clear(struct progress *p);

#endif
