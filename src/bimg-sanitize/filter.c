#include "filter.h"

#include <string.h>

#include "btrfs.h"
#include "csum.h"
#include "le.h"
#include "leaf.h"
#include "msg.h"
#include "stream.h"

/*
 * The label is free text chosen by the owner (often a host or project
 * name) and nothing in the filesystem refers to it, so it is cleared.
 */
static void clear_label(uint8_t *sb)
{
	unsigned csum_type = get_le16(sb, SB_CSUM_TYPE);
	int blank = 1;

	for (size_t i = 0; i < BTRFS_LABEL_SIZE; i++)
		blank &= sb[SB_LABEL + i] == 0;
	if (blank)
		return;
	memset(sb + SB_LABEL, 0, BTRFS_LABEL_SIZE);
	if (csum_size(csum_type))
		csum_block_set(csum_type, sb, BTRFS_SUPER_SIZE);
}

static void report(const struct sanitize_options *opt, const struct name_stats *ns, const struct name_stats *xs,
		   const struct leaf_stats *ls)
{
	if (ns->hash_lost)
		warn("%llu distinct names could not keep their name hash (no other printable name of the same "
		     "length has it; always so for names of 1 to 4 bytes) and got random replacements: "
		     "their DIR_ITEM keys no longer match, so btrfs check reports them and the kernel refuses "
		     "the leaves that hold them%s",
		     (unsigned long long)ns->hash_lost, opt->keep_short ? "" : " (--keep-short keeps names under 5 bytes instead)");
	if (ns->wide_collisions)
		note("%llu distinct 5-byte names have no printable name with their hash: their replacements "
		     "keep the hash with a space or bytes 0x80..0xFF",
		     (unsigned long long)ns->wide_collisions);
	if (ns->kept_short)
		warn("%llu distinct names of 1 to 4 bytes were kept as they are (--keep-short)",
		     (unsigned long long)ns->kept_short);
	if (ns->non_printable)
		warn("%llu distinct names needed non-printable replacement bytes (more distinct names of their "
		     "length than printable ones)",
		     (unsigned long long)ns->non_printable);
	if (ns->not_injective)
		warn("%llu distinct names share a replacement with another name (every name of their length "
		     "is in use)",
		     (unsigned long long)ns->not_injective);
	if (ls->malformed)
		warn("%llu malformed items or leaves were left partly unsanitized: the name bytes past their "
		     "bounds were not recognised as names",
		     (unsigned long long)ls->malformed);
	if (opt->verbose)
		note("%llu distinct xattr names, %llu kept whole (not user.* or trusted.*, or no replacement with "
		     "their hash)",
		     (unsigned long long)xs->distinct, (unsigned long long)xs->kept_xattr);
	if (opt->verbose)
		note("%llu distinct names, %llu name occurrences replaced, %llu xattr values and %llu inline "
		     "extents zeroed, %llu garbage transids reset, %llu inode items with stale reserved bytes, "
		     "%llu tree blocks changed",
		     (unsigned long long)ns->distinct, (unsigned long long)ls->names,
		     (unsigned long long)ls->xattr_values, (unsigned long long)ls->inline_extents,
		     (unsigned long long)ls->transids, (unsigned long long)ls->reserved,
		     (unsigned long long)ls->blocks_changed);
}

void sanitize_stream(int in_fd, int out_fd, const struct sanitize_options *opt)
{
	struct stream_reader reader;
	struct stream_writer writer;
	struct record rec;
	struct fs_info info;
	struct leaf_stats stats = { 0 };
	struct name_map *map = name_map_new(opt->mode, opt->keep_short, 0, opt->seed);
	struct name_map *xattr_map = name_map_new(opt->mode, 0, 1, opt->seed ^ 0x78617474725F6E6DULL);
	int have_info = 0;
	uint8_t block[BTRFS_MAX_NODESIZE];
	uint8_t sb[BTRFS_SUPER_SIZE];

	stream_reader_init(&reader, in_fd, "standard input");
	stream_writer_init(&writer, out_fd);
	stream_writer_forward_errors(&writer);

	while (stream_read(&reader, &rec)) {
		uint64_t logical, flags;
		const uint8_t *bytes;
		size_t len;

		switch (rec.type) {
		case REC_FS_INFO:
			record_fs_info(&rec, &info);
			info.content |= CONTENT_SANITIZED;
			if (opt->mode == NAMES_SAME_HASH)
				info.content |= CONTENT_SANITIZED_HASHES;
			stream_write_fs_info(&writer, &info);
			have_info = 1;
			break;
		case REC_SUPERBLOCK:
			if (rec.len != BTRFS_SUPER_SIZE)
				die("record %llu: SUPERBLOCK of %u bytes", (unsigned long long)rec.seq, rec.len);
			memcpy(sb, rec.payload, BTRFS_SUPER_SIZE);
			clear_label(sb);
			stream_write(&writer, rec.type, rec.flags, sb, BTRFS_SUPER_SIZE, NULL, 0);
			break;
		case REC_TREE_BLOCK: {
			int csum_was_ok;

			if (!have_info)
				die("record %llu: TREE_BLOCK before FS_INFO", (unsigned long long)rec.seq);
			bytes = record_tree_block(&rec, info.nodesize, &logical, &flags);
			memcpy(block, bytes, info.nodesize);
			/* A damaged block keeps a bad checksum bad: sanitizing must not make it look sound. */
			csum_was_ok = !(flags & TREE_BLOCK_FLAG_DAMAGED) ||
				      csum_block_ok(info.csum_type, block, info.nodesize);
			if (sanitize_block(map, xattr_map, block, info.nodesize, !!(info.content & CONTENT_DATA),
					   &stats) &&
			    csum_was_ok)
				csum_block_set(info.csum_type, block, info.nodesize);
			stream_write_tree_block(&writer, logical, flags, block, info.nodesize);
			break;
		}
		case REC_DATA:
			bytes = record_data(&rec, &logical, &flags, &len);
			stream_write_data(&writer, logical, flags, bytes, len);
			break;
		default:
			stream_write(&writer, rec.type, rec.flags, rec.payload, rec.len, NULL, 0);
			break;
		}
	}
	/* stream_read() returned the END record: carry its damage count on. */
	writer.damaged = get_le64(rec.payload, END_DAMAGED);
	stream_write_end(&writer);
	report(opt, name_map_stats(map), name_map_stats(xattr_map), &stats);
	name_map_free(map);
	name_map_free(xattr_map);
}
