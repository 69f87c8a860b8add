/*
 * Sequential input that never seeks (works on pipes), with the first
 * bytes peeked once so that main can tell an image from a record stream.
 * Small reads (index blocks, small items) are served from a buffer filled
 * by large reads, so a pipe is not drained in 1 KiB sips; reads at least
 * as big as the buffer go straight to the caller's memory.
 */
#ifndef BIMG_UNPACK_INPUT_H
#define BIMG_UNPACK_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define INPUT_PEEK_SIZE 8
#define INPUT_BUFFER_SIZE (256u << 10)

struct input {
	int fd;
	const char *name; /* for messages */
	uint64_t offset;  /* bytes consumed so far */
	uint8_t peek[INPUT_PEEK_SIZE];
	size_t npeek;	  /* bytes in peek[] */
	size_t peek_used; /* of them already consumed */
	uint8_t *buf;	  /* INPUT_BUFFER_SIZE bytes, allocated on first use */
	size_t start, end; /* unconsumed bytes in buf */
	int eof;
};

/* Open path ("-" = stdin) and peek its first bytes. */
void input_open(struct input *in, const char *path);
/* Read up to len bytes; returns fewer only at end of input.  Dies on I/O errors. */
size_t input_read(struct input *in, void *buf, size_t len);
/* Discard len bytes; returns how many were there. */
size_t input_skip(struct input *in, size_t len);
/* Free the buffer (the descriptor is left to exit). */
void input_close(struct input *in);

#endif
