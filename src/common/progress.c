#include "progress.h"
#include "msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define REDRAW_MS 100 /* ten lines a second at most */
#define CLEAR_LINE "\r\033[K"

/*
 * The report being drawn, and whether its line is on the screen.  The flag
 * is kept here, not in *active, because the exit handler may run after the
 * caller's struct is gone.
 */
static struct progress *active;
static int line_shown;

/* Best effort: a progress line that cannot be written is not an error. */
static void put_stderr(const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(STDERR_FILENO, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

static void erase_line(void)
{
	if (line_shown) {
		int saved_errno = errno; /* die() may append strerror(errno) after the hooks */

		put_stderr(CLEAR_LINE, strlen(CLEAR_LINE));
		line_shown = 0;
		errno = saved_errno;
	}
}

static void erase_on_die(const char *text)
{
	(void)text;
	erase_line();
}

static void register_hooks_once(void)
{
	static int registered;

	if (registered)
		return;
	registered = 1;
	msg_on_die(erase_on_die);
	atexit(erase_line);
}

/* BIMG_PROGRESS_MS=N (0..60000) redraws every N ms: for tests, whose runs are short. */
static long long redraw_interval_ns(void)
{
	const char *env = getenv("BIMG_PROGRESS_MS");
	char *end;
	unsigned long ms;

	if (env && *env >= '0' && *env <= '9') {
		ms = strtoul(env, &end, 10);
		if (!*end && ms <= 60000)
			return (long long)ms * 1000000LL;
	}
	return REDRAW_MS * 1000000LL;
}

static long long ns_between(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

/* 1023 B, 123.4 MiB; with whole=1 no decimal from 100 up ("350 MiB"). */
static void format_bytes(char *buf, size_t size, double n, int whole)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;

	if (n < 1024) {
		snprintf(buf, size, "%.0f B", n);
		return;
	}
	n /= 1024;
	while (n >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		n /= 1024;
		u++;
	}
	snprintf(buf, size, whole && n >= 100 ? "%.0f %s" : "%.1f %s", n, units[u]);
}

/* 0:07, 12:34, 1:02:03 */
static void format_duration(char *buf, size_t size, double seconds)
{
	unsigned long long s;

	if (seconds > 359999)
		seconds = 359999; /* 99:59:59: a stalled device, not a real estimate */
	s = (unsigned long long)(seconds + 0.5);
	if (s >= 3600)
		snprintf(buf, size, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, size, "%llu:%02llu", s / 60, s % 60);
}

static void draw(struct progress *p, const struct timespec *now)
{
	char line[256], done[32], total[32], rate[32], eta[32];
	double seconds = ns_between(&p->start, now) / 1e9;
	double per_second = seconds > 0 ? p->done / seconds : 0;
	int n;

	format_bytes(done, sizeof(done), (double)p->done, 0);
	n = snprintf(line, sizeof(line), CLEAR_LINE "%s: %s", p->what, done);
	/* a total that turned out too small is shown as unknown rather than as 120% */
	if (p->total && p->done <= p->total) {
		format_bytes(total, sizeof(total), (double)p->total, 0);
		n += snprintf(line + n, sizeof(line) - (size_t)n, " of %s (%u%%)", total,
			      (unsigned)(p->done * 100.0 / p->total));
	}
	if (per_second > 0) {
		format_bytes(rate, sizeof(rate), per_second, 1);
		n += snprintf(line + n, sizeof(line) - (size_t)n, ", %s/s", rate);
		if (p->total && p->done <= p->total) {
			format_duration(eta, sizeof(eta), (p->total - p->done) / per_second);
			n += snprintf(line + n, sizeof(line) - (size_t)n, ", ETA %s", eta);
		}
	}
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	/* a wrapped line could not be redrawn with "\r": cut it to the terminal */
	if (p->width > 1 && (unsigned)n > strlen(CLEAR_LINE) + p->width - 1)
		n = (int)(strlen(CLEAR_LINE) + p->width - 1);
	put_stderr(line, (size_t)n);
	line_shown = 1;
	p->last_draw = *now;
}

void progress_init(struct progress *p, const char *what, uint64_t total, enum progress_mode mode)
{
	struct winsize ws;

	memset(p, 0, sizeof(*p));
	snprintf(p->what, sizeof(p->what), "%s", what ? what : progname);
	p->total = total;
	if (mode == PROGRESS_ON)
		p->enabled = 1;
	else if (mode == PROGRESS_AUTO)
		p->enabled = isatty(STDERR_FILENO);
	if (!p->enabled)
		return;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0)
		p->width = ws.ws_col;
	p->interval_ns = redraw_interval_ns();
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last_draw = p->start;
	erase_line(); /* one report at a time: a newer one replaces the older */
	active = p;
	register_hooks_once();
}

void progress_update(struct progress *p, uint64_t bytes_done)
{
	struct timespec now;

	p->done = bytes_done;
	if (!p->enabled)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ns_between(&p->last_draw, &now) < p->interval_ns)
		return;
	draw(p, &now);
}

void progress_clear(struct progress *p)
{
	if (p == active)
		erase_line();
}

void progress_finish(struct progress *p)
{
	progress_clear(p);
	p->enabled = 0;
	if (active == p)
		active = NULL;
}
