/*
 * bimg-scan [-w | -d] [--rescue=copy|skip] [--progress | --no-progress] DEVICE...
 *
 * Read a btrfs filesystem (never writing to it) and write its metadata to
 * standard output as a bimg record stream, in exactly the order in which
 * btrfs-image offers it: the superblock, the chunks, the tree blocks
 * (extent-tree order, or tree-walk order with -w), the log trees, and the
 * v1 free space cache.  With -d every data extent as well, in logical
 * order among the tree blocks.  With --rescue, tree blocks with no good
 * copy are copied as read or left out instead of stopping the dump (exit
 * status 2).  See bimg-scan(1).
 *
 * The pieces, in the order main() uses them (each x.c with its x.h):
 *   devices       struct scan_fs; open the devices, pick the superblock, warn if mounted
 *   chunks        chunk map from the system chunk array, then the chunk tree
 *   blockio       logical reads: tree blocks (all copies tried) and data
 *   cursor        a bounded path through one tree, in key order
 *   offer         what is offered becomes records (tree blocks scrubbed)
 *   scrub         what the reference changes in each tree block
 *   extent_mode   tree blocks (and, with -d, data extents) from the extent tree
 *   walk          tree blocks by walking the trees (-w), and the log tree
 *   space_cache   the v1 free space cache extents
 *   log_data      with -d, data extents only the log trees refer to
 *   rescue        --rescue: damaged tree blocks copied or left out, counted
 *   total         --progress: the total from the block group items
 */
#include "blockio.h"
#include "chunks.h"
#include "cli.h"
#include "csum.h"
#include "cursor.h"
#include "devices.h"
#include "extent_mode.h"
#include "hashmap.h"
#include "msg.h"
#include "rescue.h"
#include "samefile.h"
#include "space_cache.h"
#include "total.h"
#include "walk.h"
#include "xio.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"Usage: bimg-scan [-w | -d] [--rescue=copy|skip] [--progress | --no-progress] DEVICE...\n"
	"Read a btrfs filesystem read-only and write its metadata as a bimg record stream\n"
	"to standard output (for bimg-sanitize or bimg-pack).\n"
	"\n"
	"  -w, --walk     find tree blocks by walking the trees instead of the extent tree\n"
	"  -d, --data     also dump every data extent, and keep inline file data (image\n"
	"                 format 1); conflicts with -w\n"
	"      --rescue=copy  a tree block with no good copy does not stop the dump: it is\n"
	"                 copied as read (checksum kept, flagged DAMAGED) and what is below\n"
	"                 it is not followed; exit status 2 if any block was damaged\n"
	"      --rescue=skip  the same, but damaged blocks are left out\n"
	"      --progress     a status line on stderr (default: only if it is a terminal)\n"
	"      --no-progress  no status line\n"
	"      --help     print this help and exit\n"
	"      --version  print the version and exit\n"
	"\n"
	"DEVICE: every device of the filesystem (image files or block devices); the\n"
	"superblock of the first one is used.\n"
	"\n"
	"Exit status: 0 done; 1 failure; 2 (--rescue) done, but blocks were damaged.\n";

struct scan_options {
	int walk;		       /* -w */
	int dump_data;		       /* -d */
	enum rescue_mode rescue;       /* --rescue */
	enum progress_mode progress;   /* --progress, --no-progress */
	char **devices;		       /* the operands */
	size_t device_count;
};

static enum rescue_mode parse_rescue(const char *arg)
{
	if (strcmp(arg, "copy") == 0)
		return RESCUE_COPY;
	if (strcmp(arg, "skip") == 0)
		return RESCUE_SKIP;
	usage_error("--rescue: '%s' is neither copy nor skip", arg);
}

static void parse_command_line(int argc, char **argv, struct scan_options *opt)
{
	enum { OPT_RESCUE = 256 };
	static const struct option options[] = {
		{ "walk", no_argument, NULL, 'w' },
		{ "data", no_argument, NULL, 'd' },
		{ "rescue", required_argument, NULL, OPT_RESCUE },
		CLI_PROGRESS_OPTIONS,
		CLI_COMMON_OPTIONS,
		CLI_END_OPTIONS,
	};
	int c;

	while ((c = getopt_long(argc, argv, ":wd", options, NULL)) != -1) {
		switch (c) {
		case 'w':
			opt->walk = 1;
			break;
		case 'd':
			opt->dump_data = 1;
			break;
		case OPT_RESCUE:
			opt->rescue = parse_rescue(optarg);
			break;
		default:
			cli_common_option(c, argv, usage_text, &opt->progress);
		}
	}
	/* The walk finds no data extents: data comes from the extent tree. */
	if (opt->walk && opt->dump_data)
		usage_error("-d conflicts with -w option");
	if (optind >= argc)
		usage_error("no device given");
	opt->devices = argv + optind;
	opt->device_count = (size_t)(argc - optind);
}

/* Checked before the first byte of the stream (an ERROR record included) goes out. */
static void refuse_stdout_onto_sources(char **paths, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (stdout_overlaps(paths[i]))
			die("refusing to write the stream to standard output: it is the source device %s", paths[i]);
}

/* FS_INFO and SUPERBLOCK: the first records of every stream. */
static void write_stream_head(struct scan_fs *fs, const struct scan_options *opt)
{
	struct fs_info info = { 0 };

	memcpy(info.fsid, fs->sb.fsid, BTRFS_UUID_SIZE);
	memcpy(info.header_fsid, fs->sb.header_fsid, BTRFS_UUID_SIZE);
	info.nodesize = fs->sb.nodesize;
	info.sectorsize = fs->sb.sectorsize;
	info.csum_type = (uint16_t)fs->sb.csum_type;
	info.content = (opt->walk ? CONTENT_WALKED : 0) | (opt->dump_data ? CONTENT_DATA : 0) |
		       (opt->rescue != RESCUE_NONE ? CONTENT_RESCUE : 0);
	info.num_devices = fs->sb.num_devices;
	info.generation = fs->sb.generation;
	stream_write_fs_info(fs->out, &info);
	stream_write(fs->out, REC_SUPERBLOCK, 0, fs->sb_raw, BTRFS_SUPER_SIZE, NULL, 0);
}

/* The tree blocks, log trees and space cache, in btrfs-image's order. */
static void offer_metadata(struct scan_fs *fs, const struct scan_options *opt)
{
	/* The blocks offered so far (walks meet shared blocks more than once): 16 to 32 bytes per block. */
	struct hashmap seen;

	hashmap_init_set(&seen);

	progress_init(&fs->progress, progname, 0, opt->progress);
	if (fs->progress.enabled)
		fs->progress.total = dump_total_bytes(fs);
	if (opt->walk)
		offer_by_walking(fs, &seen);
	else
		offer_from_extent_tree(fs);
	offer_log_tree(fs, &seen);
	/* With -d the cache extents went out with the other data extents. */
	if (!fs->dump_data)
		offer_space_cache(fs);
	stream_write_end(fs->out);
	progress_finish(&fs->progress);
	hashmap_free(&seen);
}

int main(int argc, char **argv)
{
	struct scan_options opt = { .rescue = RESCUE_NONE, .progress = PROGRESS_AUTO };
	struct scan_fs fs = { 0 };
	struct stream_writer out;
	int status;

	cli_init(argv[0]);
	parse_command_line(argc, argv, &opt);
	refuse_stdout_onto_sources(opt.devices, opt.device_count);
	stdio_setup_pipes();
	csum_init();

	/* From here on a failure also reaches the next stage, as an ERROR record. */
	stream_writer_init(&out, STDOUT_FILENO);
	stream_writer_forward_errors(&out);
	fs.out = &out;
	fs.dump_data = opt.dump_data;
	hashmap_init_set(&fs.damaged_blocks);
	devices_open(&fs, opt.devices, opt.device_count);
	write_stream_head(&fs, &opt);

	chunk_map_init(&fs.map);
	chunks_load(&fs);
	/* Without the chunk tree or the root tree's root nothing can be rescued: both fail as usual. */
	check_root_tree(&fs);
	fs.rescue = opt.rescue;
	offer_metadata(&fs, &opt);
	status = rescue_report(&fs);

	hashmap_free(&fs.damaged_blocks);
	blockio_free();
	chunk_map_free(&fs.map);
	devices_close(&fs);
	stream_writer_free(&out);
	return status;
}
