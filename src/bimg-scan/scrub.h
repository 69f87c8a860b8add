/* What the reference changes in each tree block it stores (docs/dump.md, Scrubbing). */
#ifndef BIMG_SCAN_SCRUB_H
#define BIMG_SCAN_SCRUB_H

#include <stdint.h>

/* Scrub and recompute the checksum; keep_inline leaves inline file data as it is (-d). */
void scrub_tree_block(uint8_t *block, uint32_t nodesize, unsigned csum_type, int keep_inline);
/* The zeroing alone, checksum left as it is; the block must pass the layout check. */
void scrub_tree_block_contents(uint8_t *block, uint32_t nodesize, int keep_inline);

#endif
