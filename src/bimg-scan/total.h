/* --progress: the total a dump will offer, known before it starts. */
#ifndef BIMG_SCAN_TOTAL_H
#define BIMG_SCAN_TOTAL_H

#include "devices.h"

#include <stdint.h>

/* Bytes the dump will offer (used bytes of the block groups), 0 if unknown. */
uint64_t dump_total_bytes(struct scan_fs *fs);

#endif
