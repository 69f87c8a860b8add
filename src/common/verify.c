/*
 * The verifier's records and its end: FS_INFO, SUPERBLOCK, CHUNK, DATA and
 * END are noted here, tree blocks in verify_block.c; verifier_finish()
 * runs the walk and the chunk checks and prints the report.
 */
#include "msg.h"
#include "vec.h"
#include "verify_state.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct verifier *verifier_new(const char *name, FILE *out, enum verify_report report)
{
	struct verifier *v = xcalloc(1, sizeof(*v));

	/* The facts arrays fault in a fresh 4 KiB page every 40 blocks otherwise (docs/design.md "Page faults"). */
	vec_map_large_arrays();
	v->name = name;
	v->out = out;
	v->report = report;
	v->image_version = -1;
	facts_init(&v->facts);
	return v;
}

void verifier_free(struct verifier *v)
{
	if (!v)
		return;
	facts_free(&v->facts);
	VEC_FREE(v->data);
	free(v->sys_chunks);
	free(v->record_chunks);
	free(v->tree_chunks);
	free(v->block_groups);
	free(v->trees);
	free(v->unreachable_owners);
	free(v->problems);
	free(v);
}

void verifier_input_kind(struct verifier *v, int image_version)
{
	v->image_version = image_version;
}

void verifier_fs_info(struct verifier *v, const struct fs_info *fs)
{
	v->records++;
	if (v->have_fs)
		problem(v, PROBLEM_INPUT, NULL, "a second FS_INFO record (record %" PRIu64 ")", v->records - 1);
	v->fs = *fs;
	v->have_fs = 1;
	if (!v->have_sb)
		v->newest_generation = fs->generation + 1;
}

/* The superblock must describe the filesystem FS_INFO announced (a stream could splice two). */
static void super_matches_fs_info(struct verifier *v)
{
	const struct super_info *sb = &v->sb;

	if (!v->have_fs)
		return;
	if (memcmp(sb->fsid, v->fs.fsid, BTRFS_UUID_SIZE) != 0 ||
	    memcmp(sb->header_fsid, v->fs.header_fsid, BTRFS_UUID_SIZE) != 0 || sb->nodesize != v->fs.nodesize ||
	    sb->sectorsize != v->fs.sectorsize || sb->csum_type != v->fs.csum_type)
		problem(v, PROBLEM_SUPERBLOCK, NULL,
			"the superblock's fsid, node size, sector size or checksum type differ from FS_INFO's");
}

void verifier_superblock(struct verifier *v, const uint8_t *sb)
{
	v->records++;
	if (v->have_sb || v->sb_error) {
		problem(v, PROBLEM_INPUT, NULL, "a second superblock (record %" PRIu64 ")", v->records - 1);
		return;
	}
	memcpy(v->sb_raw, sb, BTRFS_SUPER_SIZE);
	v->sb_error = super_parse(sb, &v->sb, 1);
	if (v->sb_error) {
		problem(v, PROBLEM_SUPERBLOCK, NULL, "superblock: %s: no tree can be followed", v->sb_error);
		return;
	}
	v->have_sb = 1;
	v->newest_generation = v->sb.generation + 1;
	super_matches_fs_info(v);
	verify_sys_array(v);
}

void verifier_chunk_record(struct verifier *v, const uint8_t *payload, size_t len)
{
	v->records++;
	verify_chunk_record(v, payload, len);
}

void verifier_tree_block(struct verifier *v, uint64_t logical, uint64_t flags, const uint8_t *block)
{
	v->records++;
	v->tree_blocks++;
	verify_block_record(v, logical, flags, block);
}

void verifier_data(struct verifier *v, uint64_t logical, uint64_t flags, size_t len)
{
	struct vrange *last = v->data.count ? &v->data.items[v->data.count - 1] : NULL;
	struct vrange run = { logical, logical + len };

	(void)flags;
	v->records++;
	v->data_records++;
	v->data_bytes += len;
	/* data usually comes in address order: extend the last run */
	if (last && last->end == logical) {
		last->end = logical + len;
		return;
	}
	VEC_PUSH(v->data, run);
}

void verifier_end_record(struct verifier *v, uint64_t damaged)
{
	v->have_end = 1;
	v->end_damaged = damaged;
}

enum verify_verdict verifier_finish(struct verifier *v)
{
	enum verify_verdict verdict;

	if (!v->have_sb && !v->sb_error)
		problem(v, PROBLEM_SUPERBLOCK, NULL, "the input holds no superblock: no tree can be followed");
	verify_data_ranges(v);
	verify_walk(v);
	verify_chunks(v);
	if (!v->problems_total)
		verdict = VERIFY_SOUND;
	else if (v->fs.content & CONTENT_RESCUE)
		verdict = VERIFY_RESCUED;
	else
		verdict = VERIFY_PROBLEMS;
	v->reported = 1;
	verify_print_report(v, verdict);
	return verdict;
}

void verifier_abandon(struct verifier *v, const char *why)
{
	if (v->reported)
		return; /* one report: a failure while printing it adds none */
	v->reported = 1;
	v->abandoned = 1;
	snprintf(v->abandon_text, sizeof(v->abandon_text), "%s", why);
	verify_print_report(v, VERIFY_PROBLEMS);
}
