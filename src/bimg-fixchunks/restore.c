/*
 * The record loop: FS_INFO, SUPERBLOCK, CHUNK records if any, then tree
 * blocks and data in any order, END.  Each item is written as soon as its
 * chunk is known, held back otherwise; the superblock goes last.
 *
 * Three placements: a single-device source goes to its one target as the
 * chunk map says; a multi-device source onto one target waits for the
 * complete map, whose layout (layout.c) then places everything, the chunk
 * and device trees being rewritten at the end (fixup.c); with -m each
 * device goes to its own target (multi.c), also once the map is complete.
 */
#include "restore.h"
#include "block_verify.h"
#include "csum.h"
#include "fixup.h"
#include "guard.h"
#include "holdback.h"
#include "layout.h"
#include "le.h"
#include "msg.h"
#include "multi.h"
#include "newfsid.h"
#include "restore_map.h"
#include "superblock.h"
#include "target.h"
#include "tree.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Warnings about items outside every chunk: the first few by address, then a count. */
#define UNMAPPED_WARNINGS 5

struct restore_state {
	const struct restore_options *opt;
	struct target *t; /* the target, or with -m the first one */
	struct target *targets;
	size_t target_count;
	int multi_source;       /* several source devices onto one target */
	int layout_done;        /* multi_source or -m: placement decided */
	struct single_layout layout;
	struct tree_fixup fixup;
	struct multi_restore *multi; /* -m */
	uint8_t *patched;            /* a block whose block group items changed */
	struct fs_info fs;
	struct super_info sbi;
	uint8_t sb[BTRFS_SUPER_SIZE];
	struct restore_map map;
	struct holdback held;
	struct verify_counts counts;
	struct fsid_change newfsid;
	uint8_t *block; /* one tree block, to check and fix before writing */
	int wrote_chunk_root, wrote_root;
	uint64_t unmapped_items;
};

static void read_fs_info(struct restore_state *st, struct stream_reader *r)
{
	struct record rec;

	if (!stream_read(r, &rec) || rec.type != REC_FS_INFO)
		die("reading stream from %s: record 0 is not FS_INFO", r->name);
	record_fs_info(&rec, &st->fs);
}

static void read_superblock(struct restore_state *st, struct stream_reader *r)
{
	struct record rec;
	const char *err;

	if (!stream_read(r, &rec) || rec.type != REC_SUPERBLOCK)
		die("reading stream from %s: record 1 is not SUPERBLOCK", r->name);
	if (rec.len != BTRFS_SUPER_SIZE)
		die("record %" PRIu64 ": SUPERBLOCK of %u bytes", rec.seq, rec.len);
	memcpy(st->sb, rec.payload, BTRFS_SUPER_SIZE);
	err = super_parse(st->sb, &st->sbi, 1);
	if (err)
		die("superblock: %s", err);
	if (st->sbi.nodesize != st->fs.nodesize || st->sbi.sectorsize != st->fs.sectorsize ||
	    st->sbi.csum_type != st->fs.csum_type || memcmp(st->sbi.fsid, st->fs.fsid, BTRFS_UUID_SIZE) ||
	    memcmp(st->sbi.header_fsid, st->fs.header_fsid, BTRFS_UUID_SIZE))
		die("superblock: does not match the stream's FS_INFO (fsid, nodesize, sectorsize or checksum type)");
}

/*
 * The image's superblock is known: the targets not claimed at open (a
 * real filesystem, any other data) are destroyed only now, and none of
 * them if one is the image's source (unless --force).
 */
static void claim_targets(struct restore_state *st)
{
	size_t i;

	for (i = 0; i < st->target_count; i++) {
		const char *why = target_holds_source(&st->targets[i], st->sb);

		if (why && !st->opt->force)
			die("%s: refusing to restore: %s", st->targets[i].path, why);
	}
	for (i = 0; i < st->target_count; i++)
		target_claim(&st->targets[i]);
}

/* Once the map is complete: where every chunk goes (multi-device sources only). */
static void ensure_layout(struct restore_state *st)
{
	if (st->layout_done || (!st->multi && !st->multi_source))
		return;
	if (st->multi)
		multi_begin(st->multi, &st->map.chunks);
	else
		layout_decide(&st->layout, &st->map.chunks, st->sb);
	st->layout_done = 1;
}

static void write_piece(struct restore_state *st, uint64_t logical, uint64_t physical, const uint8_t *bytes,
			size_t len)
{
	if (physical < BTRFS_SUPER_OFFSET + BTRFS_SUPER_SIZE && physical + len > BTRFS_SUPER_OFFSET)
		die("%s: the item at logical %" PRIu64 " would land on the primary superblock", st->t->path, logical);
	target_write(st->t, physical, bytes, len);
}

static void write_unmapped(struct restore_state *st, uint64_t logical, const uint8_t *bytes, size_t len)
{
	if (st->unmapped_items++ < UNMAPPED_WARNINGS)
		warn("no chunk maps logical %" PRIu64 " (%zu bytes): written at that address", logical, len);
	write_piece(st, logical, logical, bytes, len);
}

/* A DATA piece in a chunk without the DATA bit is a tree block that failed classification upstream. */
static void data_in_metadata_chunk(struct restore_state *st, uint64_t logical, size_t len, const struct chunk *c)
{
	if (!st->opt->ignore_bad_blocks)
		die("data at %" PRIu64 ": lies in a %s chunk, so it should be tree blocks: a damaged tree block?",
		    logical, c->type & BTRFS_BLOCK_GROUP_SYSTEM ? "system" : "metadata");
	st->counts.damaged += (len + st->fs.nodesize - 1) / st->fs.nodesize;
}

/* A SINGLE or DUP chunk on the one target: each copy is linear. */
static void write_linear(struct restore_state *st, const struct chunk *c, uint64_t logical, const uint8_t *bytes,
			 size_t len)
{
	uint64_t off = logical - c->logical;

	if (c->stripes[0].offset > UINT64_MAX - off)
		die("chunk at %" PRIu64 ": stripe offset out of range", c->logical);
	write_piece(st, logical, c->stripes[0].offset + off, bytes, len);
	if ((c->type & BTRFS_BLOCK_GROUP_DUP) && c->num_stripes > 1) {
		if (c->stripes[1].offset > UINT64_MAX - off)
			die("chunk at %" PRIu64 ": stripe offset out of range", c->logical);
		write_piece(st, logical, c->stripes[1].offset + off, bytes, len);
	}
}

/* Split at chunk boundaries of map; write each piece at its physical place(s).  Returns 0 if any was unmapped. */
static int place_pieces(struct restore_state *st, const struct chunk_map *map, enum item_kind kind, uint64_t logical,
			const uint8_t *bytes, size_t len)
{
	int mapped = 1;

	while (len) {
		const struct chunk *c = chunk_map_lookup(map, logical);
		uint64_t off;
		size_t piece;

		if (!c) {
			const struct chunk *next = chunk_map_after(map, logical);
			piece = next && next->logical - logical < len ? (size_t)(next->logical - logical) : len;
			write_unmapped(st, logical, bytes, piece);
			mapped = 0;
		} else {
			off = logical - c->logical;
			piece = c->length - off < len ? (size_t)(c->length - off) : len;
			if (kind == ITEM_DATA && !(c->type & BTRFS_BLOCK_GROUP_DATA))
				data_in_metadata_chunk(st, logical, piece, c);
			if (st->multi)
				multi_write(st->multi, c, logical, bytes, piece);
			else
				write_linear(st, c, logical, bytes, piece);
		}
		logical += piece;
		bytes += piece;
		len -= piece;
	}
	return mapped;
}

static void note_root_written(struct restore_state *st, uint64_t start)
{
	if (start == st->sbi.chunk_root)
		st->wrote_chunk_root = 1;
	if (start == st->sbi.root)
		st->wrote_root = 1;
}

/* Write an item wherever the restore mode puts it. */
static void place(void *ctx, enum item_kind kind, uint64_t logical, const uint8_t *bytes, size_t len)
{
	struct restore_state *st = ctx;
	const struct chunk_map *map = &st->map.chunks;

	if (st->opt->old_restore) {
		write_piece(st, logical, logical, bytes, len);
		if (kind == ITEM_TREE_BLOCK)
			note_root_written(st, logical);
		return;
	}
	ensure_layout(st);
	if (st->multi_source) {
		map = &st->layout.placed;
		if (kind == ITEM_TREE_BLOCK && len == st->fs.nodesize && chunk_map_lookup(map, logical)) {
			if (fixup_wants(bytes)) {
				fixup_hold(&st->fixup, logical, bytes);
				note_root_written(st, logical);
				return;
			}
			memcpy(st->patched, bytes, len);
			if (fixup_block_groups(st->patched, st->fs.nodesize, st->fs.csum_type, &st->layout))
				bytes = st->patched;
		}
	}
	if (place_pieces(st, map, kind, logical, bytes, len) && kind == ITEM_TREE_BLOCK)
		note_root_written(st, logical);
}

/* A rewritten chunk or device tree block: it lies in a chunk of the layout. */
static void place_fixed(void *ctx, uint64_t logical, const uint8_t *block)
{
	struct restore_state *st = ctx;

	place_pieces(st, &st->layout.placed, ITEM_TREE_BLOCK, logical, block, st->fs.nodesize);
}

/* Whether every byte of [logical, logical + len) has a known chunk. */
static int can_place(struct restore_state *st, uint64_t logical, size_t len)
{
	uint64_t end = logical + len;

	if (st->opt->old_restore || st->map.complete)
		return 1;
	/* A multi-device layout is decided on the complete map only. */
	if (st->multi || st->multi_source)
		return 0;
	while (logical < end) {
		const struct chunk *c = restore_map_lookup(&st->map, logical);
		if (!c)
			return 0;
		if (c->length - (logical - c->logical) >= end - logical)
			return 1;
		logical = c->logical + c->length;
	}
	return 1;
}

static void place_or_hold(struct restore_state *st, enum item_kind kind, uint64_t logical, const uint8_t *bytes,
			  size_t len)
{
	if (can_place(st, logical, len))
		place(st, kind, logical, bytes, len);
	else
		holdback_add(&st->held, kind, logical, bytes, len);
}

static void bad_tree_block(struct restore_state *st, uint64_t logical, const char *why)
{
	if (!st->opt->ignore_bad_blocks)
		die("tree block %" PRIu64 ": %s (--ignore-bad-blocks restores damaged blocks as they are)", logical,
		    why);
	st->counts.damaged++;
}

static void on_tree_block(struct restore_state *st, const struct record *rec)
{
	uint64_t logical, flags;
	const uint8_t *bytes = record_tree_block(rec, st->fs.nodesize, &logical, &flags);
	const char *err;
	int was_complete = st->map.complete;

	if (logical > UINT64_MAX - st->fs.nodesize)
		die("record %" PRIu64 ": tree block address %" PRIu64 " out of range", rec->seq, logical);
	memcpy(st->block, bytes, st->fs.nodesize);
	err = verify_tree_block(st->block, st->fs.nodesize, logical, st->fs.header_fsid, st->fs.csum_type,
				&st->counts);
	if (err) {
		bad_tree_block(st, logical, err);
	} else {
		fsid_change_tree_block(&st->newfsid, st->block, st->fs.nodesize, st->fs.csum_type);
		if (!st->opt->old_restore && (err = restore_map_see_tree_block(&st->map, st->block, logical)))
			bad_tree_block(st, logical, err);
		else if (st->multi)
			multi_see_tree_block(st->multi, st->block, st->fs.nodesize);
	}
	place_or_hold(st, ITEM_TREE_BLOCK, logical, st->block, st->fs.nodesize);
	if (!was_complete && st->map.complete)
		holdback_drain(&st->held, place, st);
}

static void on_data(struct restore_state *st, const struct record *rec)
{
	uint64_t logical, flags;
	size_t len;
	const uint8_t *bytes = record_data(rec, &logical, &flags, &len);

	place_or_hold(st, ITEM_DATA, logical, bytes, len);
}

/* What opening the target as a filesystem needs first: the roots of the chunk tree and the root tree. */
static void check_complete(struct restore_state *st)
{
	if (!st->wrote_chunk_root)
		die("%s: incomplete restore: the chunk tree root (block %" PRIu64 ") was not written", st->t->path,
		    st->sbi.chunk_root);
	if (!st->wrote_root)
		die("%s: incomplete restore: the root tree root (block %" PRIu64 ") was not written", st->t->path,
		    st->sbi.root);
}

/* Every record after the superblock: CHUNK records first, then blocks in any order, END. */
static void read_records(struct restore_state *st, struct stream_reader *r)
{
	const struct restore_options *opt = st->opt;
	struct record rec;
	int blocks_begun = 0;

	while (stream_read(r, &rec)) {
		switch (rec.type) {
		case REC_CHUNK:
			if (blocks_begun)
				die("record %" PRIu64 ": CHUNK after the first block", rec.seq);
			if (!opt->old_restore)
				restore_map_add_chunk_record(&st->map, rec.payload, rec.len, rec.seq);
			break;
		case REC_TREE_BLOCK:
		case REC_DATA:
			if (!blocks_begun && !opt->old_restore)
				restore_map_blocks_begin(&st->map);
			blocks_begun = 1;
			if (rec.type == REC_TREE_BLOCK)
				on_tree_block(st, &rec);
			else
				on_data(st, &rec);
			break;
		case REC_FS_INFO:
		case REC_SUPERBLOCK:
			die("record %" PRIu64 ": a second %s record", rec.seq, record_type_name(rec.type));
		default:
			break; /* an optional record type of a later stream version */
		}
	}
}

/* The stream is read: what is still held, the rewritten trees, sizes, then the superblock(s). */
static void finish(struct restore_state *st)
{
	const struct restore_options *opt = st->opt;
	struct target *t = st->t;

	if (!opt->old_restore && !st->map.complete)
		die("%s: incomplete restore: chunk tree block %" PRIu64 " is missing from the stream or damaged",
		    t->path, restore_map_first_missing(&st->map));
	/* Whatever is still held has no chunk: the reference writes it at its logical address too. */
	holdback_drain(&st->held, place, st);
	if (!opt->old_restore)
		ensure_layout(st);
	if (st->multi_source)
		fixup_finish(&st->fixup, &st->layout, place_fixed, st);
	if (st->unmapped_items > UNMAPPED_WARNINGS)
		warn("%" PRIu64 " items in all had no chunk and were written at their logical address",
		     st->unmapped_items);
	check_complete(st);
	if (st->multi) {
		multi_finish(st->multi, &st->fs);
		return;
	}
	if (st->multi_source)
		target_extend(t, st->layout.device_size);
	else if (!opt->old_restore)
		target_extend(t, get_le64(st->sb, SB_DEV_ITEM + DEV_ITEM_TOTAL_BYTES));
	target_sync(t);
	if (st->multi_source)
		superblock_apply_layout(st->sb, &st->layout);
	superblock_prepare(st->sb, &st->fs, opt);
	superblock_write(t, st->sb);
}

static void free_state(struct restore_state *st)
{
	holdback_free(&st->held);
	if (!st->opt->old_restore)
		restore_map_free(&st->map);
	if (st->multi_source && st->layout_done)
		layout_free(&st->layout);
	if (st->multi)
		multi_free(st->multi);
	fixup_free(&st->fixup);
	free(st->patched);
	free(st->block);
}

void restore(int in_fd, const char *in_name, struct target *targets, size_t target_count, const struct restore_options *opt)
{
	struct restore_state st;
	struct stream_reader r;

	memset(&st, 0, sizeof(st));
	st.opt = opt;
	st.t = &targets[0];
	st.targets = targets;
	st.target_count = target_count;
	/* A pipe of 1 MiB rather than 64 KiB: a sixteenth of the wake-ups between the stages (a hint only). */
	(void)fcntl(in_fd, F_SETPIPE_SZ, 1 << 20);
	stream_reader_init(&r, in_fd, in_name);
	read_fs_info(&st, &r);
	read_superblock(&st, &r);
	claim_targets(&st);
	fsid_change_init(&st.newfsid, st.sb, opt);
	fsid_change_super(&st.newfsid, st.sb);
	if (opt->multi_device)
		st.multi = multi_new(st.targets, st.target_count, st.sb);
	else if (st.sbi.num_devices > 1 && !opt->old_restore)
		st.multi_source = 1;
	st.block = xmalloc(st.fs.nodesize);
	st.patched = xmalloc(st.fs.nodesize);
	fixup_init(&st.fixup, st.fs.nodesize, st.fs.csum_type);
	holdback_init(&st.held);
	if (!opt->old_restore)
		restore_map_init(&st.map, st.sb, &st.sbi);

	read_records(&st, &r);
	finish(&st);
	guard_release();
	if (st.counts.damaged)
		note("%" PRIu64 " damaged tree blocks written as they were", st.counts.damaged);
	free_state(&st);
	stream_reader_free(&r);
}
