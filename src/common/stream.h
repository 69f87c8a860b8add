/*
 * The bimg record stream: what every stage reads on stdin and writes on
 * stdout.  The format is specified in docs/record-stream.md; this is the
 * one implementation of its framing.
 *
 *   stream header (32 bytes): magic "BIMGSTRM", major, minor, compat and
 *                             incompat feature flags, crc32c of the header
 *   records: 24-byte header (type, flags, payload length, sequence number,
 *            crc32c of header and payload) + payload, ended by END
 */
#ifndef BIMG_COMMON_STREAM_H
#define BIMG_COMMON_STREAM_H

#include "btrfs.h"

#include <stddef.h>
#include <stdint.h>

#define STREAM_MAGIC "BIMGSTRM"
#define STREAM_HEADER_SIZE 32
#define STREAM_VERSION_MAJOR 1
#define STREAM_VERSION_MINOR 0
#define RECORD_HEADER_SIZE 24
/* Largest payload a reader accepts; bigger extents travel in pieces. */
#define RECORD_MAX_PAYLOAD (16u << 20)
/*
 * Largest piece of a data extent in one DATA record; record_data() refuses
 * more.  Pieces bound what a stage holds per record; extents travel as
 * several records (DATA_FLAG_CONTINUES).
 */
#define DATA_PIECE_MAX (1u << 20)

/* Record types (docs/record-stream.md section 4) */
enum record_type {
	REC_FS_INFO = 1,
	REC_SUPERBLOCK = 2,
	REC_CHUNK = 3,
	REC_TREE_BLOCK = 4,
	REC_DATA = 5,
	REC_ERROR = 14,
	REC_END = 15,
};

/* Record header flags */
#define RECORD_FLAG_OPTIONAL 0x1 /* a reader that does not know the type skips it */

/* FS_INFO payload: 64 bytes in version 1.0; a later minor version may append fields up to FS_INFO_MAX_SIZE. */
#define FS_INFO_SIZE 64
#define FS_INFO_MAX_SIZE 4096
#define FS_INFO_FSID 0
#define FS_INFO_HEADER_FSID 16
#define FS_INFO_NODESIZE 32
#define FS_INFO_SECTORSIZE 36
#define FS_INFO_CSUM_TYPE 40
#define FS_INFO_CONTENT 44
#define FS_INFO_NUM_DEVICES 48
#define FS_INFO_GENERATION 56

/* FS_INFO content flags: how the stream was made */
#define CONTENT_WALKED 0x1	       /* -w: trees walked instead of the extent tree */
#define CONTENT_SANITIZED 0x2	       /* -s: names replaced */
#define CONTENT_SANITIZED_HASHES 0x4   /* -ss: replacements keep the name hashes */
#define CONTENT_DATA 0x8	       /* -d: file data included (image format 1) */
#define CONTENT_FROM_IMAGE 0x10        /* read back from an image by bimg-unpack */
#define CONTENT_RESCUE 0x20	       /* unreadable blocks were copied or skipped */

struct fs_info {
	uint8_t fsid[BTRFS_UUID_SIZE];
	uint8_t header_fsid[BTRFS_UUID_SIZE];
	uint32_t nodesize;
	uint32_t sectorsize;
	uint16_t csum_type;
	uint32_t content;
	uint64_t num_devices;
	uint64_t generation;
	/*
	 * The bytes after the first 64 of a longer FS_INFO (fields of a later
	 * minor version): record_fs_info() keeps them and stream_write_fs_info()
	 * writes them back, so a filter forwards them without knowing them.
	 * Zero when the structure is built from scratch.
	 */
	uint32_t tail_len;
	uint8_t tail[FS_INFO_MAX_SIZE - FS_INFO_SIZE];
};

/* TREE_BLOCK and DATA payloads: 16-byte prefix, then the bytes */
#define BLOCK_PREFIX_SIZE 16
#define BLOCK_LOGICAL 0
#define BLOCK_FLAGS 8
/* TREE_BLOCK flags */
#define TREE_BLOCK_FLAG_DAMAGED 0x1 /* rescue mode: copied as read, checks failed */
/* DATA flags */
#define DATA_FLAG_CONTINUES 0x1 /* continues the extent of the previous DATA record */

/* END payload (40 bytes) */
#define END_SIZE 40
#define END_RECORDS 0
#define END_TREE_BLOCKS 8
#define END_DATA_BYTES 16
#define END_DAMAGED 24
#define END_RESERVED 32

struct record {
	uint16_t type;
	uint16_t flags;
	uint32_t len;
	uint64_t seq;
	const uint8_t *payload; /* valid until the next stream_read() */
};

struct stream_writer {
	int fd;
	uint8_t *buf;
	size_t used;
	size_t capacity;
	uint64_t seq;
	uint64_t tree_blocks;
	uint64_t data_bytes;
	uint64_t damaged; /* set by the producer (a filter: from stream_reader_damaged()); carried in END */
	int ended;
};

/* Start a stream on fd (writes the stream header into the buffer). */
void stream_writer_init(struct stream_writer *w, int fd);
/* Append one record whose payload is head followed by body (either may be empty). */
void stream_write(struct stream_writer *w, uint16_t type, uint16_t flags, const void *head, size_t head_len,
		  const void *body, size_t body_len);
/* Write END with the counts and flush. */
void stream_write_end(struct stream_writer *w);
/* Release the writer's buffer (after END; unflushed bytes are dropped). */
void stream_writer_free(struct stream_writer *w);
void stream_flush(struct stream_writer *w);
/*
 * After this, die() first writes an ERROR record carrying its message (so
 * that downstream stages stop quietly instead of reporting a truncation).
 */
void stream_writer_forward_errors(struct stream_writer *w);
/* No ERROR record after all: the output turned out to be what is read upstream. */
void stream_writer_stop_forwarding(void);

/* Convenience writers for the typed records. */
void stream_write_fs_info(struct stream_writer *w, const struct fs_info *info);
void stream_write_tree_block(struct stream_writer *w, uint64_t logical, uint64_t flags, const uint8_t *block,
			     uint32_t nodesize);
void stream_write_data(struct stream_writer *w, uint64_t logical, uint64_t flags, const uint8_t *bytes,
		       size_t len);

struct stream_reader {
	int fd;
	const char *name; /* for messages: "standard input" or a path */
	uint8_t *buf;
	size_t start, end, capacity;
	uint64_t next_seq;
	uint64_t tree_blocks;
	uint64_t data_bytes;
	uint64_t end_damaged; /* END's damaged count, once END is read */
	int ended;
	int eof;
};

/* Release the reader's buffer. */
void stream_reader_free(struct stream_reader *r);

/* Read and validate the stream header; dies with a message on failure. */
void stream_reader_init(struct stream_reader *r, int fd, const char *name);
/* The same, when the caller has already read the first bytes of fd (to sniff the input type). */
void stream_reader_init_with(struct stream_reader *r, int fd, const char *name, const void *already_read,
			     size_t already_len);
/*
 * Read the next record.  Returns 1 with *rec filled, or 0 once the END
 * record has been read and verified (its counts, then end of input); *rec
 * is then cleared (END's damaged count: stream_reader_damaged()).
 * Dies, naming the record number, on truncation, bad crc, a sequence gap,
 * an oversize length, or an unknown record type that is not optional.
 * An ERROR record from upstream (any record, the first included) ends the
 * program quietly with status 1 (the upstream stage has already reported
 * it), after the die hooks ran.
 */
int stream_read(struct stream_reader *r, struct record *rec);
/*
 * The damaged count of the END record read (after stream_read() returned
 * 0).  A filter forwards it by adding it to its writer's damaged count
 * (docs/record-stream.md section 9).
 */
uint64_t stream_reader_damaged(const struct stream_reader *r);

/* Parse helpers; each dies with the record number when the payload is malformed. */
/* FS_INFO: 64..FS_INFO_MAX_SIZE bytes; the bytes after 64 go to info->tail. */
void record_fs_info(const struct record *rec, struct fs_info *info);
/* TREE_BLOCK: logical, flags, and the block (exactly nodesize bytes). */
const uint8_t *record_tree_block(const struct record *rec, uint32_t nodesize, uint64_t *logical, uint64_t *flags);
/* DATA: logical, flags, bytes and their length (1..DATA_PIECE_MAX). */
const uint8_t *record_data(const struct record *rec, uint64_t *logical, uint64_t *flags, size_t *len);

const char *record_type_name(uint16_t type);

#endif
