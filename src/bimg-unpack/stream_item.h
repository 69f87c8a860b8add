/*
 * One large item, streamed: read (from the image, or from memory) and
 * inflated piece by piece into the item emitter, so that a v1 item of up
 * to 256 MiB (512 MiB inflated, at most) is never held whole.  Runs on the
 * main thread, in image order, and dies on failure with the same messages
 * as inflate_item().
 */
#ifndef BIMG_UNPACK_STREAM_ITEM_H
#define BIMG_UNPACK_STREAM_ITEM_H

#include "input.h"
#include "items.h"

/* in NULL: the stored bytes are job->stored. */
void stream_item(struct item_emitter *e, const struct item_job *job, struct input *in);

#endif
