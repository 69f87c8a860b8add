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

/*
 * Early write-out of a file that will be fsynced at the end (a restore
 * target, an image): every WRITEBACK_BATCH bytes written, the kernel is
 * asked to start writing the dirty pages (sync_file_range WRITE, which does
 * not wait), so the disk works while the program goes on and the final
 * fsync waits only for the tail.  A hint: it changes no ordering, the fsync
 * still guarantees durability and reports errors.  Where it does not apply
 * (a pipe, a filesystem without it) it turns itself off; any other failure
 * dies naming `name`.
 */
#define WRITEBACK_BATCH (8u << 20)
struct writeback {
	uint64_t unsubmitted; /* bytes written since the last start */
	int off;	      /* sync_file_range does not apply to this file */
};
void writeback_wrote(struct writeback *wb, int fd, size_t len, const char *name);

/* Size in bytes of a regular file or block device, or 0 if neither / unknown. */
uint64_t fd_size(int fd);

#endif
