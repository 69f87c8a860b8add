/*
 * bimg-fixchunks [-o] [--ignore-bad-blocks] [--new-fsid[=UUID]] [--force] TARGET
 * bimg-fixchunks -m [--ignore-bad-blocks] [--new-fsid[=UUID]] [--force] TARGET1 TARGET2 ...
 *
 * Read a bimg record stream on standard input and write the filesystem it
 * describes to TARGET, a regular file (created if missing) or a block
 * device: every tree block and data item at its physical place(s) through
 * the chunk map, then, last, the superblock marked as a metadump.  A
 * multi-device source becomes a single-device filesystem on TARGET, or,
 * with -m, is restored device by device onto TARGET1 (devid 1), ...
 *
 * A target that is mounted, that is standard input or another target (by
 * any name), that holds an image or a stream (what restores read), or
 * that holds the very filesystem the image was made from, is refused.
 * Whatever stops a restore (a bad stream, a full target, SIGINT or
 * SIGTERM) leaves the target without a valid primary superblock, and exit
 * status 1.  See bimg-fixchunks(1) and docs/restore.md.
 *
 * The pieces, in the order a restore uses them (each x.c with its x.h):
 *   target        open the target (refusing a mounted one), write-combined
 *                 pwrites whose write-out starts early, final size
 *   guard         a failure or a signal leaves no valid superblock behind
 *   newfsid       --new-fsid: the restored filesystem gets another fsid
 *   restore_map   logical -> physical placement, built from the
 *                 superblock's system chunks and the chunk tree leaves
 *                 (or CHUNK records) as they pass by
 *   holdback      blocks that arrive before their chunk is known
 *   block_verify  every tree block is checked before it is written
 *   layout        multi-device source, one target: every chunk becomes
 *                 SINGLE or DUP on the kept device, overlaps moved
 *   fixup         multi-device source, one target: chunk and device tree
 *                 blocks held to the end and rewritten, block group flags
 *   multi         -m: every device restored onto its own target
 *   superblock    the restored superblock, written last
 *   restore       the record loop tying it together (struct restore_options)
 */
#include "cli.h"
#include "csum.h"
#include "guard.h"
#include "msg.h"
#include "restore.h"
#include "target.h"
#include "xio.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <uuid/uuid.h>

static const char usage_text[] =
	"usage: bimg-fixchunks [-o] [--ignore-bad-blocks] [--new-fsid[=UUID]] [--force] TARGET < STREAM\n"
	"       bimg-fixchunks -m [OPTIONS] TARGET1 TARGET2 ... < STREAM\n"
	"\n"
	"Restore the filesystem described by the record stream on standard input\n"
	"to TARGET (a regular file, created if missing and truncated, or a block\n"
	"device that is not mounted).  A multi-device source becomes a\n"
	"single-device filesystem (every chunk SINGLE or DUP).\n"
	"\n"
	"  -m, --multi-device    restore each source device onto its own target,\n"
	"                        TARGET1 = devid 1, ... (as many as the source had)\n"
	"  -o, --old-restore     write every item at its logical address with a\n"
	"                        single identity system chunk (btrfs-image -r -o)\n"
	"      --ignore-bad-blocks\n"
	"                        write tree blocks that fail their checks as they\n"
	"                        are, and report how many there were\n"
	"      --new-fsid[=UUID] give the restored filesystem a new fsid (random\n"
	"                        without UUID), so that it can be mounted next to\n"
	"                        its original (as btrfstune -u does)\n"
	"      --force           overwrite a target that holds the filesystem the\n"
	"                        image was made from (same fsid and device uuid,\n"
	"                        generation not older), a btrfs-image file or a\n"
	"                        record stream\n"
	"  -h, --help            show this help\n"
	"      --version         show the version\n";

/* --new-fsid[=UUID]: the given one, or a random one. */
static void parse_new_fsid(const char *arg, struct restore_options *opt)
{
	opt->new_fsid = 1;
	if (!arg)
		uuid_generate(opt->new_fsid_value);
	else if (uuid_parse(arg, opt->new_fsid_value) < 0 || uuid_is_null(opt->new_fsid_value))
		die("--new-fsid: '%s' is not a UUID (like 0b3a7b9e-4f7c-4d7e-9a5d-2f6c1e0d8a41)", arg);
}

/* The options into opt; returns how many targets follow them. */
static size_t parse_command_line(int argc, char **argv, struct restore_options *opt)
{
	enum { OPT_NEW_FSID = 256 };
	const struct option longopts[] = {
		{ "old-restore", no_argument, NULL, 'o' },
		{ "multi-device", no_argument, NULL, 'm' },
		{ "ignore-bad-blocks", no_argument, &opt->ignore_bad_blocks, 1 },
		{ "new-fsid", optional_argument, NULL, OPT_NEW_FSID },
		{ "force", no_argument, &opt->force, 1 },
		CLI_COMMON_OPTIONS,
		CLI_END_OPTIONS,
	};
	size_t count;
	int c;

	while ((c = getopt_long(argc, argv, ":omh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			opt->multi_device = 1;
			break;
		case OPT_NEW_FSID:
			parse_new_fsid(optarg, opt);
			break;
		case 'o':
			opt->old_restore = 1;
			break;
		case 'h':
			c = CLI_HELP;
			/* fall through */
		default:
			cli_common_option(c, argv, usage_text, NULL);
		}
	}
	count = (size_t)(argc - optind);
	if (opt->multi_device && opt->old_restore)
		usage_error("-m and -o exclude each other");
	if (count == 0)
		usage_error("no target given");
	if (count > 1 && !opt->multi_device)
		usage_error("%zu targets given: one without -m", count);
	return count;
}

int main(int argc, char **argv)
{
	struct restore_options opt = { 0 };
	struct target *targets;
	size_t count, i;

	cli_init(argv[0]);
	stdio_setup_pipes();
	csum_init();
	count = parse_command_line(argc, argv, &opt);
	if (isatty(STDIN_FILENO))
		die("standard input is a terminal: expected a record stream (bimg-unpack IMAGE | bimg-fixchunks TARGET)");

	targets = xcalloc(count, sizeof(*targets));
	guard_init(count);
	targets_open(targets, argv + optind, count, &opt);
	restore(STDIN_FILENO, "standard input", targets, count, &opt);
	for (i = 0; i < count; i++)
		target_close(&targets[i]);
	free(targets);
	return 0;
}
