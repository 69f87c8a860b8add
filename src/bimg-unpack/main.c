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
#include "csum.h"
#include "input.h"
#include "msg.h"
#include "ordered_pool.h"
#include "progress.h"
#include "sink.h"
#include "unpack.h"
#include "verify.h"
#include "xio.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 32

static void usage(FILE *out)
{
	fprintf(out, "Usage: bimg-unpack [-t N] [--progress | --no-progress] [--info | --list] [IMAGE|-]\n"
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
		     "      --version      show the version\n");
}

static unsigned parse_threads(const char *arg)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);

	if (!*arg || *end || arg[0] == '-' || n > MAX_THREADS) {
		fprintf(stderr, "%s: -t: '%s' is not a thread count (0..%d)\n", progname, arg, MAX_THREADS);
		usage(stderr);
		exit(1);
	}
	return n ? (unsigned)n : online_cpus(MAX_THREADS);
}

/* What the command line asks for. */
struct request {
	enum sink_mode mode;
	int json;
	enum progress_mode progress_mode;
	unsigned threads;
	const char *path;
};

__attribute__((noreturn)) static void usage_error(const char *what)
{
	fprintf(stderr, "%s: %s\n", progname, what);
	usage(stderr);
	exit(1);
}

static void parse_options(int argc, char **argv, struct request *r)
{
	static const struct option options[] = {
		{ "threads", required_argument, NULL, 't' }, { "info", no_argument, NULL, 'I' },
		{ "list", no_argument, NULL, 'L' },	     { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },	     { "progress", no_argument, NULL, 'P' },
		{ "no-progress", no_argument, NULL, 'N' },   { "verify", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'J' },	     { NULL, 0, NULL, 0 },
	};
	int c;

	*r = (struct request){ .mode = SINK_STREAM, .progress_mode = PROGRESS_AUTO, .path = "-" };
	while ((c = getopt_long(argc, argv, "t:", options, NULL)) != -1) {
		switch (c) {
		case 't':
			r->threads = parse_threads(optarg);
			break;
		case 'I':
		case 'L':
		case 'C':
			if (r->mode != SINK_STREAM)
				usage_error("--info, --list and --verify exclude each other");
			r->mode = c == 'I' ? SINK_INFO : c == 'L' ? SINK_LIST : SINK_VERIFY;
			break;
		case 'J':
			r->json = 1;
			break;
		case 'P':
			r->progress_mode = PROGRESS_ON;
			break;
		case 'N':
			r->progress_mode = PROGRESS_OFF;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("bimg-unpack (bimg) %s\n", BIMG_VERSION);
			exit(0);
		default:
			usage(stderr);
			exit(1);
		}
	}
	if (argc - optind > 1)
		usage_error("too many arguments");
	if (r->json && r->mode != SINK_VERIFY)
		usage_error("--json goes with --verify");
	if (optind < argc)
		r->path = argv[optind];
	if (!r->threads)
		r->threads = online_cpus(MAX_THREADS);
}

int main(int argc, char **argv)
{
	struct request r;
	struct progress progress;
	struct record_sink sink;
	struct input in;

	msg_init(argv[0]);
	parse_options(argc, argv, &r);
	stdio_setup_pipes();
	csum_init();

	/* The stream starts first, so that even "cannot open IMAGE" reaches downstream as an ERROR record. */
	sink_init(&sink, r.mode);
	input_open(&in, r.path);
	if (r.mode == SINK_VERIFY)
		sink_verify(&sink, verifier_new(in.name, stdout, r.json ? VERIFY_REPORT_JSON : VERIFY_REPORT_FULL));
	if (in.npeek == 8 && memcmp(in.peek, STREAM_MAGIC, 8) == 0) {
		if (r.mode == SINK_STREAM)
			die("%s: input is already a record stream (use --info or --list to inspect it)", in.name);
		unpack_stream(&in, &sink);
	} else {
		/* --list and --info write text for a reader: no status line among it */
		progress_init(&progress, progname, fd_size(in.fd),
			      r.mode == SINK_STREAM || r.mode == SINK_VERIFY ? r.progress_mode : PROGRESS_OFF);
		unpack_image(&in, r.threads, &sink, &progress);
	}
	input_close(&in);
	return sink.exit_status;
}
