/*
 * bimg-unpack: read a btrfs-image file and write the record stream.
 *
 *   bimg-unpack [-t N] [--progress|--no-progress] [IMAGE|-]
 *                                         image -> record stream on stdout
 *   bimg-unpack --info [IMAGE|STREAM|-]   summary of an image or a stream
 *   bimg-unpack --list [IMAGE|STREAM|-]   one line per record
 *   bimg-unpack --verify [--json] [IMAGE|STREAM|-]
 *                                         is it complete and sound? a report
 *
 * The image is read strictly sequentially (pipes work) and every index
 * block and item is validated before use; see docs/man/bimg-unpack.1.
 */
#include "cli.h"
#include "csum.h"
#include "image.h"
#include "input.h"
#include "msg.h"
#include "ordered_pool.h"
#include "progress.h"
#include "samefile.h"
#include "sink.h"
#include "unpack.h"
#include "verify.h"
#include "xio.h"

#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 32

static const char usage_text[] =
	"Usage: bimg-unpack [-t N] [--progress | --no-progress] [--info | --list] [IMAGE|-]\n"
	"       bimg-unpack --verify [--json] [-t N] [IMAGE|STREAM|-]\n"
	"Read a btrfs-image file (format 0 or 1) and write the bimg record stream to\n"
	"standard output.  IMAGE defaults to standard input.\n"
	"\n"
	"  -t, --threads N    inflate on N threads (1..32; default: online CPUs)\n"
	"      --progress     show a progress line on stderr even if it is not a terminal\n"
	"      --no-progress  never show it (default: only when stderr is a terminal)\n"
	"      --info         print a summary instead of the stream\n"
	"      --list         print one line per record instead of the stream\n"
	"      --verify       check that every block the filesystem reaches is there and\n"
	"                     sound; print a report, exit 0 if sound, 1 if not\n"
	"      --json         with --verify: the report as JSON\n"
	"                     (--info, --list and --verify also read a record stream)\n"
	"      --help         show this help\n"
	"      --version      show the version\n";

struct unpack_options {
	enum sink_mode mode;	     /* --info, --list, --verify, or the stream */
	int json;		     /* --json */
	unsigned threads;	     /* -t */
	enum progress_mode progress; /* --progress, --no-progress */
	const char *path;	     /* IMAGE, STREAM or "-" */
};

static void parse_command_line(int argc, char **argv, struct unpack_options *opt)
{
	enum { OPT_INFO = 256, OPT_LIST, OPT_VERIFY };
	const struct option options[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "info", no_argument, NULL, OPT_INFO },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "json", no_argument, &opt->json, 1 },
		CLI_PROGRESS_OPTIONS,
		CLI_COMMON_OPTIONS,
		CLI_END_OPTIONS,
	};
	int c;

	while ((c = getopt_long(argc, argv, ":t:", options, NULL)) != -1) {
		switch (c) {
		case 't':
			opt->threads = cli_threads(optarg, "-t", MAX_THREADS);
			break;
		case OPT_INFO:
		case OPT_LIST:
		case OPT_VERIFY:
			if (opt->mode != SINK_STREAM)
				usage_error("--info, --list and --verify exclude each other");
			opt->mode = c == OPT_INFO ? SINK_INFO : c == OPT_LIST ? SINK_LIST : SINK_VERIFY;
			break;
		default:
			cli_common_option(c, argv, usage_text, &opt->progress);
		}
	}
	if (argc - optind > 1)
		usage_error("one input at most, got %d", argc - optind);
	if (opt->json && opt->mode != SINK_VERIFY)
		usage_error("--json goes with --verify");
	if (optind < argc)
		opt->path = argv[optind];
	if (!opt->threads)
		opt->threads = online_cpus(MAX_THREADS);
}

int main(int argc, char **argv)
{
	struct unpack_options opt = { .mode = SINK_STREAM, .progress = PROGRESS_AUTO, .path = "-" };
	struct progress progress;
	struct record_sink sink;
	struct input in;
	const char *what;

	cli_init(argv[0]);
	/*
	 * Items are inflated into buffers of up to a few MiB, freed right
	 * after: returned to the kernel each time, they cost a page fault per
	 * 4 KiB on the next item (four times the CPU of the inflation itself).
	 * What is kept is bounded by the items in flight (docs/design.md).
	 */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	parse_command_line(argc, argv, &opt);
	stdio_setup_pipes();
	csum_init();

	if (stdout_overlaps(opt.path))
		die("refusing to write the stream to standard output: it is the image being read (%s)",
		    strcmp(opt.path, "-") != 0 ? opt.path : "standard input");
	/* What a pipe into standard input reads, no name shows (cat X | bimg-unpack 1<>X). */
	what = opt.mode == SINK_STREAM ? stdout_image_or_stream() : NULL;
	if (what)
		die("refusing to write the stream to standard output: it holds %s, perhaps the one being read", what);
	/* The stream starts first, so that even "cannot open IMAGE" reaches downstream as an ERROR record. */
	sink_init(&sink, opt.mode);
	input_open(&in, opt.path);
	if (opt.mode == SINK_VERIFY)
		sink_verify(&sink, verifier_new(in.name, stdout, opt.json ? VERIFY_REPORT_JSON : VERIFY_REPORT_FULL));
	if (in.npeek == 8 && memcmp(in.peek, STREAM_MAGIC, 8) == 0) {
		if (opt.mode == SINK_STREAM)
			die("%s: input is already a record stream (use --info or --list to inspect it)", in.name);
		unpack_stream(&in, &sink);
	} else {
		/* --list and --info write text for a reader: no status line among it */
		progress_init(&progress, progname, fd_size(in.fd),
			      opt.mode == SINK_STREAM || opt.mode == SINK_VERIFY ? opt.progress : PROGRESS_OFF);
		unpack_image(&in, opt.threads, &sink, &progress);
	}
	input_close(&in);
	return sink.exit_status;
}
