#include "block.h"
#include "csum.h"
#include "readable.h"

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

enum block_outcome sanitize_tree_block(struct block_sanitizer *s, uint64_t logical, uint8_t *block,
				       int flagged_damaged, const char **why)
{
	int changed;

	*why = block_untrusted(s, block, flagged_damaged);
	if (*why) {
		wipe_after_header(block, s->nodesize);
		if (*why == why_flagged)
			s->wiped_flagged++;
		else if (*why == why_csum)
			s->wiped_csum++;
		else
			s->wiped_unreadable++;
		return BLOCK_WIPED;
	}
	changed = sanitize_block(s->map, s->xattr_map, block, s->nodesize, s->keep_inline_data, s->placement, logical,
				 &s->stats);
	if (s->placement)
		changed |= placement_fix_node(s->placement, logical, block, s->nodesize);
	changed |= zero_unused_space(block, s->nodesize);
	if (!changed)
		return BLOCK_UNCHANGED;
	s->stats.blocks_changed++;
	csum_block_set(s->csum_type, block, s->nodesize);
	return BLOCK_CHANGED;
}
