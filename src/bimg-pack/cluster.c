#include "cluster.h"
#include "image.h"
#include "le.h"
#include "msg.h"
#include "output.h"
#include "spill.h"
#include "xio.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Payload bytes held in memory per cluster when the output cannot seek.
 * More than a v0 cluster can hold (83 x 256 KiB), so metadata images
 * never touch the temporary file; v1 data items spill beyond it.
 */
#define CLUSTER_MEMORY (32u << 20)
#define COPY_CHUNK (1u << 20)

struct held_payload {
	uint8_t *bytes; /* NULL: in the spill file at spill_offset */
	uint64_t spill_offset;
	size_t len;
};

struct cluster {
	int version;
	int compressed;
	int direct;		/* the output seeks: payloads go out at once */
	uint64_t index_offset;	/* direct: the reserved index block */
	unsigned nitems;
	uint64_t bytenr[IMAGE_ITEMS_PER_CLUSTER];
	uint64_t stored[IMAGE_ITEMS_PER_CLUSTER];
	/* not direct: payloads waiting for the index */
	struct held_payload held[IMAGE_ITEMS_PER_CLUSTER];
	size_t memory_limit, memory_used;
	int spill_fd;
	uint64_t spill_used;
	uint8_t *copy_buf;
	/* the item being written in pieces */
	int in_item;
	int item_spilled;
	size_t item_cap;
	/* One index block for the whole run: entries past nritems keep the previous cluster's (1.2). */
	uint8_t index[IMAGE_BLOCK_SIZE];
};

struct cluster *cluster_create(int version, int compressed)
{
	struct cluster *c = xcalloc(1, sizeof(*c));
	const char *limit = getenv("BIMG_PACK_CLUSTER_MEMORY");

	c->version = version;
	c->compressed = compressed;
	c->direct = output_seekable();
	c->spill_fd = -1;
	/* Tests lower the bound to exercise the temporary file with small streams. */
	c->memory_limit = limit && *limit ? (size_t)strtoull(limit, NULL, 0) : CLUSTER_MEMORY;
	return c;
}

static void spill(struct cluster *c, const uint8_t *bytes, size_t len)
{
	if (c->spill_fd < 0)
		c->spill_fd = temp_file_open("holding a cluster's payloads");
	if (pwrite_full(c->spill_fd, bytes, len, c->spill_used) < 0)
		die("holding a cluster's payloads in a temporary file:");
	c->spill_used += len;
}

static void copy_out_spilled(struct cluster *c, const struct held_payload *h)
{
	size_t done = 0;

	if (!c->copy_buf)
		c->copy_buf = xmalloc(COPY_CHUNK);
	while (done < h->len) {
		size_t want = h->len - done < COPY_CHUNK ? h->len - done : COPY_CHUNK;
		ssize_t got = pread_full(c->spill_fd, c->copy_buf, want, h->spill_offset + done);

		if (got < 0)
			die("reading back a cluster's payloads from the temporary file:");
		if ((size_t)got < want)
			die("reading back a cluster's payloads: the temporary file is shorter than written");
		output_write(c->copy_buf, want);
		done += want;
	}
}

static void write_cluster(struct cluster *c)
{
	static const uint8_t zeros[IMAGE_BLOCK_SIZE];
	uint64_t end;
	unsigned i;

	put_le64(c->index, IMAGE_IDX_MAGIC, c->version == 1 ? IMAGE_MAGIC_V1 : IMAGE_MAGIC_V0);
	put_le64(c->index, IMAGE_IDX_BYTENR, c->direct ? c->index_offset : output_offset());
	put_le32(c->index, IMAGE_IDX_NRITEMS, c->nitems);
	put_le8(c->index, IMAGE_IDX_COMPRESS, c->compressed);
	for (i = 0; i < c->nitems; i++) {
		uint8_t *e = c->index + IMAGE_HEADER_SIZE + (size_t)i * IMAGE_ITEM_SIZE;
		put_le64(e, IMAGE_ITEM_BYTENR, c->bytenr[i]);
		put_le32(e, IMAGE_ITEM_SIZE_FIELD, (uint32_t)c->stored[i]);
	}
	if (c->direct) {
		output_pwrite(c->index, sizeof(c->index), c->index_offset);
	} else {
		output_write(c->index, sizeof(c->index));
		for (i = 0; i < c->nitems; i++) {
			struct held_payload *h = &c->held[i];
			if (h->bytes)
				output_write(h->bytes, h->len);
			else
				copy_out_spilled(c, h);
			free(h->bytes);
			h->bytes = NULL;
		}
		c->memory_used = 0;
		c->spill_used = 0;
	}
	end = output_offset();
	if (end % IMAGE_BLOCK_SIZE)
		output_write(zeros, IMAGE_BLOCK_SIZE - end % IMAGE_BLOCK_SIZE);
	c->nitems = 0;
}

/* The next slot; on a seekable output the index block is reserved before the first payload. */
static unsigned open_slot(struct cluster *c, uint64_t bytenr)
{
	static const uint8_t zeros[IMAGE_BLOCK_SIZE];
	unsigned slot = c->nitems;

	if (c->in_item)
		die("internal error: a cluster item was started inside another");
	if (c->direct && slot == 0) {
		c->index_offset = output_offset();
		output_write(zeros, sizeof(zeros));
	}
	c->bytenr[slot] = bytenr;
	c->stored[slot] = 0;
	memset(&c->held[slot], 0, sizeof(c->held[slot]));
	return slot;
}

static void close_slot(struct cluster *c)
{
	if (c->stored[c->nitems] > UINT32_MAX)
		die("item at logical %llu is too large for the image format (%llu bytes stored)",
		    (unsigned long long)c->bytenr[c->nitems], (unsigned long long)c->stored[c->nitems]);
	if (++c->nitems == IMAGE_ITEMS_PER_CLUSTER)
		write_cluster(c);
}

void cluster_add(struct cluster *c, uint64_t bytenr, uint8_t *bytes, size_t len)
{
	unsigned slot = open_slot(c, bytenr);
	struct held_payload *h = &c->held[slot];

	c->stored[slot] = len;
	h->len = len;
	if (c->direct) {
		output_write(bytes, len);
		free(bytes);
	} else if (c->memory_used + len <= c->memory_limit) {
		h->bytes = bytes;
		c->memory_used += len;
	} else {
		h->spill_offset = c->spill_used;
		spill(c, bytes, len);
		free(bytes);
	}
	close_slot(c);
}

void cluster_begin_item(struct cluster *c, uint64_t bytenr)
{
	(void)open_slot(c, bytenr);
	c->in_item = 1;
	c->item_spilled = 0;
	c->item_cap = 0;
}

/* Keep the item's bytes in memory while the cluster's budget allows, else move them to the spill file. */
static void hold_piece(struct cluster *c, struct held_payload *h, const uint8_t *bytes, size_t len)
{
	size_t room = c->memory_limit > c->memory_used ? c->memory_limit - c->memory_used : 0;
	size_t need = h->len + len;

	if (!c->item_spilled && need <= room) {
		if (need > c->item_cap) {
			size_t cap = c->item_cap ? c->item_cap * 2 : COPY_CHUNK;
			if (cap > room)
				cap = room;
			if (cap < need)
				cap = need;
			h->bytes = xrealloc(h->bytes, cap);
			c->item_cap = cap;
		}
		memcpy(h->bytes + h->len, bytes, len);
		h->len = need;
		return;
	}
	if (!c->item_spilled) {
		h->spill_offset = c->spill_used;
		spill(c, h->bytes, h->len);
		free(h->bytes);
		h->bytes = NULL;
		c->item_spilled = 1;
	}
	spill(c, bytes, len);
	h->len = need;
}

void cluster_item_write(struct cluster *c, const uint8_t *bytes, size_t len)
{
	struct held_payload *h = &c->held[c->nitems];

	c->stored[c->nitems] += len;
	if (c->direct)
		output_write(bytes, len);
	else
		hold_piece(c, h, bytes, len);
}

void cluster_end_item(struct cluster *c)
{
	struct held_payload *h = &c->held[c->nitems];

	c->in_item = 0;
	if (!c->direct && !c->item_spilled)
		c->memory_used += h->len;
	close_slot(c);
}

void cluster_finish(struct cluster *c)
{
	if (c->nitems)
		write_cluster(c);
	if (c->spill_fd >= 0)
		(void)close(c->spill_fd);
	free(c->copy_buf);
	free(c);
}
