/* --rescue: damaged tree blocks copied or left out, reported once each, counted. */
#ifndef BIMG_SCAN_RESCUE_H
#define BIMG_SCAN_RESCUE_H

#include "blockio.h"
#include "devices.h"

#include <stdint.h>

/*
 * A block read_tree_block_try() found damaged, met by a walk or a cursor.
 * Reported (once per block) and counted; with offer (the block is due in
 * the stream here) and --rescue=copy, its bad copy is offered.  Dies as
 * read_tree_block() would when not rescuing.
 */
void rescue_block(struct scan_fs *fs, uint64_t logical, const uint8_t *block, const struct block_damage *damage,
		  int offer);
/* The summary line; returns the exit status (2 if anything was damaged or left out). */
int rescue_report(struct scan_fs *fs);

#endif
