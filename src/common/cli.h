/*
 * The command line every program shares: --help, --version,
 * --progress/--no-progress, -t N and numbers with a range.
 *
 * A program's main lists its own options and ends its option table with
 * CLI_COMMON_OPTIONS (and CLI_PROGRESS_OPTIONS if it draws a status line);
 * its switch passes every option it does not know to cli_common_option.
 * A command-line mistake is one usage_error line (see msg.h).
 *
 *   case 't': threads = cli_threads(optarg, "-t", 32); break;
 *   default:  cli_common_option(c, argv, usage_text, &progress);
 */
#ifndef BIMG_COMMON_CLI_H
#define BIMG_COMMON_CLI_H

#include "progress.h"

#include <stdint.h>

/* getopt_long values of the shared options: above every short option's character. */
enum cli_option {
	CLI_HELP = 0x1000,
	CLI_VERSION,
	CLI_PROGRESS,
	CLI_NO_PROGRESS,
};

#define CLI_COMMON_OPTIONS                                   \
	{ "help", no_argument, NULL, CLI_HELP },             \
	{ "version", no_argument, NULL, CLI_VERSION }
#define CLI_PROGRESS_OPTIONS                                   \
	{ "progress", no_argument, NULL, CLI_PROGRESS },       \
	{ "no-progress", no_argument, NULL, CLI_NO_PROGRESS }
#define CLI_END_OPTIONS { NULL, 0, NULL, 0 }

/* msg_init, and getopt reports nothing itself: its mistakes go through bad_option. */
void cli_init(const char *argv0);

/*
 * An option the program's own switch does not handle: 0 is one that set
 * its flag (a long option whose table entry points at an int); --help prints
 * usage_text and --version "progname (bimg) VERSION", both to stdout and
 * exit 0; --progress/--no-progress set *progress (NULL: the program has no
 * status line); anything else is a usage error.
 */
void cli_common_option(int c, char *const argv[], const char *usage_text, enum progress_mode *progress);

/* A number in min..max written in decimal, or "OPT: 'ARG' is not a number in MIN..MAX". */
uint64_t cli_number(const char *arg, const char *opt, uint64_t min, uint64_t max);

/* Any 64-bit number as C writes it (decimal, 0x hexadecimal, 0 octal), or "OPT: 'ARG' is not a number". */
uint64_t cli_c_number(const char *arg, const char *opt);

/*
 * A size in min..max: a number of bytes, or of KiB, MiB, GiB with a suffix
 * K, M, G (either case), digits first.  0 and the size in *out, or -1: the
 * caller says what it is (an option's usage error, an environment variable's).
 */
int cli_size(const char *arg, uint64_t min, uint64_t max, uint64_t *out);

/* -t N: 1..max threads, or 0 for as many as online CPUs (at most max). */
unsigned cli_threads(const char *arg, const char *opt, unsigned max);

/* No operands after the options ("unexpected argument 'X'"). */
void cli_no_operands(int argc, char *const argv[]);

#endif
