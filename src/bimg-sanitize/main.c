/*
 * bimg-sanitize: replace the names in a record stream, for images that
 * are sent to strangers.
 *
 *   bimg-scan DEV | bimg-sanitize -s|-ss [--seed N] [--keep-short] | bimg-pack -o IMG
 *
 * -s gives every distinct name a random printable name of the same length;
 * -ss a printable name of the same length and the same crc32c name hash,
 * so the restored filesystem passes btrfs check and mounts.  Xattr values
 * and the label are cleared.  The name map keeps at most --map-memory bytes
 * in memory, the rest in temporary files.  See docs/man/bimg-sanitize.1.
 */
#include "cli.h"
#include "csum.h"
#include "filter.h"
#include "image.h"
#include "msg.h"
#include "rng.h"
#include "samefile.h"
#include "xio.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"Usage: bimg-sanitize -s|-ss [--seed N] [--keep-short] [--odometer]\n"
	"                     [--map-memory SIZE] [-v]\n"
	"Replace file, directory and subvolume names in a bimg record stream (standard input\n"
	"to standard output), zero xattr values and clear the label.\n"
	"\n"
	"  -s            random printable names of the same length\n"
	"  -ss           printable names of the same length and name hash (btrfs check\n"
	"                and mount keep working; names of 1..4 bytes move their keys)\n"
	"      --seed N  seed the replacements (0..2^64-1): same input, same output\n"
	"      --keep-short  with -ss, keep names of 1..4 bytes and their keys (one pass,\n"
	"                no blocks held back; those names are then NOT sanitized)\n"
	"      --odometer  with -ss, btrfs-image's own replacements for names of 5 bytes\n"
	"                and more (a deterministic search: spaces and a 4-byte tail)\n"
	"      --map-memory SIZE  memory for the name maps (64K..64G, K, M, G: KiB, MiB,\n"
	"                GiB; default 16M): names beyond it go to unlinked temporary files\n"
	"                in $TMPDIR, which hold no original name\n"
	"  -v, --verbose print counts when done\n"
	"      --help    show this help\n"
	"      --version show the version\n";

#define MAP_MEMORY_DEFAULT (16ull << 20)
#define MAP_MEMORY_MIN (64ull << 10)
#define MAP_MEMORY_MAX (64ull << 30)

/* --map-memory SIZE: a number of bytes, or of KiB, MiB, GiB with a suffix K, M, G. */
static uint64_t map_memory(const char *arg)
{
	uint64_t size;

	if (cli_size(arg, MAP_MEMORY_MIN, MAP_MEMORY_MAX, &size) < 0)
		usage_error("--map-memory: '%s' is not a size from 64K to 64G (bytes, or K, M, G for KiB, MiB, GiB)",
			    arg);
	return size;
}

/* -s once or twice, and what only -ss takes. */
static enum name_mode name_mode(int s_count, const struct sanitize_options *opt)
{
	if (s_count == 0 || s_count > 2)
		usage_error("give -s (random names) or -ss (names with the same hash)");
	if (opt->keep_short && s_count != 2)
		usage_error("--keep-short applies to -ss only");
	if (opt->odometer && s_count != 2)
		usage_error("--odometer applies to -ss only");
	return s_count == 2 ? NAMES_SAME_HASH : NAMES_RANDOM;
}

static void parse_command_line(int argc, char **argv, struct sanitize_options *opt)
{
	enum { OPT_SEED = 256, OPT_MAP_MEMORY };
	const struct option longopts[] = {
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "keep-short", no_argument, &opt->keep_short, 1 },
		{ "odometer", no_argument, &opt->odometer, 1 },
		{ "map-memory", required_argument, NULL, OPT_MAP_MEMORY },
		{ "verbose", no_argument, NULL, 'v' },
		CLI_COMMON_OPTIONS,
		CLI_END_OPTIONS,
	};
	int s_count = 0, seeded = 0, c;

	while ((c = getopt_long(argc, argv, ":sv", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			s_count++;
			break;
		case 'v':
			opt->verbose = 1;
			break;
		case OPT_SEED:
			opt->seed = cli_c_number(optarg, "--seed");
			seeded = 1;
			break;
		case OPT_MAP_MEMORY:
			opt->map_memory = map_memory(optarg);
			break;
		default:
			cli_common_option(c, argv, usage_text, NULL);
		}
	}
	cli_no_operands(argc, argv);
	opt->mode = name_mode(s_count, opt);
	if (isatty(STDIN_FILENO) || isatty(STDOUT_FILENO))
		usage_error("reads and writes a binary stream: use it in a pipe");
	if (!seeded)
		opt->seed = rng_random_seed();
}

/*
 * Standard output written in place may be what is read upstream, through a
 * pipe no name comparison sees: a regular file holding an image or a stream
 * (cat S | bimg-sanitize 1<>S), or the filesystem being dumped (bimg-scan
 * SRC | bimg-sanitize 1<>SRC), which FS_INFO names.
 */
static void check_stdout_content(struct held_filesystems *holds, struct sanitize_options *opt)
{
	const char *what = stdout_image_or_stream();

	if (what)
		die("refusing to write the stream to standard output: it holds %s, perhaps the one being read", what);
	if (held_filesystems_of_stdout(holds))
		opt->output_holds = holds;
}

int main(int argc, char **argv)
{
	struct sanitize_options opt = { .map_memory = MAP_MEMORY_DEFAULT };
	struct held_filesystems holds = { 0 };

	cli_init(argv[0]);
	parse_command_line(argc, argv, &opt);
	if (stdout_overlaps(NULL))
		die("refusing to write the stream to standard output: it is the stream being read (standard input)");
	check_stdout_content(&holds, &opt);
	stdio_setup_pipes();
	csum_init();
	sanitize_stream(STDIN_FILENO, STDOUT_FILENO, &opt);
	return 0;
}
