/*
 * bimg-fixchunks [-o] [--ignore-bad-blocks] TARGET
 *
 * Read a bimg record stream on standard input and write the filesystem it
 * describes to TARGET, a regular file (created if missing) or a block
 * device: every tree block and data item at its physical place(s) through
 * the chunk map, then, last, the superblock marked as a metadump.
 */
#include "csum.h"
#include "fixchunks.h"
#include "msg.h"
#include "xio.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noreturn)) static void usage(FILE *out, int status)
{
	fprintf(out,
		"usage: bimg-fixchunks [-o] [--ignore-bad-blocks] TARGET < STREAM\n"
		"\n"
		"Restore the filesystem described by the record stream on standard input\n"
		"to TARGET (a regular file, created if missing and truncated, or a block\n"
		"device that is not mounted).\n"
		"\n"
		"  -o, --old-restore     write every item at its logical address with a\n"
		"                        single identity system chunk (btrfs-image -r -o)\n"
		"      --ignore-bad-blocks\n"
		"                        write tree blocks that fail their checks as they\n"
		"                        are, and report how many there were\n"
		"  -h, --help            show this help\n"
		"      --version         show the version\n");
	exit(status);
}

int main(int argc, char **argv)
{
	enum { OPT_IGNORE_BAD = 256, OPT_VERSION };
	static const struct option longopts[] = {
		{ "old-restore", no_argument, NULL, 'o' },
		{ "ignore-bad-blocks", no_argument, NULL, OPT_IGNORE_BAD },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct options opt = { 0 };
	struct target target;
	int c;

	msg_init(argv[0]);
	stdio_setup_pipes();
	csum_init();
	while ((c = getopt_long(argc, argv, "oh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			opt.old_restore = 1;
			break;
		case OPT_IGNORE_BAD:
			opt.ignore_bad_blocks = 1;
			break;
		case 'h':
			usage(stdout, 0);
		case OPT_VERSION:
			printf("bimg-fixchunks (bimg) %s\n", BIMG_VERSION);
			return 0;
		default:
			usage(stderr, 1);
		}
	}
	if (argc - optind != 1)
		usage(stderr, 1);
	if (isatty(STDIN_FILENO))
		die("standard input is a terminal: expected a record stream (bimg-unpack IMAGE | bimg-fixchunks TARGET)");

	target_open(&target, argv[optind]);
	restore(STDIN_FILENO, "standard input", &target, &opt);
	target_close(&target);
	return 0;
}
