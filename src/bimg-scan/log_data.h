/* With -d, the data extents only the log trees refer to. */
#ifndef BIMG_SCAN_LOG_DATA_H
#define BIMG_SCAN_LOG_DATA_H

#include "devices.h"

#include <stdint.h>

/* Offer the data extents a log leaf names that the extent tree lacks (each once). */
void offer_log_leaf_data(struct scan_fs *fs, const uint8_t *leaf);
void log_data_free(void);

#endif
