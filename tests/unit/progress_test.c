/*
 * Drive src/common/progress.c for tests/905-progress.bats:
 *
 *   progress_test auto|on|off TOTAL STEP_BYTES STEPS STEP_MS finish|die|exit
 *
 * reports STEPS updates of STEP_BYTES each, STEP_MS apart, against TOTAL
 * (0: unknown), then ends the way a program does: progress_finish() and a
 * final "finished" line on stderr, a die(), or exit(0) without finishing.
 */
#include "msg.h"
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long number(const char *s)
{
	char *end;
	unsigned long long n = strtoull(s, &end, 10);

	if (!*s || *end)
		die("not a number: %s", s);
	return n;
}

int main(int argc, char **argv)
{
	struct progress p;
	enum progress_mode mode;
	unsigned long long total, step, steps, ms, i;
	struct timespec pause;

	msg_init(argv[0]);
	if (argc != 7) {
		fprintf(stderr, "usage: progress_test auto|on|off TOTAL STEP_BYTES STEPS STEP_MS finish|die|exit\n");
		return 1;
	}
	mode = !strcmp(argv[1], "on") ? PROGRESS_ON : !strcmp(argv[1], "off") ? PROGRESS_OFF : PROGRESS_AUTO;
	total = number(argv[2]);
	step = number(argv[3]);
	steps = number(argv[4]);
	ms = number(argv[5]);
	pause.tv_sec = (time_t)(ms / 1000);
	pause.tv_nsec = (long)(ms % 1000 * 1000000);

	progress_init(&p, progname, total, mode);
	for (i = 1; i <= steps; i++) {
		nanosleep(&pause, NULL);
		progress_update(&p, i * step);
	}
	if (!strcmp(argv[6], "die"))
		die("the disk caught fire");
	if (!strcmp(argv[6], "exit"))
		exit(0);
	progress_finish(&p);
	fprintf(stderr, "finished\n");
	return 0;
}
