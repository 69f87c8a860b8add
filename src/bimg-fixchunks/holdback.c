/*
 * Items that arrive before the chunk tree leaf naming their chunk: the
 * reference's images store blocks by logical address, so a metadata block
 * below the chunk tree's own addresses comes first.  They are kept, in
 * arrival order, until the map is complete.
 */
#include "holdback.h"
#include "msg.h"
#include "stream.h"
#include "xio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct held_item {
	uint64_t logical;
	uint64_t spill_offset; /* when bytes is NULL */
	uint8_t *bytes;
	uint32_t len;
	uint8_t kind;
};

void holdback_init(struct holdback *h)
{
	const char *limit = getenv("BIMG_FIXCHUNKS_HOLDBACK_MEMORY");

	memset(h, 0, sizeof(*h));
	h->spill_fd = -1;
	/* Tests lower the bound to exercise the temporary file with small filesystems. */
	h->memory_limit = limit && *limit ? strtoull(limit, NULL, 0) : HOLDBACK_MEMORY;
}

void holdback_add(struct holdback *h, enum item_kind kind, uint64_t logical, const uint8_t *bytes, size_t len)
{
	struct held_item it = { logical, 0, NULL, (uint32_t)len, (uint8_t)kind };

	if (h->memory_used + len <= h->memory_limit) {
		it.bytes = xmalloc(len);
		memcpy(it.bytes, bytes, len);
		h->memory_used += len;
	} else {
		if (h->spill_fd < 0)
			h->spill_fd = temp_file_open("holding back blocks");
		it.spill_offset = h->spill_end;
		if (pwrite_full(h->spill_fd, bytes, len, h->spill_end) < 0)
			die("holding back blocks: writing the temporary file:");
		h->spill_end += len;
	}
	VEC_PUSH(h->items, it);
	h->total_bytes += len;
}

void holdback_drain(struct holdback *h, holdback_fn fn, void *ctx)
{
	uint8_t *buf = NULL;
	size_t i;

	for (i = 0; i < h->items.count; i++) {
		struct held_item *it = &h->items.items[i];

		if (it->bytes) {
			fn(ctx, (enum item_kind)it->kind, it->logical, it->bytes, it->len);
			free(it->bytes);
			continue;
		}
		if (!buf)
			buf = xmalloc(RECORD_MAX_PAYLOAD);
		if (pread_full(h->spill_fd, buf, it->len, it->spill_offset) != (ssize_t)it->len)
			die("holding back blocks: reading the temporary file back:");
		fn(ctx, (enum item_kind)it->kind, it->logical, buf, it->len);
	}
	free(buf);
	h->items.count = 0;
	h->memory_used = 0;
	h->total_bytes = 0;
	if (h->spill_fd >= 0) {
		close(h->spill_fd);
		h->spill_fd = -1;
		h->spill_end = 0;
	}
}

void holdback_free(struct holdback *h)
{
	size_t i;

	for (i = 0; i < h->items.count; i++)
		free(h->items.items[i].bytes);
	VEC_FREE(h->items);
	if (h->spill_fd >= 0)
		close(h->spill_fd);
	h->spill_fd = -1;
}
