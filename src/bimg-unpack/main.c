/*
 * bimg-unpack: read a btrfs-image file and write the record stream.
 *
 *   bimg-unpack [-t N] [--progress|--no-progress] [IMAGE|-]
 *                                         image -> record stream on stdout
 *   bimg-unpack --info [IMAGE|STREAM|-]   summary of an image or a stream
 *   bimg-unpack --list [IMAGE|STREAM|-]   one line per record
 *
 * The image is read strictly sequentially (pipes work) and every index
 * block and item is validated before use; see docs/man/bimg-unpack.1.
 */
#include "csum.h"
#include "input.h"
#include "msg.h"
#include "ordered_pool.h"
#include "progress.h"
#include "samefile.h"
#include "sink.h"
#include "unpack.h"
#include "xio.h"

#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 32

static void usage(void)
{
	printf("Usage: bimg-unpack [-t N] [--progress | --no-progress] [--info | --list] [IMAGE|-]\n"
		     "Read a btrfs-image file (format 0 or 1) and write the bimg record stream to\n"
		     "standard output.  IMAGE defaults to standard input.\n"
		     "\n"
		     "  -t, --threads N    inflate on N threads (1..32; default: online CPUs)\n"
		     "      --progress     show a progress line on stderr even if it is not a terminal\n"
		     "      --no-progress  never show it (default: only when stderr is a terminal)\n"
		     "      --info         print a summary instead of the stream\n"
		     "      --list         print one line per record instead of the stream\n"
		     "                     (--info and --list also read a record stream)\n"
		     "      --help         show this help\n"
		     "      --version      show the version\n");
}

static unsigned parse_threads(const char *arg)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);

	if (!*arg || *end || arg[0] == '-' || n > MAX_THREADS)
		usage_error("-t: '%s' is not a thread count (0..%d)", arg, MAX_THREADS);
	return n ? (unsigned)n : online_cpus(MAX_THREADS);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "threads", required_argument, NULL, 't' }, { "info", no_argument, NULL, 'I' },
		{ "list", no_argument, NULL, 'L' },	     { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },	     { "progress", no_argument, NULL, 'P' },
		{ "no-progress", no_argument, NULL, 'N' },   { NULL, 0, NULL, 0 },
	};
	enum sink_mode mode = SINK_STREAM;
	enum progress_mode progress_mode = PROGRESS_AUTO;
	struct progress progress;
	unsigned threads = 0;
	const char *path = "-";
	struct record_sink sink;
	struct input in;
	int c;

	msg_init(argv[0]);
	/*
	 * Items are inflated into buffers of up to a few MiB, freed right
	 * after: returned to the kernel each time, they cost a page fault per
	 * 4 KiB on the next item (four times the CPU of the inflation itself).
	 * What is kept is bounded by the items in flight (docs/design.md).
	 */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:", options, NULL)) != -1) {
		switch (c) {
		case 't':
			threads = parse_threads(optarg);
			break;
		case 'I':
		case 'L':
			if (mode != SINK_STREAM)
				usage_error("--info and --list exclude each other");
			mode = c == 'I' ? SINK_INFO : SINK_LIST;
			break;
		case 'P':
			progress_mode = PROGRESS_ON;
			break;
		case 'N':
			progress_mode = PROGRESS_OFF;
			break;
		case 'h':
			usage();
			return report_finish();
		case 'V':
			printf("bimg-unpack (bimg) %s\n", BIMG_VERSION);
			return report_finish();
		default:
			bad_option(c, argv);
		}
	}
	if (argc - optind > 1)
		usage_error("one input at most, got %d", argc - optind);
	if (optind < argc)
		path = argv[optind];
	if (!threads)
		threads = online_cpus(MAX_THREADS);
	stdio_setup_pipes();
	csum_init();

	if (stdout_overlaps(path))
		die("refusing to write the stream to standard output: it is the image being read (%s)",
		    path && strcmp(path, "-") != 0 ? path : "standard input");
	/* The stream starts first, so that even "cannot open IMAGE" reaches downstream as an ERROR record. */
	sink_init(&sink, mode);
	input_open(&in, path);
	if (in.npeek == 8 && memcmp(in.peek, STREAM_MAGIC, 8) == 0) {
		if (mode == SINK_STREAM)
			die("%s: input is already a record stream (use --info or --list to inspect it)", in.name);
		unpack_stream(&in, &sink);
	} else {
		/* --list and --info write text for a reader: no status line among it */
		progress_init(&progress, progname, fd_size(in.fd), mode == SINK_STREAM ? progress_mode : PROGRESS_OFF);
		unpack_image(&in, threads, &sink, &progress);
	}
	input_close(&in);
	return 0;
}
