#include "input.h"
#include "msg.h"
#include "xio.h"

#include <string.h>

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

size_t input_read(struct input *in, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	if (in->peek_used < in->npeek) {
		done = in->npeek - in->peek_used;
		if (done > len)
			done = len;
		memcpy(buf, in->peek + in->peek_used, done);
		in->peek_used += done;
	}
	if (done < len) {
		n = read_full(in->fd, (uint8_t *)buf + done, len - done);
		if (n < 0)
			die("%s: reading at offset %llu:", in->name, (unsigned long long)(in->offset + done));
		done += (size_t)n;
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
