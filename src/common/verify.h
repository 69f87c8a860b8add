/*
 * --verify: is an image (or a record stream) complete and sound?
 * bimg-unpack --verify checks an image or a stream; bimg-pack --verify the
 * stream it packs.
 *
 * The records pass by once, in whatever order the image holds them.  Each
 * tree block is checked on its own as it passes (checksum, address, fsid,
 * layout, key order) and leaves a few facts behind: its header, its first
 * key, and what its items point at (children, tree roots, data extents,
 * chunks, block groups).  At the end the facts are sorted and the trees
 * are walked from the superblock through them: every block the filesystem
 * can reach must be there and be what its parent expects.  See
 * docs/design.md for the memory this takes per block.
 */
#ifndef BIMG_COMMON_VERIFY_H
#define BIMG_COMMON_VERIFY_H

#include "stream.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct verifier;

enum verify_report {
	VERIFY_REPORT_FULL,  /* what was checked, trees, notes, problems, verdict */
	VERIFY_REPORT_BRIEF, /* notes, problems and the verdict, one "program: verify:" line each */
	VERIFY_REPORT_JSON,  /* the full report as one JSON object */
};

/* name: the input, for the report; out: where the report goes. */
struct verifier *verifier_new(const char *name, FILE *out, enum verify_report report);
void verifier_free(struct verifier *v);

/* What the input is (image format, or -1 for a record stream). */
void verifier_input_kind(struct verifier *v, int image_version);
void verifier_fs_info(struct verifier *v, const struct fs_info *fs);
void verifier_superblock(struct verifier *v, const uint8_t *sb);
void verifier_chunk_record(struct verifier *v, const uint8_t *payload, size_t len);
void verifier_tree_block(struct verifier *v, uint64_t logical, uint64_t flags, const uint8_t *block);
void verifier_data(struct verifier *v, uint64_t logical, uint64_t flags, size_t len);
/* A record stream's END: how many blocks bimg-scan --rescue found damaged. */
void verifier_end_record(struct verifier *v, uint64_t damaged);

/* The verdict of a finished input. */
enum verify_verdict {
	VERIFY_SOUND,
	VERIFY_PROBLEMS, /* missing or damaged blocks, mismatches */
	VERIFY_RESCUED,	 /* problems in a stream that bimg-scan --rescue made knowingly incomplete */
};

/* Resolve what the blocks expect of each other, print the report, return the verdict. */
enum verify_verdict verifier_finish(struct verifier *v);

/*
 * The input could not be read to its end (the program is about to die
 * with why): print what was checked so far and a failing verdict.
 */
void verifier_abandon(struct verifier *v, const char *why);

#endif
