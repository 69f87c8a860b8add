#include "input.h"
#include "msg.h"
#include "xio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void input_open(struct input *in, const char *path)
{
	ssize_t n;

	memset(in, 0, sizeof(*in));
	in->fd = xopen_input(path);
	in->name = strcmp(path, "-") == 0 ? "standard input" : path;
	n = read_full(in->fd, in->peek, sizeof(in->peek));
	if (n < 0)
		die("%s: reading:", in->name);
	in->npeek = (size_t)n;
}

/* One read() into the empty buffer: whatever is there now, up to its size. */
static void fill(struct input *in, uint64_t at)
{
	ssize_t n;

	if (!in->buf)
		in->buf = xmalloc(INPUT_BUFFER_SIZE);
	do
		n = read(in->fd, in->buf, INPUT_BUFFER_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		die("%s: reading at offset %llu:", in->name, (unsigned long long)at);
	in->start = 0;
	in->end = (size_t)n;
	in->eof = n == 0;
}

size_t input_read(struct input *in, void *buf, size_t len)
{
	uint8_t *dst = buf;
	size_t done = 0;
	ssize_t n;

	if (in->peek_used < in->npeek) {
		done = in->npeek - in->peek_used;
		if (done > len)
			done = len;
		memcpy(dst, in->peek + in->peek_used, done);
		in->peek_used += done;
	}
	while (done < len && !in->eof) {
		size_t want = len - done;

		if (in->start < in->end) {
			size_t take = in->end - in->start < want ? in->end - in->start : want;
			memcpy(dst + done, in->buf + in->start, take);
			in->start += take;
			done += take;
		} else if (want >= INPUT_BUFFER_SIZE) {
			n = read_full(in->fd, dst + done, want);
			if (n < 0)
				die("%s: reading at offset %llu:", in->name, (unsigned long long)(in->offset + done));
			done += (size_t)n;
			in->eof = (size_t)n < want;
		} else {
			fill(in, in->offset + done);
		}
	}
	in->offset += done;
	return done;
}

size_t input_skip(struct input *in, size_t len)
{
	uint8_t scratch[4096];
	size_t done = 0;

	while (done < len) {
		size_t want = len - done < sizeof(scratch) ? len - done : sizeof(scratch);
		size_t got = input_read(in, scratch, want);
		done += got;
		if (got < want)
			break;
	}
	return done;
}

void input_close(struct input *in)
{
	free(in->buf);
	in->buf = NULL;
}
