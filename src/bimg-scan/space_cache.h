/* The v1 free space cache: its extents offered as data, as the reference does. */
#ifndef BIMG_SCAN_SPACE_CACHE_H
#define BIMG_SCAN_SPACE_CACHE_H

#include "devices.h"

void offer_space_cache(struct scan_fs *fs);

#endif
