/*
 * What is offered becomes records: the one way tree blocks (scrubbed) and
 * data reach the stream, in the order they are offered.
 */
#ifndef BIMG_SCAN_OFFER_H
#define BIMG_SCAN_OFFER_H

#include "devices.h"

#include <stdint.h>

void offer_tree_block(struct scan_fs *fs, uint64_t logical, const uint8_t *block);
void offer_data(struct scan_fs *fs, uint64_t logical, uint64_t len);
/* A damaged block (copy mode): scrubbed if its layout allows, checksum as read, flagged DAMAGED. */
void offer_damaged_tree_block(struct scan_fs *fs, uint64_t logical, const uint8_t *block, int layout_ok);

#endif
