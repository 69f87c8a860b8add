#include "spill.h"
#include "msg.h"
#include "xio.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPLAY_CHUNK (1u << 20)

void byte_hold_init(struct byte_hold *h, const char *what, size_t mem_limit)
{
	memset(h, 0, sizeof(*h));
	h->what = what;
	h->mem_limit = mem_limit;
	h->fd = -1;
}

void byte_hold_add(struct byte_hold *h, const uint8_t *bytes, size_t len)
{
	size_t take = 0;

	if (h->file_len == 0 && h->mem_len < h->mem_limit) {
		take = h->mem_limit - h->mem_len < len ? h->mem_limit - h->mem_len : len;
		if (h->mem_len + take > h->mem_cap) {
			size_t cap = h->mem_cap ? h->mem_cap * 2 : 256u << 10;
			while (cap < h->mem_len + take)
				cap *= 2;
			if (cap > h->mem_limit)
				cap = h->mem_limit;
			h->mem = xrealloc(h->mem, cap);
			h->mem_cap = cap;
		}
		memcpy(h->mem + h->mem_len, bytes, take);
		h->mem_len += take;
	}
	if (take == len)
		return;
	if (h->fd < 0)
		h->fd = temp_file_open(h->what);
	if (pwrite_full(h->fd, bytes + take, len - take, h->file_len) < 0)
		die("%s: writing the temporary file:", h->what);
	h->file_len += len - take;
}

uint64_t byte_hold_len(const struct byte_hold *h)
{
	return h->mem_len + h->file_len;
}

void byte_hold_replay(struct byte_hold *h, void (*fn)(void *ctx, const uint8_t *bytes, size_t len), void *ctx)
{
	uint64_t done = 0;

	for (size_t at = 0; at < h->mem_len; at += REPLAY_CHUNK)
		fn(ctx, h->mem + at, h->mem_len - at < REPLAY_CHUNK ? h->mem_len - at : REPLAY_CHUNK);
	if (h->file_len && !h->chunk)
		h->chunk = xmalloc(REPLAY_CHUNK);
	while (done < h->file_len) {
		size_t want = h->file_len - done < REPLAY_CHUNK ? (size_t)(h->file_len - done) : REPLAY_CHUNK;
		ssize_t got = pread_full(h->fd, h->chunk, want, done);

		if (got < 0)
			die("%s: reading the temporary file back:", h->what);
		if ((size_t)got < want)
			die("%s: the temporary file is shorter than written", h->what);
		fn(ctx, h->chunk, want);
		done += want;
	}
	h->mem_len = 0;
	h->file_len = 0;
}

void byte_hold_free(struct byte_hold *h)
{
	free(h->mem);
	free(h->chunk);
	if (h->fd >= 0)
		(void)close(h->fd);
	byte_hold_init(h, h->what, h->mem_limit);
}
