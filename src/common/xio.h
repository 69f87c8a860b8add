/*
 * Whole-buffer I/O that retries on EINTR and short transfers.
 *
 * Read failures are returned to the caller (it knows what was being read);
 * write failures to a pipe whose reader went away are reported as such,
 * because every stage ignores SIGPIPE to turn that death into an error.
 */
#ifndef BIMG_COMMON_XIO_H
#define BIMG_COMMON_XIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read up to len bytes; returns bytes read (< len only at end of file), -1 on error. */
ssize_t read_full(int fd, void *buf, size_t len);
/* pread up to len bytes at off; returns bytes read, -1 on error. */
ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off);
/* Write all of buf; 0 on success, -1 with errno on error. */
int write_full(int fd, const void *buf, size_t len);
/* pwrite all of buf at off; 0 on success, -1 with errno on error. */
int pwrite_full(int fd, const void *buf, size_t len, uint64_t off);

/* Ignore SIGPIPE and enlarge the pipes on stdin/stdout where they are pipes. */
void stdio_setup_pipes(void);

/* Open "-" as stdin, otherwise open path read-only; dies with the path on failure. */
int xopen_input(const char *path);

/*
 * An unlinked temporary file in $TMPDIR (or /tmp), open for reading and
 * writing: it vanishes with the process whatever happens.  `what` names
 * the purpose in the error message if none can be made.
 */
int temp_file_open(const char *what);

/* Size in bytes of a regular file or block device, or 0 if neither / unknown. */
uint64_t fd_size(int fd);

#endif
