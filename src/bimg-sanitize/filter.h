/* The stream filter: copy every record, sanitizing tree blocks and the superblock label. */
#ifndef BIMG_SANITIZE_FILTER_H
#define BIMG_SANITIZE_FILTER_H

#include "held.h"
#include "namemap.h"

#include <stdint.h>

struct sanitize_options {
	enum name_mode mode;
	int keep_short;
	int odometer; /* -ss: btrfs-image's replacements for names of 5 bytes and more */
	uint64_t seed;
	uint64_t map_memory; /* bytes the two name maps may hold in memory */
	int verbose;
	/* Filesystems standard output holds: one named by FS_INFO is being read upstream (NULL: none). */
	const struct held_filesystems *output_holds;
};

/* Read the stream on in_fd, write it on out_fd; dies on any error. */
void sanitize_stream(int in_fd, int out_fd, const struct sanitize_options *opt);

#endif
