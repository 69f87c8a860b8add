#include "block.h"
#include "btrfs.h"
#include "csum.h"
#include "le.h"
#include "msg.h"
#include "readable.h"
#include "tree.h"

#include <string.h>

static const char why_flagged[] = "flagged damaged in the stream";
static const char why_csum[] = "checksum mismatch";

static int checksum_ok(const struct block_sanitizer *s, const uint8_t *block)
{
	/* The reference writes CRC-32C into every block it stores, whatever the filesystem's checksum. */
	return csum_block_ok(s->csum_type, block, s->nodesize) ||
	       (s->csum_type != BTRFS_CSUM_CRC32C && csum_block_is_reference_crc32c(block, s->nodesize));
}

const char *block_untrusted(const struct block_sanitizer *s, const uint8_t *block, int flagged_damaged)
{
	if (flagged_damaged)
		return why_flagged;
	if (!checksum_ok(s, block))
		return why_csum;
	return block_unreadable(block, s->nodesize, s->sectorsize);
}

/* Header flags: WRITTEN and RELOC in the low bits, the backref revision in the top byte. */
#define HDR_FLAGS_KNOWN (0x3ULL | (0xffULL << 56))
#define HDR_BACKREF_SHIFT 56
/* Revisions are 0 (old backrefs) and 1 (mixed); a kernel reads any revision above 0 as 1. */
#define HDR_BACKREF_MIXED 1ULL

/* The header flags as a kernel reads them: the known bits, a revision above 1 written 1. */
static uint64_t known_flags(uint64_t flags)
{
	flags &= HDR_FLAGS_KNOWN;
	if ((flags >> HDR_BACKREF_SHIFT) > HDR_BACKREF_MIXED)
		flags = (flags & ~(0xffULL << HDR_BACKREF_SHIFT)) | HDR_BACKREF_MIXED << HDR_BACKREF_SHIFT;
	return flags;
}

/*
 * A block wiped keeps its header only when the header is this block's: its own address and the
 * filesystem's fsid.  Anything else in those 101 bytes is not a header (a pointer to garbage, a torn
 * write, a file's bytes in a mixed block group) and may hold any text, so the whole block goes.  A
 * header kept keeps its numbers (checksum, generation, owner, item count, level) but not the chunk
 * tree uuid or flag bits no kernel sets (known_flags), which nothing checks here.
 */
static enum block_outcome wipe(const struct block_sanitizer *s, uint64_t logical, uint8_t *block)
{
	if (tree_block_bytenr(block) == logical && memcmp(block + HDR_FSID, s->header_fsid, BTRFS_UUID_SIZE) == 0) {
		wipe_after_header(block, s->nodesize);
		memset(block + HDR_CHUNK_TREE_UUID, 0, BTRFS_UUID_SIZE);
		put_le64(block, HDR_FLAGS, known_flags(get_le64(block, HDR_FLAGS)));
		return BLOCK_WIPED;
	}
	memset(block, 0, s->nodesize);
	return BLOCK_ZEROED;
}

/*
 * Flag bits no kernel sets are not understood, so they do not pass as they were: 54 bits a
 * producer could fill with a short name in a block that is otherwise sound, and 7 more in a
 * backref revision above 1 (a byte of a name).  Returns 1 if any was set (and warns: the bits
 * are cleared, the revision written 1, as a kernel reads it; the block kept).
 */
static int clear_unknown_flags(uint64_t logical, uint8_t *block)
{
	uint64_t flags = get_le64(block, HDR_FLAGS);

	if (flags == known_flags(flags))
		return 0;
	if (flags & ~HDR_FLAGS_KNOWN)
		warn("tree block %llu: header flag bits no kernel sets were set: cleared", (unsigned long long)logical);
	if ((flags >> HDR_BACKREF_SHIFT) > HDR_BACKREF_MIXED)
		warn("tree block %llu: header backref revision above 1, which no kernel writes: set to 1",
		     (unsigned long long)logical);
	put_le64(block, HDR_FLAGS, known_flags(flags));
	return 1;
}

/*
 * The checksum field's bytes past the digest are no field at all: zero them.  The digest is the
 * filesystem's (kept whole in a wiped block, whose old checksum stays), or in a block passed on
 * that verifies only as the reference writes it, the reference's CRC-32C (4 bytes).  Returns 1 if
 * one changed.
 */
static int zero_checksum_tail(const struct block_sanitizer *s, uint8_t *block, int wiped)
{
	size_t digest = csum_size(s->csum_type);

	if (!wiped && digest > 4 && !csum_block_ok(s->csum_type, block, s->nodesize))
		digest = 4;
	return zero_if_set(block + HDR_CSUM + digest, BTRFS_CSUM_FIELD_SIZE - digest);
}

enum block_outcome sanitize_tree_block(struct block_sanitizer *s, uint64_t logical, uint8_t *block,
				       int flagged_damaged, const char **why)
{
	enum block_outcome wiped;
	int changed, copies_stuck = 0;

	*why = block_untrusted(s, block, flagged_damaged);
	if (!*why && s->copies)
		copies_stuck = (*why = hash_copies_unmappable(s->copies, block, s->nodesize)) != NULL;
	if (*why) {
		wiped = wipe(s, logical, block);
		zero_checksum_tail(s, block, 1);
		if (*why == why_flagged)
			s->wiped_flagged++;
		else if (*why == why_csum)
			s->wiped_csum++;
		else if (copies_stuck)
			s->wiped_copies++;
		else
			s->wiped_unreadable++;
		return wiped;
	}
	changed = sanitize_block(s->map, s->xattr_map, block, s->nodesize, s->sectorsize, s->keep_inline_data,
				 s->placement, logical, &s->stats);
	if (s->placement)
		changed |= placement_fix_node(s->placement, logical, block, s->nodesize);
	if (s->copies)
		changed |= hash_copies_fix(s->copies, block, s->nodesize);
	changed |= zero_unused_space(block, s->nodesize);
	changed |= zero_checksum_tail(s, block, 0);
	changed |= clear_unknown_flags(logical, block);
	if (!changed)
		return BLOCK_UNCHANGED;
	s->stats.blocks_changed++;
	csum_block_set(s->csum_type, block, s->nodesize);
	return BLOCK_CHANGED;
}
