/*
 * The command line every program shares; see cli.h.
 */
#include "cli.h"
#include "msg.h"
#include "ordered_pool.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_init(const char *argv0)
{
	msg_init(argv0);
	opterr = 0;
}

void cli_common_option(int c, char *const argv[], const char *usage_text, enum progress_mode *progress)
{
	switch (c) {
	case 0:
		return;
	case CLI_HELP:
		fputs(usage_text, stdout);
		exit(report_finish());
	case CLI_VERSION:
		printf("%s (bimg) %s\n", progname, BIMG_VERSION);
		exit(report_finish());
	case CLI_PROGRESS:
	case CLI_NO_PROGRESS:
		if (progress) {
			*progress = c == CLI_PROGRESS ? PROGRESS_ON : PROGRESS_OFF;
			return;
		}
		break;
	}
	bad_option(c, argv);
}

static uint64_t parse_number(const char *arg, const char *opt, int base, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(arg, &end, base);
	/* strtoull would take " 7", "+7" and "-1" (as 2^64-1): a digit comes first */
	if (*arg >= '0' && *arg <= '9' && !*end && errno != ERANGE && n >= min && n <= max)
		return n;
	if (min == 0 && max == UINT64_MAX)
		usage_error("%s: '%s' is not a number", opt, arg);
	usage_error("%s: '%s' is not a number in %llu..%llu", opt, arg, (unsigned long long)min,
		    (unsigned long long)max);
}

uint64_t cli_number(const char *arg, const char *opt, uint64_t min, uint64_t max)
{
	return parse_number(arg, opt, 10, min, max);
}

uint64_t cli_c_number(const char *arg, const char *opt)
{
	return parse_number(arg, opt, 0, 0, UINT64_MAX);
}

int cli_size(const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	static const char units[] = "KMG";
	const char *unit;
	unsigned shift = 0;
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (*end && (unit = strchr(units, toupper((unsigned char)*end))) != NULL) {
		shift = 10 * (unsigned)(unit - units + 1);
		end++;
	}
	/* strtoull would take " 7", "+7" and "-7": a digit comes first */
	if (!isdigit((unsigned char)arg[0]) || *end || errno == ERANGE || n > max >> shift || (n << shift) < min)
		return -1;
	*out = n << shift;
	return 0;
}

unsigned cli_threads(const char *arg, const char *opt, unsigned max)
{
	unsigned n = (unsigned)cli_number(arg, opt, 0, max);

	return n ? n : online_cpus(max);
}

void cli_no_operands(int argc, char *const argv[])
{
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
}
