/* The default order: tree blocks (and, with -d, data extents) as the extent tree lists them. */
#ifndef BIMG_SCAN_EXTENT_MODE_H
#define BIMG_SCAN_EXTENT_MODE_H

#include "devices.h"

void offer_from_extent_tree(struct scan_fs *fs);

#endif
