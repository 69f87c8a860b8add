/*
 * The image output: standard output, or a file written as a temporary
 * file in the same directory and renamed into place only on success (a
 * failed or interrupted run, including an upstream ERROR record, leaves
 * nothing behind; where the filesystem has O_TMPFILE the file has no name
 * before the rename, so not even SIGKILL leaves one).  A file replaced
 * keeps its mode and owner; the image is fsynced before the rename and the
 * directory after it.  An existing device, FIFO or socket is opened and
 * written in place (a block device exclusively).
 *
 * Nothing read is destroyed: an output that is the stream being read
 * (standard input, by any name), or holds the filesystem being dumped
 * (output_check_source), is refused before the first byte is written.
 */
#ifndef BIMG_PACK_OUTPUT_H
#define BIMG_PACK_OUTPUT_H

#include "btrfs.h"

#include <stddef.h>
#include <stdint.h>

/* path NULL or "-": standard output. */
void output_open(const char *path);
/* The stream's FS_INFO: die if the output holds a filesystem with this fsid (the one being dumped). */
void output_check_source(const uint8_t fsid[BTRFS_UUID_SIZE]);
void output_write(const void *buf, size_t len);
/* Bytes written so far (the file offset of the next write). */
uint64_t output_offset(void);
/*
 * 1 when bytes already written may be rewritten with output_pwrite: the
 * image file, a block device, or a standard output that is a regular file
 * opened at its start without O_APPEND.  Not a pipe, FIFO or /dev/null.
 */
int output_seekable(void);
/* Rewrite len bytes at offset (< output_offset()); only when output_seekable(). */
void output_pwrite(const void *buf, size_t len, uint64_t offset);
/* Flush and, for a file, rename it into place. */
void output_commit(void);

#endif
