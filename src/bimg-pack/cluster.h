/*
 * The cluster being written (docs/image-format.md): an index block, then the
 * payloads of its items in order, then zero padding to 1024 bytes.  The
 * index comes first but is known only once the last payload is, so the
 * payloads wait, in a bounded way whatever their size:
 *
 *   - a seekable output (an image file or a block device): each payload
 *     is written at once, after a reserved index block that is filled in
 *     with pwrite when the cluster is complete;
 *   - a pipe or standard output: payloads are held in memory up to
 *     CLUSTER_MEMORY bytes, the rest in an unlinked file in $TMPDIR, and
 *     copied out after the index.  A v0 cluster (83 x 256 KiB at most)
 *     always fits in memory.
 */
#ifndef BIMG_PACK_CLUSTER_H
#define BIMG_PACK_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

struct cluster;

/* version 0 or 1; compressed sets the index's compress byte. */
struct cluster *cluster_create(int version, int compressed);

/* Add a whole payload; takes bytes (from malloc) over. */
void cluster_add(struct cluster *c, uint64_t bytenr, uint8_t *bytes, size_t len);

/* Add a payload in pieces: begin, any number of writes, end. */
void cluster_begin_item(struct cluster *c, uint64_t bytenr);
void cluster_item_write(struct cluster *c, const uint8_t *bytes, size_t len);
void cluster_end_item(struct cluster *c);

/* Write the last, partial cluster and free everything. */
void cluster_finish(struct cluster *c);

#endif
