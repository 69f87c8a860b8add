/*
 * Sequential input that never seeks (works on pipes), with the first
 * bytes peeked once so that main can tell an image from a record stream.
 */
#ifndef UNPACK_INPUT_H
#define UNPACK_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define INPUT_PEEK_SIZE 8

struct input {
	int fd;
	const char *name; /* for messages */
	uint64_t offset;  /* bytes consumed so far */
	uint8_t peek[INPUT_PEEK_SIZE];
	size_t npeek;	  /* bytes in peek[] */
	size_t peek_used; /* of them already consumed */
};

/* Open path ("-" = stdin) and peek its first bytes. */
void input_open(struct input *in, const char *path);
/* Read up to len bytes; returns fewer only at end of input.  Dies on I/O errors. */
size_t input_read(struct input *in, void *buf, size_t len);
/* Discard len bytes; returns how many were there. */
size_t input_skip(struct input *in, size_t len);

#endif
