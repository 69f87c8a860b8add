#include "filter.h"
#include "block.h"
#include "btrfs.h"
#include "csum.h"
#include "datacheck.h"
#include "le.h"
#include "msg.h"
#include "placement.h"
#include "readable.h"
#include "seal.h"
#include "stream.h"
#include "superscrub.h"
#include "xio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void report_wiped(const struct block_sanitizer *bs)
{
	uint64_t wiped = bs->wiped_flagged + bs->wiped_csum + bs->wiped_unreadable + bs->wiped_copies;
	char copies[96] = "";

	if (bs->wiped_copies)
		snprintf(copies, sizeof(copies), ", %llu whose directory log ranges could not follow the short names",
			 (unsigned long long)bs->wiped_copies);
	if (wiped)
		warn("%llu tree blocks could not be trusted or read in full: zeroed after their headers and flagged "
		     "DAMAGED (%llu flagged damaged upstream, %llu with a checksum mismatch, %llu that could not be "
		     "read in full%s)",
		     (unsigned long long)wiped, (unsigned long long)bs->wiped_flagged,
		     (unsigned long long)bs->wiped_csum, (unsigned long long)bs->wiped_unreadable, copies);
}

/* "COUNT WHAT" as a warning or a note, when count is not 0. */
static void report_count(int warning, uint64_t count, const char *what)
{
	if (!count)
		return;
	if (warning)
		warn("%llu %s", (unsigned long long)count, what);
	else
		note("%llu %s", (unsigned long long)count, what);
}

static void report(const struct sanitize_options *opt, const struct name_stats *ns, const struct name_stats *xs,
		   const struct leaf_stats *ls, uint64_t pointers_moved)
{
	if (opt->verbose && (ns->spilled || xs->spilled))
		note("the name maps passed their memory (--map-memory %llu): %llu names and %llu xattr names went to "
		     "temporary files, %llu and %llu lookups were answered from them",
		     (unsigned long long)opt->map_memory, (unsigned long long)ns->spilled,
		     (unsigned long long)xs->spilled, (unsigned long long)ns->read_back,
		     (unsigned long long)xs->read_back);
	report_count(1, ns->hash_lost,
		     "distinct names got random replacements whose hash does not fit their keys (no other "
		     "printable name of the same length has their hash, or none fits between the neighbouring "
		     "keys): btrfs check reports those DIR_ITEM keys and the kernel refuses the leaves that "
		     "hold them");
	report_count(0, ns->wide_placed,
		     "distinct names of 1 to 4 bytes have no printable replacement whose hash fits between "
		     "their neighbouring keys: theirs use a space or bytes 0x80..0xFF");
	report_count(1, ns->kept_tight,
		     "distinct names of 1 to 3 bytes were kept as they are: no other name of their length has "
		     "a hash that fits between the neighbouring keys");
	report_count(0, ns->wide_collisions,
		     "distinct 5-byte names have no printable name with their hash: their replacements keep "
		     "the hash with a space or bytes 0x80..0xFF");
	report_count(1, ns->kept_short, "distinct names of 1 to 4 bytes were kept as they are (--keep-short)");
	report_count(1, ns->non_printable,
		     "distinct names needed non-printable replacement bytes (more distinct names of their "
		     "length than printable ones)");
	report_count(1, ns->kept_full,
		     "distinct names of 1 or 2 bytes were kept as they are: every other name of their length "
		     "is in use");
	if (opt->verbose)
		note("%llu distinct xattr names, %llu kept whole (names the kernel defines, or no replacement with "
		     "their hash)",
		     (unsigned long long)xs->distinct, (unsigned long long)xs->kept_xattr);
	if (opt->verbose)
		note("%llu distinct names (%llu of 1 to 4 bytes moved with their keys: %llu item keys, %llu "
		     "node pointers, %llu keys in tree block extent items cleared), %llu name occurrences "
		     "replaced, %llu xattr values, %llu inline extents and %llu verity or obsolete checksum "
		     "items zeroed, %llu garbage transids reset, %llu inode items with stale reserved bytes, "
		     "%llu other items with undefined bytes set, %llu tree blocks changed",
		     (unsigned long long)ns->distinct, (unsigned long long)ns->placed,
		     (unsigned long long)ls->rekeyed, (unsigned long long)pointers_moved,
		     (unsigned long long)ls->info_keys, (unsigned long long)ls->names,
		     (unsigned long long)ls->xattr_values, (unsigned long long)ls->inline_extents,
		     (unsigned long long)ls->opaque, (unsigned long long)ls->transids, (unsigned long long)ls->reserved,
		     (unsigned long long)ls->undefined, (unsigned long long)ls->blocks_changed);
}

/* -ss: the copies of name hashes that followed their keys, and those hidden. */
static void report_copies(const struct hash_copies *hc, int verbose)
{
	uint64_t moved, hidden, bounds;

	hash_copies_counts(hc, &moved, &hidden, &bounds);
	if (verbose)
		report_count(0, moved, "drop_progress keys of subvolumes being deleted moved with the short names");
	report_count(1, hidden,
		     "drop_progress keys of subvolumes being deleted could not follow the short names (no node "
		     "pointer in the stream agrees on them): moved past where the deletion stopped, which "
		     "may leave some of those subvolumes' blocks allocated");
	if (verbose)
		report_count(0, bounds, "directory log range bounds moved with the short names");
}

struct filter {
	const struct sanitize_options *opt;
	struct block_sanitizer bs; /* its placement: -ss without --keep-short, short names move their keys */
	struct fs_info info;
	int have_info;
	struct data_check data;
	uint64_t dropped_records, dropped_bytes; /* OPTIONAL records and FS_INFO fields of later versions */
	uint8_t block[BTRFS_MAX_NODESIZE];
	uint8_t sb[BTRFS_SUPER_SIZE];
	uint8_t piece[DATA_PIECE_MAX];
	/* -ss: the blocks held back are sealed in their temporary file (seal.h), the index-th with index. */
	struct seal *seal;
	uint64_t sealed, opened;
	uint8_t held_block[BTRFS_MAX_NODESIZE];
};

/* Write a block that waits for the short names to the temporary file, sealed. */
static void hold_block(struct filter *f, struct stream_writer *held, uint64_t logical, uint64_t flags,
		       const uint8_t *bytes)
{
	memcpy(f->held_block, bytes, f->info.nodesize);
	seal_block(f->seal, f->sealed++, f->held_block, f->info.nodesize);
	stream_write_tree_block(held, logical, flags, f->held_block, f->info.nodesize);
}

/* Sanitize f->block and write it; a block it cannot trust or read in full leaves wiped and DAMAGED. */
static void put_block(struct filter *f, struct stream_writer *out, uint64_t logical, uint64_t flags)
{
	enum block_outcome outcome;
	const char *why;

	outcome = sanitize_tree_block(&f->bs, logical, f->block, !!(flags & TREE_BLOCK_FLAG_DAMAGED), &why);
	if (outcome == BLOCK_WIPED || outcome == BLOCK_ZEROED) {
		/* Blocks flagged upstream were reported there, unless their header had to go too. */
		if (outcome == BLOCK_ZEROED)
			warn("tree block %llu: %s, and its header is not this block's (address or fsid): zeroed whole",
			     (unsigned long long)logical, why);
		else if (!(flags & TREE_BLOCK_FLAG_DAMAGED))
			warn("tree block %llu: %s: zeroed after its header", (unsigned long long)logical, why);
		flags |= TREE_BLOCK_FLAG_DAMAGED;
	}
	stream_write_tree_block(out, logical, flags, f->block, f->info.nodesize);
}

/*
 * -ss: must the block wait for the short names?  Blocks that will be wiped
 * never do, but the placement learns of them (their pointer keys move).
 */
static int must_wait(struct filter *f, uint64_t logical, uint64_t flags)
{
	if (!f->bs.placement)
		return 0;
	if (block_untrusted(&f->bs, f->block, !!(flags & TREE_BLOCK_FLAG_DAMAGED))) {
		placement_wiped(f->bs.placement, logical);
		return 0;
	}
	/* Both learn from every block: no short circuit. */
	return placement_scan(f->bs.placement, logical, f->block, f->info.nodesize) |
	       hash_copies_scan(f->bs.copies, f->block, f->info.nodesize);
}

/* FS_INFO: what the block and data checks need to know, passed on marked sanitized. */
static void take_fs_info(struct filter *f, const struct record *rec, struct stream_writer *out)
{
	record_fs_info(rec, &f->info);
	if (f->opt->output_holds && held_filesystems_include(f->opt->output_holds, f->info.fsid)) {
		stream_writer_stop_forwarding(); /* not a byte into it, an ERROR record neither */
		die("refusing to write the stream to standard output: it holds the filesystem being read");
	}
	/* A later version's fields were not read: they may say anything of the source (docs/record-stream.md). */
	f->dropped_bytes += f->info.tail_len;
	f->info.tail_len = 0;
	f->bs.nodesize = f->info.nodesize;
	f->bs.sectorsize = f->info.sectorsize;
	f->bs.csum_type = f->info.csum_type;
	memcpy(f->bs.header_fsid, f->info.header_fsid, BTRFS_UUID_SIZE);
	f->bs.keep_inline_data = !!(f->info.content & CONTENT_DATA);
	f->data.file_data = f->bs.keep_inline_data;
	f->data.nodesize = f->info.nodesize;
	f->data.sectorsize = f->info.sectorsize;
	memcpy(f->data.header_fsid, f->info.header_fsid, BTRFS_UUID_SIZE);
	f->info.content |= CONTENT_SANITIZED;
	if (f->opt->mode == NAMES_SAME_HASH)
		f->info.content |= CONTENT_SANITIZED_HASHES;
	stream_write_fs_info(out, &f->info);
	f->have_info = 1;
}

/*
 * The first (with -ss, only) pass over the input.  Blocks the placement
 * must see complete go to `held` instead of out.  Returns END's damage count.
 */
static uint64_t first_pass(struct filter *f, int in_fd, struct stream_writer *out, struct stream_writer *held)
{
	struct stream_reader reader;
	struct record rec;
	uint64_t damaged;

	stream_reader_init(&reader, in_fd, "standard input");
	while (stream_read(&reader, &rec)) {
		uint64_t logical, flags;
		const uint8_t *bytes;
		size_t len;

		if (rec.type != REC_DATA)
			data_check_end_extent(&f->data);
		switch (rec.type) {
		case REC_FS_INFO:
			take_fs_info(f, &rec, out);
			break;
		case REC_SUPERBLOCK:
			if (rec.len != BTRFS_SUPER_SIZE)
				die("record %llu: SUPERBLOCK of %u bytes", (unsigned long long)rec.seq, rec.len);
			memcpy(f->sb, rec.payload, BTRFS_SUPER_SIZE);
			scrub_superblock(f->sb);
			stream_write(out, rec.type, rec.flags, f->sb, BTRFS_SUPER_SIZE, NULL, 0);
			break;
		case REC_TREE_BLOCK:
			if (!f->have_info)
				die("record %llu: TREE_BLOCK before FS_INFO", (unsigned long long)rec.seq);
			bytes = record_tree_block(&rec, f->info.nodesize, &logical, &flags);
			memcpy(f->block, bytes, f->info.nodesize);
			if (f->data.file_data)
				data_check_learn(&f->data, f->info.csum_type, logical, bytes);
			if (must_wait(f, logical, flags))
				hold_block(f, held, logical, flags, bytes);
			else
				put_block(f, out, logical, flags);
			break;
		case REC_DATA:
			if (!f->have_info)
				die("record %llu: DATA before FS_INFO", (unsigned long long)rec.seq);
			bytes = record_data(&rec, &logical, &flags, &len);
			memcpy(f->piece, bytes, len);
			data_check_record(&f->data, logical, flags, f->piece, len);
			stream_write_data(out, logical, flags, f->piece, len);
			break;
		case REC_CHUNK:
			stream_write(out, rec.type, rec.flags, rec.payload, rec.len, NULL, 0);
			break;
		default:
			/* An OPTIONAL record of a later version: not read, so not passed on (privacy fails closed). */
			f->dropped_records++;
			f->dropped_bytes += rec.len;
			break;
		}
	}
	data_check_end_extent(&f->data);
	damaged = stream_reader_damaged(&reader);
	stream_reader_free(&reader);
	return damaged;
}

/* The blocks held back, once every short name has its place. */
static void second_pass(struct filter *f, int held_fd, struct stream_writer *out)
{
	struct stream_reader reader;
	struct record rec;

	if (lseek(held_fd, 0, SEEK_SET) != 0)
		die("cannot rewind the temporary file:");
	stream_reader_init(&reader, held_fd, "the temporary file");
	while (stream_read(&reader, &rec)) {
		uint64_t logical, flags;
		const uint8_t *bytes;

		if (rec.type != REC_TREE_BLOCK)
			die("temporary file: unexpected %s record", record_type_name(rec.type));
		bytes = record_tree_block(&rec, f->info.nodesize, &logical, &flags);
		memcpy(f->block, bytes, f->info.nodesize);
		seal_block(f->seal, f->opened++, f->block, f->info.nodesize);
		put_block(f, out, logical, flags);
	}
	stream_reader_free(&reader);
}

void sanitize_stream(int in_fd, int out_fd, const struct sanitize_options *opt)
{
	struct filter *f = xcalloc(1, sizeof(*f));
	struct stream_writer out;

	f->opt = opt;
	/* Most names are file names: xattr names get an eighth of the memory. */
	f->bs.map = name_map_new(opt->mode, opt->keep_short, 0, opt->seed, opt->map_memory - opt->map_memory / 8);
	f->bs.xattr_map = name_map_new(opt->mode, 0, 1, opt->seed ^ 0x78617474725F6E6DULL, opt->map_memory / 8);
	if (opt->odometer)
		name_map_use_odometer(f->bs.map);
	if (opt->mode == NAMES_SAME_HASH && !opt->keep_short) {
		f->bs.placement = placement_new();
		f->bs.copies = hash_copies_new();
	}

	stream_writer_init(&out, out_fd);
	stream_writer_forward_errors(&out);
	if (f->bs.placement) {
		struct stream_writer held;
		int held_fd = temp_file_open("blocks waiting for the short names");

		f->seal = seal_new();
		stream_writer_init(&held, held_fd);
		out.damaged = first_pass(f, in_fd, &out, &held);
		stream_write_end(&held);
		stream_writer_free(&held);
		placement_assign(f->bs.placement, f->bs.map);
		hash_copies_resolve(f->bs.copies, f->bs.placement, f->bs.map);
		second_pass(f, held_fd, &out);
		close(held_fd);
		seal_free(f->seal);
	} else {
		out.damaged = first_pass(f, in_fd, &out, NULL);
	}
	stream_write_end(&out);
	stream_writer_free(&out);
	report_wiped(&f->bs);
	if (f->dropped_bytes)
		warn("%llu records and FS_INFO fields of a later stream version left out (%llu bytes): this version "
		     "cannot tell what they hold",
		     (unsigned long long)f->dropped_records, (unsigned long long)f->dropped_bytes);
	if (f->data.extents_zeroed)
		warn("%llu data extents held bytes no check could pass: %llu bytes zeroed",
		     (unsigned long long)f->data.extents_zeroed, (unsigned long long)f->data.bytes_zeroed);
	report(opt, name_map_stats(f->bs.map), name_map_stats(f->bs.xattr_map), &f->bs.stats,
	       f->bs.placement ? placement_pointers_moved(f->bs.placement) : 0);
	if (f->bs.placement) {
		report_copies(f->bs.copies, opt->verbose);
		placement_free(f->bs.placement);
		hash_copies_free(f->bs.copies);
	}
	name_map_free(f->bs.map);
	name_map_free(f->bs.xattr_map);
	free(f);
}
