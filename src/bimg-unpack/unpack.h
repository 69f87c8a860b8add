/*
 * Read a btrfs-image file cluster by cluster and turn its items into
 * records: FS_INFO and SUPERBLOCK first, then TREE_BLOCK or DATA records
 * in image order.  Inflation runs on worker threads; output stays in order.
 */
#ifndef BIMG_UNPACK_UNPACK_H
#define BIMG_UNPACK_UNPACK_H

#include "input.h"
#include "progress.h"
#include "sink.h"

/* progress: updated with the input offset as the image is read, finished at its end. */
void unpack_image(struct input *in, unsigned threads, struct record_sink *sink, struct progress *progress);

/* Feed the records of a record stream to a sink (for --info / --list). */
void unpack_stream(struct input *in, struct record_sink *sink);

#endif
