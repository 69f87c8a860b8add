#include "stream.h"
#include "crc32c.h"
#include "le.h"
#include "msg.h"
#include "xio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define WRITE_BUFFER_SIZE (1u << 20)
#define READ_CHUNK (1u << 20)

/* Stream header fields */
#define SH_MAGIC 0
#define SH_MAJOR 8
#define SH_MINOR 10
#define SH_COMPAT 12
#define SH_INCOMPAT 16
#define SH_CRC 28
/* Record header fields */
#define RH_TYPE 0
#define RH_FLAGS 2
#define RH_LEN 4
#define RH_SEQ 8
#define RH_CRC 16
#define RH_RESERVED 20

/* Incompat feature bits this reader understands (none are defined yet). */
#define STREAM_INCOMPAT_KNOWN 0u

const char *record_type_name(uint16_t type)
{
	switch (type) {
	case REC_FS_INFO:
		return "FS_INFO";
	case REC_SUPERBLOCK:
		return "SUPERBLOCK";
	case REC_CHUNK:
		return "CHUNK";
	case REC_TREE_BLOCK:
		return "TREE_BLOCK";
	case REC_DATA:
		return "DATA";
	case REC_ERROR:
		return "ERROR";
	case REC_END:
		return "END";
	default:
		return "UNKNOWN";
	}
}

/* ---- writer ---- */

static void writer_raw(struct stream_writer *w, const void *p, size_t len)
{
	if (write_full(w->fd, p, len) < 0) {
		if (errno == EPIPE)
			die_downstream_closed("writing stream");
		die("writing stream:");
	}
}

void stream_flush(struct stream_writer *w)
{
	size_t used = w->used;

	w->used = 0;
	if (used)
		writer_raw(w, w->buf, used);
}

void stream_writer_init(struct stream_writer *w, int fd)
{
	uint8_t header[STREAM_HEADER_SIZE] = { 0 };

	/* A binary stream on a terminal is never what the user meant. */
	if (isatty(fd))
		die("refusing to write the binary record stream to a terminal (redirect or pipe it)");
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->capacity = WRITE_BUFFER_SIZE;
	w->buf = xmalloc(w->capacity);
	memcpy(header + SH_MAGIC, STREAM_MAGIC, 8);
	put_le16(header, SH_MAJOR, STREAM_VERSION_MAJOR);
	put_le16(header, SH_MINOR, STREAM_VERSION_MINOR);
	put_le32(header, SH_CRC, crc32c(header, SH_CRC));
	memcpy(w->buf, header, sizeof(header));
	w->used = sizeof(header);
}

void stream_write(struct stream_writer *w, uint16_t type, uint16_t flags, const void *head, size_t head_len,
		  const void *body, size_t body_len)
{
	uint8_t header[RECORD_HEADER_SIZE] = { 0 };
	size_t len = head_len + body_len;
	uint32_t crc;

	if (len > RECORD_MAX_PAYLOAD)
		die("internal error: record of %zu bytes is too large", len);
	if (w->ended)
		die("internal error: record after END");
	put_le16(header, RH_TYPE, type);
	put_le16(header, RH_FLAGS, flags);
	put_le32(header, RH_LEN, (uint32_t)len);
	put_le64(header, RH_SEQ, w->seq);
	crc = crc32c_raw(0xFFFFFFFFu, header, sizeof(header));
	if (head_len)
		crc = crc32c_raw(crc, head, head_len);
	if (body_len)
		crc = crc32c_raw(crc, body, body_len);
	put_le32(header, RH_CRC, crc ^ 0xFFFFFFFFu);
	w->seq++;

	if (w->used + sizeof(header) + len > w->capacity)
		stream_flush(w);
	if (sizeof(header) + len > w->capacity) {
		/* Too big to buffer: write it straight through. */
		writer_raw(w, header, sizeof(header));
		if (head_len)
			writer_raw(w, head, head_len);
		if (body_len)
			writer_raw(w, body, body_len);
		return;
	}
	memcpy(w->buf + w->used, header, sizeof(header));
	w->used += sizeof(header);
	if (head_len)
		memcpy(w->buf + w->used, head, head_len);
	w->used += head_len;
	if (body_len)
		memcpy(w->buf + w->used, body, body_len);
	w->used += body_len;
}

void stream_write_end(struct stream_writer *w)
{
	uint8_t end[END_SIZE] = { 0 };

	put_le64(end, END_RECORDS, w->seq);
	put_le64(end, END_TREE_BLOCKS, w->tree_blocks);
	put_le64(end, END_DATA_BYTES, w->data_bytes);
	put_le64(end, END_DAMAGED, w->damaged);
	stream_write(w, REC_END, 0, end, sizeof(end), NULL, 0);
	w->ended = 1;
	stream_flush(w);
}

void stream_writer_free(struct stream_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->used = w->capacity = 0;
}

static struct stream_writer *forwarding_writer;

static void forward_error(const char *text)
{
	struct stream_writer *w = forwarding_writer;
	size_t len = strlen(text);

	if (!w || w->ended)
		return;
	forwarding_writer = NULL;
	/* Best effort: the pipe may be what failed, so errors are ignored here. */
	if (w->used)
		(void)write_full(w->fd, w->buf, w->used);
	w->used = 0;
	if (len > 4000)
		len = 4000;
	if (w->capacity >= RECORD_HEADER_SIZE + len) {
		stream_write(w, REC_ERROR, 0, text, len, NULL, 0);
		(void)write_full(w->fd, w->buf, w->used);
		w->used = 0;
	}
	w->ended = 1;
}

void stream_writer_forward_errors(struct stream_writer *w)
{
	forwarding_writer = w;
	msg_on_die(forward_error);
}

void stream_writer_stop_forwarding(void)
{
	forwarding_writer = NULL;
}

void stream_write_fs_info(struct stream_writer *w, const struct fs_info *info)
{
	uint8_t p[FS_INFO_SIZE] = { 0 };

	memcpy(p + FS_INFO_FSID, info->fsid, BTRFS_UUID_SIZE);
	memcpy(p + FS_INFO_HEADER_FSID, info->header_fsid, BTRFS_UUID_SIZE);
	put_le32(p, FS_INFO_NODESIZE, info->nodesize);
	put_le32(p, FS_INFO_SECTORSIZE, info->sectorsize);
	put_le16(p, FS_INFO_CSUM_TYPE, info->csum_type);
	put_le32(p, FS_INFO_CONTENT, info->content);
	put_le64(p, FS_INFO_NUM_DEVICES, info->num_devices);
	put_le64(p, FS_INFO_GENERATION, info->generation);
	if (info->tail_len > sizeof(info->tail))
		die("internal error: FS_INFO tail of %u bytes", info->tail_len);
	stream_write(w, REC_FS_INFO, 0, p, sizeof(p), info->tail, info->tail_len);
}

void stream_write_tree_block(struct stream_writer *w, uint64_t logical, uint64_t flags, const uint8_t *block,
			     uint32_t nodesize)
{
	uint8_t prefix[BLOCK_PREFIX_SIZE];

	put_le64(prefix, BLOCK_LOGICAL, logical);
	put_le64(prefix, BLOCK_FLAGS, flags);
	stream_write(w, REC_TREE_BLOCK, 0, prefix, sizeof(prefix), block, nodesize);
	w->tree_blocks++;
}

void stream_write_data(struct stream_writer *w, uint64_t logical, uint64_t flags, const uint8_t *bytes, size_t len)
{
	uint8_t prefix[BLOCK_PREFIX_SIZE];

	put_le64(prefix, BLOCK_LOGICAL, logical);
	put_le64(prefix, BLOCK_FLAGS, flags);
	stream_write(w, REC_DATA, 0, prefix, sizeof(prefix), bytes, len);
	w->data_bytes += len;
}

/* ---- reader ---- */

/* Make at least want bytes available from r->start; returns the number available. */
static size_t reader_fill(struct stream_reader *r, size_t want)
{
	while (r->end - r->start < want && !r->eof) {
		ssize_t n;
		size_t room;

		if (r->start > 0 && r->capacity - r->end < want) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->capacity - r->start < want) {
			size_t cap = r->capacity;
			while (cap - r->start < want)
				cap *= 2;
			r->buf = xrealloc(r->buf, cap);
			r->capacity = cap;
		}
		room = r->capacity - r->end;
		n = read(r->fd, r->buf + r->end, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("reading stream from %s: record %llu:", r->name, (unsigned long long)r->next_seq);
		}
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
	}
	return r->end - r->start;
}

void stream_reader_init(struct stream_reader *r, int fd, const char *name)
{
	stream_reader_init_with(r, fd, name, NULL, 0);
}

void stream_reader_init_with(struct stream_reader *r, int fd, const char *name, const void *already_read,
			     size_t already_len)
{
	const uint8_t *h;
	uint16_t major;
	uint32_t incompat;

	if (!already_len && isatty(fd))
		die("refusing to read a binary record stream from a terminal (redirect or pipe it)");
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
	r->capacity = READ_CHUNK / 4; /* grows on demand: most records are one tree block */
	r->buf = xmalloc(r->capacity);
	if (already_len > r->capacity)
		die("internal error: %zu bytes handed to the stream reader", already_len);
	if (already_len)
		memcpy(r->buf, already_read, already_len);
	r->end = already_len;
	if (reader_fill(r, STREAM_HEADER_SIZE) < STREAM_HEADER_SIZE) {
		if (r->end == 0)
			die("reading stream from %s: empty input (no stream header)", name);
		die("reading stream from %s: truncated stream header", name);
	}
	h = r->buf;
	if (memcmp(h + SH_MAGIC, STREAM_MAGIC, 8) != 0)
		die("reading stream from %s: bad magic (not a bimg record stream)", name);
	if (get_le32(h, SH_CRC) != crc32c(h, SH_CRC))
		die("reading stream from %s: stream header crc32c mismatch", name);
	major = get_le16(h, SH_MAJOR);
	if (major != STREAM_VERSION_MAJOR)
		die("reading stream from %s: unsupported stream version %u.%u (this program reads %u.x)", name,
		    major, get_le16(h, SH_MINOR), STREAM_VERSION_MAJOR);
	incompat = get_le32(h, SH_INCOMPAT);
	if (incompat & ~STREAM_INCOMPAT_KNOWN)
		die("reading stream from %s: unknown incompatible feature flags 0x%x", name,
		    incompat & ~STREAM_INCOMPAT_KNOWN);
	r->start = STREAM_HEADER_SIZE;
}

void stream_reader_free(struct stream_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->start = r->end = r->capacity = 0;
}

static void check_end(struct stream_reader *r, const struct record *rec)
{
	unsigned long long n = (unsigned long long)rec->seq;

	if (rec->len != END_SIZE)
		die("reading stream from %s: record %llu: END record of %u bytes", r->name, n, rec->len);
	if (get_le64(rec->payload, END_RECORDS) != rec->seq)
		die("reading stream from %s: record %llu: END counts %llu records, stream had %llu", r->name, n,
		    (unsigned long long)get_le64(rec->payload, END_RECORDS), n);
	if (get_le64(rec->payload, END_TREE_BLOCKS) != r->tree_blocks)
		die("reading stream from %s: record %llu: END counts %llu tree blocks, stream had %llu", r->name, n,
		    (unsigned long long)get_le64(rec->payload, END_TREE_BLOCKS),
		    (unsigned long long)r->tree_blocks);
	if (get_le64(rec->payload, END_DATA_BYTES) != r->data_bytes)
		die("reading stream from %s: record %llu: END counts %llu data bytes, stream had %llu", r->name, n,
		    (unsigned long long)get_le64(rec->payload, END_DATA_BYTES),
		    (unsigned long long)r->data_bytes);
	r->end_damaged = get_le64(rec->payload, END_DAMAGED);
}

int stream_read(struct stream_reader *r, struct record *rec)
{
	unsigned long long n = (unsigned long long)r->next_seq;
	const uint8_t *h;
	uint32_t crc;
	size_t have;

	if (r->ended)
		return 0;
	have = reader_fill(r, RECORD_HEADER_SIZE);
	if (have == 0)
		die("reading stream from %s: truncated: expected record %llu, got end of input", r->name, n);
	if (have < RECORD_HEADER_SIZE)
		die("reading stream from %s: truncated in the header of record %llu", r->name, n);
	h = r->buf + r->start;
	rec->type = get_le16(h, RH_TYPE);
	rec->flags = get_le16(h, RH_FLAGS);
	rec->len = get_le32(h, RH_LEN);
	rec->seq = get_le64(h, RH_SEQ);
	if (rec->seq != r->next_seq)
		die("reading stream from %s: record %llu out of sequence (header says %llu)", r->name, n,
		    (unsigned long long)rec->seq);
	if (rec->len > RECORD_MAX_PAYLOAD)
		die("reading stream from %s: record %llu: payload length %u exceeds the maximum %u", r->name, n,
		    rec->len, RECORD_MAX_PAYLOAD);
	if (reader_fill(r, RECORD_HEADER_SIZE + (size_t)rec->len) < RECORD_HEADER_SIZE + (size_t)rec->len)
		die("reading stream from %s: truncated in the payload of record %llu (%s)", r->name, n,
		    record_type_name(rec->type));
	h = r->buf + r->start;
	{
		uint8_t zeroed[RECORD_HEADER_SIZE];
		memcpy(zeroed, h, sizeof(zeroed));
		put_le32(zeroed, RH_CRC, 0);
		crc = crc32c_raw(0xFFFFFFFFu, zeroed, sizeof(zeroed));
		crc = crc32c_raw(crc, h + RECORD_HEADER_SIZE, rec->len) ^ 0xFFFFFFFFu;
	}
	if (crc != get_le32(h, RH_CRC))
		die("reading stream from %s: record %llu: crc32c mismatch (stored 0x%08x, computed 0x%08x)", r->name,
		    n, get_le32(h, RH_CRC), crc);
	rec->payload = h + RECORD_HEADER_SIZE;
	r->start += RECORD_HEADER_SIZE + rec->len;
	r->next_seq++;

	switch (rec->type) {
	case REC_FS_INFO:
	case REC_SUPERBLOCK:
	case REC_CHUNK:
		break;
	case REC_TREE_BLOCK:
		r->tree_blocks++;
		break;
	case REC_DATA:
		if (rec->len > BLOCK_PREFIX_SIZE)
			r->data_bytes += rec->len - BLOCK_PREFIX_SIZE;
		break;
	case REC_ERROR: {
		char text[4096];
		size_t len = rec->len < sizeof(text) - 1 ? rec->len : sizeof(text) - 1;
		memcpy(text, rec->payload, len);
		text[len] = 0;
		die_silently(text);
	}
	case REC_END:
		check_end(r, rec);
		r->ended = 1;
		if (reader_fill(r, 1) != 0)
			die("reading stream from %s: junk after the END record (record %llu)", r->name, n);
		/* END is the reader's business: callers get its damaged count from stream_reader_damaged(). */
		memset(rec, 0, sizeof(*rec));
		return 0;
	default:
		if (!(rec->flags & RECORD_FLAG_OPTIONAL))
			die("reading stream from %s: record %llu: unknown record type %u", r->name, n, rec->type);
		break;
	}
	return 1;
}

uint64_t stream_reader_damaged(const struct stream_reader *r)
{
	if (!r->ended)
		die("internal error: END's damaged count asked for before END");
	return r->end_damaged;
}

void record_fs_info(const struct record *rec, struct fs_info *info)
{
	const uint8_t *p = rec->payload;

	if (rec->len < FS_INFO_SIZE || rec->len > FS_INFO_MAX_SIZE)
		die("record %llu: FS_INFO of %u bytes (expected %u..%u)", (unsigned long long)rec->seq, rec->len,
		    FS_INFO_SIZE, FS_INFO_MAX_SIZE);
	/* Fields of a later minor version: not ours to read, but a filter passes them on. */
	info->tail_len = rec->len - FS_INFO_SIZE;
	memcpy(info->tail, p + FS_INFO_SIZE, info->tail_len);
	memcpy(info->fsid, p + FS_INFO_FSID, BTRFS_UUID_SIZE);
	memcpy(info->header_fsid, p + FS_INFO_HEADER_FSID, BTRFS_UUID_SIZE);
	info->nodesize = get_le32(p, FS_INFO_NODESIZE);
	info->sectorsize = get_le32(p, FS_INFO_SECTORSIZE);
	info->csum_type = get_le16(p, FS_INFO_CSUM_TYPE);
	info->content = get_le32(p, FS_INFO_CONTENT);
	info->num_devices = get_le64(p, FS_INFO_NUM_DEVICES);
	info->generation = get_le64(p, FS_INFO_GENERATION);
	if (info->nodesize < BTRFS_MIN_NODESIZE || info->nodesize > BTRFS_MAX_NODESIZE ||
	    (info->nodesize & (info->nodesize - 1)))
		die("record %llu: FS_INFO has invalid nodesize %u", (unsigned long long)rec->seq, info->nodesize);
	if (info->sectorsize < 4096 || info->sectorsize > 65536 || (info->sectorsize & (info->sectorsize - 1)))
		die("record %llu: FS_INFO has invalid sectorsize %u", (unsigned long long)rec->seq,
		    info->sectorsize);
	if (info->csum_type > 3)
		die("record %llu: FS_INFO has unknown checksum type %u", (unsigned long long)rec->seq,
		    info->csum_type);
}

const uint8_t *record_tree_block(const struct record *rec, uint32_t nodesize, uint64_t *logical, uint64_t *flags)
{
	if (rec->len != BLOCK_PREFIX_SIZE + nodesize)
		die("record %llu: TREE_BLOCK of %u bytes (nodesize is %u)", (unsigned long long)rec->seq, rec->len,
		    nodesize);
	*logical = get_le64(rec->payload, BLOCK_LOGICAL);
	*flags = get_le64(rec->payload, BLOCK_FLAGS);
	return rec->payload + BLOCK_PREFIX_SIZE;
}

const uint8_t *record_data(const struct record *rec, uint64_t *logical, uint64_t *flags, size_t *len)
{
	if (rec->len <= BLOCK_PREFIX_SIZE)
		die("record %llu: DATA record without data", (unsigned long long)rec->seq);
	if (rec->len - BLOCK_PREFIX_SIZE > DATA_PIECE_MAX)
		die("record %llu: DATA record of %u data bytes (at most %u: longer extents come in pieces)",
		    (unsigned long long)rec->seq, rec->len - BLOCK_PREFIX_SIZE, DATA_PIECE_MAX);
	*logical = get_le64(rec->payload, BLOCK_LOGICAL);
	*flags = get_le64(rec->payload, BLOCK_FLAGS);
	*len = rec->len - BLOCK_PREFIX_SIZE;
	if (*logical + *len < *logical)
		die("record %llu: DATA range wraps around", (unsigned long long)rec->seq);
	return rec->payload + BLOCK_PREFIX_SIZE;
}
