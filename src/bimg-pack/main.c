/*
 * bimg-pack: read the record stream on stdin and write a btrfs-image file.
 *
 *   bimg-pack [-c 0-9] [-t 1-32] [--deflate=libdeflate|zlib] [--verify] [-o OUT]
 *
 * SUPERBLOCK, TREE_BLOCK and DATA records are offered in stream order to
 * the image writer (data extents piece by piece: memory stays bounded); FS_INFO chooses the format (1 iff it says CONTENT_DATA);
 * CHUNK records are not stored.  With --verify the records are also
 * checked as they pass (verify.h); an image that would not be complete and
 * sound is not made.  See docs/man/bimg-pack.1.
 */
#include "cli.h"
#include "csum.h"
#include "deflate.h"
#include "image.h"
#include "msg.h"
#include "ordered_pool.h"
#include "output.h"
#include "packer.h"
#include "stream.h"
#include "verify.h"
#include "xio.h"

#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 32

static const char usage_text[] =
	"Usage: bimg-pack [-c 0-9] [-t 1-32] [--deflate=libdeflate|zlib] [--verify] [-o OUT]\n"
	"Read a bimg record stream on standard input and write a btrfs-image file\n"
	"(byte-identical to btrfs-image's for the same blocks at -c0, or with --deflate=zlib).\n"
	"\n"
	"  -c, --compress N    deflate level 0..9 (0: store raw, the default)\n"
	"  -t, --threads N     compress on N threads (default: online CPUs, max 32)\n"
	"      --deflate CODEC libdeflate (the default: faster, other bytes, same content)\n"
	"                      or zlib (the reference's bytes); the environment variable\n"
	"                      BIMG_DEFLATE sets the default\n"
	"  -o, --output OUT    write OUT (default or '-': standard output); an existing\n"
	"                      device or FIFO is written in place\n"
	"      --verify        check that every block the filesystem reaches is in the\n"
	"                      stream and sound; if not, report on stderr and make no image\n"
	"      --help          show this help\n"
	"      --version       show the version\n";

/* A data extent arrives in pieces; the packer takes it piece by piece, as one range. */
struct data_extent {
	int active;
	uint64_t start, len;
};

static void end_data(struct packer *packer, struct data_extent *d)
{
	if (d->active)
		packer_end_extent(packer);
	d->active = 0;
}

static void add_data(struct packer *packer, struct data_extent *d, const struct record *rec)
{
	uint64_t logical, flags;
	size_t len;
	const uint8_t *bytes = record_data(rec, &logical, &flags, &len);

	if (flags & DATA_FLAG_CONTINUES) {
		if (!d->active || d->start + d->len != logical)
			die("record %llu: DATA continuation at %llu does not follow the extent before it",
			    (unsigned long long)rec->seq, (unsigned long long)logical);
	} else {
		end_data(packer, d);
		d->active = 1;
		d->start = logical;
		d->len = 0;
		packer_begin_extent(packer, logical);
	}
	if (d->len + len > IMAGE_MAX_PENDING_V1)
		die("record %llu: data extent at %llu is larger than an image item can hold",
		    (unsigned long long)rec->seq, (unsigned long long)d->start);
	packer_extent_bytes(packer, bytes, len);
	d->len += len;
}

static enum deflate_codec parse_codec(const char *name, const char *where)
{
	int codec = deflate_codec_parse(name);

	if (codec < 0)
		usage_error("%s: '%s' is not a deflate codec (libdeflate or zlib)", where, name);
	return (enum deflate_codec)codec;
}

/* --verify: the verifier sees each record too, once pack() has accepted it. */
static void verify_record(struct verifier *v, const struct record *rec, uint32_t nodesize)
{
	struct fs_info fs;
	uint64_t logical, flags;
	const uint8_t *bytes;
	size_t len;

	switch (rec->type) {
	case REC_FS_INFO:
		record_fs_info(rec, &fs);
		verifier_fs_info(v, &fs);
		break;
	case REC_SUPERBLOCK:
		verifier_superblock(v, rec->payload);
		break;
	case REC_CHUNK:
		verifier_chunk_record(v, rec->payload, rec->len);
		break;
	case REC_TREE_BLOCK:
		bytes = record_tree_block(rec, nodesize, &logical, &flags);
		verifier_tree_block(v, logical, flags, bytes);
		break;
	case REC_DATA:
		(void)record_data(rec, &logical, &flags, &len);
		verifier_data(v, logical, flags, len);
		break;
	}
}

/*
 * The verdict, before the image is finished: a stream that is not sound
 * makes no image (the temporary output goes with the die hooks).  A
 * --rescue stream is incomplete knowingly: reported, and packed.
 */
static void verify_verdict(struct verifier *v, uint64_t damaged)
{
	enum verify_verdict verdict;

	verifier_end_record(v, damaged);
	verdict = verifier_finish(v);
	verifier_free(v);
	if (verdict == VERIFY_PROBLEMS)
		die_silently("verify: the stream is not sound");
}

static void pack(int level, enum deflate_codec codec, unsigned threads, struct verifier *verify)
{
	struct stream_reader reader;
	struct record rec;
	struct fs_info fs;
	struct packer *packer = NULL;
	struct data_extent data = { 0 };
	int have_super = 0;
	uint64_t logical, flags;
	const uint8_t *bytes;

	stream_reader_init(&reader, STDIN_FILENO, "standard input");
	while (stream_read(&reader, &rec)) {
		if (!packer && rec.type != REC_FS_INFO)
			die("record %llu: %s before FS_INFO", (unsigned long long)rec.seq, record_type_name(rec.type));
		if (rec.type != REC_DATA)
			end_data(packer, &data);
		switch (rec.type) {
		case REC_FS_INFO:
			if (packer)
				die("record %llu: a second FS_INFO", (unsigned long long)rec.seq);
			record_fs_info(&rec, &fs);
			output_check_source(fs.fsid);
			packer = packer_create(fs.content & CONTENT_DATA ? 1 : 0, level, codec, threads);
			break;
		case REC_SUPERBLOCK:
			if (rec.len != BTRFS_SUPER_SIZE)
				die("record %llu: SUPERBLOCK of %u bytes", (unsigned long long)rec.seq, rec.len);
			if (have_super)
				die("record %llu: a second SUPERBLOCK", (unsigned long long)rec.seq);
			have_super = 1;
			packer_offer(packer, BTRFS_SUPER_OFFSET, BTRFS_SUPER_SIZE, RANGE_METADATA, rec.payload);
			break;
		case REC_TREE_BLOCK:
		case REC_DATA:
			/* The superblock must be the image's first item: restorers look for it there. */
			if (!have_super)
				die("record %llu: %s before SUPERBLOCK", (unsigned long long)rec.seq,
				    record_type_name(rec.type));
			if (rec.type == REC_DATA) {
				add_data(packer, &data, &rec);
				break;
			}
			bytes = record_tree_block(&rec, fs.nodesize, &logical, &flags);
			packer_offer(packer, logical, fs.nodesize, RANGE_METADATA, bytes);
			break;
		default: /* CHUNK and optional records are not stored in an image */
			break;
		}
		if (verify)
			verify_record(verify, &rec, fs.nodesize);
	}
	if (!packer)
		die("the stream has no FS_INFO record");
	if (!have_super)
		die("the stream has no SUPERBLOCK record");
	if (verify)
		verify_verdict(verify, stream_reader_damaged(&reader));
	end_data(packer, &data);
	stream_reader_free(&reader);
	packer_finish(packer);
}

/*
 * Every cluster frees its items (up to 83 x 256 KiB) and the next one
 * allocates as much again.  By default glibc hands such memory back to the
 * kernel and faults it in anew, zeroed: that was a third of the -c0 time.
 * Keeping it costs nothing beyond the peak we already reach.
 */
static void keep_freed_memory(void)
{
#ifdef M_TRIM_THRESHOLD
	(void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
	(void)mallopt(M_MMAP_THRESHOLD, 4 << 20);
#endif
}

struct pack_options {
	unsigned level;		  /* -c */
	unsigned threads;	  /* -t */
	enum deflate_codec codec; /* --deflate, BIMG_DEFLATE */
	const char *out;	  /* -o */
	int verify;		  /* --verify */
};

static void parse_command_line(int argc, char **argv, struct pack_options *opt)
{
	enum { OPT_DEFLATE = 256 };
	const struct option options[] = {
		{ "compress", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "deflate", required_argument, NULL, OPT_DEFLATE },
		{ "verify", no_argument, &opt->verify, 1 },
		CLI_COMMON_OPTIONS,
		CLI_END_OPTIONS,
	};
	const char *env_codec = getenv("BIMG_DEFLATE");
	int c;

	while ((c = getopt_long(argc, argv, ":c:t:o:", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			opt->level = (unsigned)cli_number(optarg, "-c", 0, 9);
			break;
		case 't':
			opt->threads = cli_threads(optarg, "-t", MAX_THREADS);
			break;
		case 'o':
			opt->out = optarg;
			break;
		case OPT_DEFLATE:
			opt->codec = parse_codec(optarg, "--deflate");
			env_codec = NULL;
			break;
		default:
			cli_common_option(c, argv, usage_text, NULL);
		}
	}
	cli_no_operands(argc, argv);
	if (env_codec && *env_codec)
		opt->codec = parse_codec(env_codec, "BIMG_DEFLATE");
	if (!opt->threads)
		opt->threads = online_cpus(MAX_THREADS);
}

int main(int argc, char **argv)
{
	struct pack_options opt = { .codec = DEFLATE_LIBDEFLATE };

	cli_init(argv[0]);
	parse_command_line(argc, argv, &opt);
	stdio_setup_pipes();
	csum_init();
	keep_freed_memory();

	output_open(opt.out);
	pack((int)opt.level, opt.codec, opt.threads,
	     opt.verify ? verifier_new("standard input", stderr, VERIFY_REPORT_BRIEF) : NULL);
	output_commit();
	return 0;
}
