#include "sink.h"
#include "info.h"
#include "msg.h"
#include "tree.h"
#include "verify.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Distinct owners tracked for --info; more subvolumes than this are lumped together. */
#define MAX_OWNERS 65536

void sink_init(struct record_sink *s, enum sink_mode mode)
{
	memset(s, 0, sizeof(*s));
	hashmap_init(&s->owner_index);
	s->mode = mode;
	s->out = stdout;
	if (mode == SINK_STREAM) {
		stream_writer_init(&s->writer, STDOUT_FILENO);
		stream_writer_forward_errors(&s->writer);
	}
}

/* A failure while reading (a truncated image, say) still gets a verdict. */
static struct verifier *abandoned_verifier;

static void abandon_verify(const char *text)
{
	struct verifier *v = abandoned_verifier;

	abandoned_verifier = NULL;
	if (v)
		verifier_abandon(v, text);
}

void sink_verify(struct record_sink *s, struct verifier *v)
{
	s->verify = v;
	abandoned_verifier = v;
	msg_on_die(abandon_verify);
}

static void list_line(struct record_sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void list_line(struct record_sink *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(s->out, fmt, ap);
	va_end(ap);
	report_check(s->out);
}

void sink_fs_info(struct record_sink *s, const struct fs_info *fs)
{
	char fsid[37];

	s->fs = *fs;
	s->have_fs = 1;
	s->records++;
	if (s->verify)
		verifier_fs_info(s->verify, fs);
	if (s->mode == SINK_STREAM) {
		stream_write_fs_info(&s->writer, fs);
	} else if (s->mode == SINK_LIST) {
		uuid_format(fs->fsid, fsid);
		list_line(s, "FS_INFO     fsid %s nodesize %u sectorsize %u csum %u devices %llu generation %llu content 0x%x\n",
			  fsid, fs->nodesize, fs->sectorsize, fs->csum_type, (unsigned long long)fs->num_devices,
			  (unsigned long long)fs->generation, fs->content);
	}
}

void sink_superblock(struct record_sink *s, const uint8_t *sb)
{
	const char *why = super_parse(sb, &s->super, 0);

	s->have_super = why == NULL;
	s->records++;
	if (s->verify)
		verifier_superblock(s->verify, sb);
	if (s->mode == SINK_STREAM)
		stream_write(&s->writer, REC_SUPERBLOCK, 0, sb, BTRFS_SUPER_SIZE, NULL, 0);
	else if (s->mode == SINK_LIST)
		list_line(s, "SUPERBLOCK  %20llu %9u generation %llu\n", (unsigned long long)BTRFS_SUPER_OFFSET,
			  BTRFS_SUPER_SIZE, (unsigned long long)(s->have_super ? s->super.generation : 0));
}

void sink_chunk(struct record_sink *s, const uint8_t *payload, size_t len)
{
	s->records++;
	s->chunks++;
	if (s->verify)
		verifier_chunk_record(s->verify, payload, len);
	if (s->mode == SINK_STREAM)
		stream_write(&s->writer, REC_CHUNK, 0, payload, len, NULL, 0);
	else if (s->mode == SINK_LIST)
		list_line(s, "CHUNK       %20llu %9zu\n",
			  (unsigned long long)(len >= KEY_SIZE ? get_le64(payload, KEY_OFFSET) : 0), len);
}

static void count_owner(struct record_sink *s, uint64_t owner)
{
	uint64_t *index = hashmap_find(&s->owner_index, owner);
	struct owner_count fresh = { owner, 1 };

	if (index) {
		s->owners.items[*index].blocks++;
		return;
	}
	if (s->owners.count == MAX_OWNERS) {
		s->other_owner_blocks++;
		return;
	}
	hashmap_insert(&s->owner_index, owner, s->owners.count, NULL);
	VEC_PUSH(s->owners, fresh);
}

static int by_owner(const void *a, const void *b)
{
	const struct owner_count *x = a, *y = b;

	return x->owner < y->owner ? -1 : x->owner > y->owner;
}

void sink_tree_block(struct record_sink *s, uint64_t logical, uint64_t flags, const uint8_t *block)
{
	s->records++;
	s->tree_blocks++;
	if (s->verify)
		verifier_tree_block(s->verify, logical, flags, block);
	switch (s->mode) {
	case SINK_STREAM:
		stream_write_tree_block(&s->writer, logical, flags, block, s->fs.nodesize);
		break;
	case SINK_LIST:
		list_line(s, "TREE_BLOCK  %20llu %9u owner %s level %u generation %llu%s\n",
			  (unsigned long long)logical, s->fs.nodesize, tree_name(tree_block_owner(block)),
			  tree_block_level(block), (unsigned long long)tree_block_generation(block),
			  flags & TREE_BLOCK_FLAG_DAMAGED ? " damaged" : "");
		break;
	case SINK_INFO:
		count_owner(s, tree_block_owner(block));
		break;
	case SINK_VERIFY:
		break;
	}
}

void sink_data(struct record_sink *s, uint64_t logical, uint64_t flags, const uint8_t *bytes, size_t len)
{
	s->records++;
	s->data_records++;
	s->data_bytes += len;
	if (!(flags & DATA_FLAG_CONTINUES))
		s->data_extents++;
	if (s->verify)
		verifier_data(s->verify, logical, flags, len);
	if (s->mode == SINK_STREAM)
		stream_write_data(&s->writer, logical, flags, bytes, len);
	else if (s->mode == SINK_LIST)
		list_line(s, "DATA        %20llu %9zu%s\n", (unsigned long long)logical, len,
			  flags & DATA_FLAG_CONTINUES ? " continues" : "");
}

void sink_end_record(struct record_sink *s, uint64_t damaged)
{
	if (s->verify)
		verifier_end_record(s->verify, damaged);
}

static void finish_verify(struct record_sink *s)
{
	/* The walk reads its facts back from temporary files: it can fail too, and still gets a verdict. */
	if (verifier_finish(s->verify) != VERIFY_SOUND)
		s->exit_status = 1;
	abandoned_verifier = NULL; /* from here on the verdict is the verifier's own */
	verifier_free(s->verify);
	s->verify = NULL;
}

void sink_finish(struct record_sink *s)
{
	if (s->verify)
		finish_verify(s);
	switch (s->mode) {
	case SINK_STREAM:
		stream_write_end(&s->writer);
		stream_writer_free(&s->writer);
		break;
	case SINK_LIST:
		list_line(s, "END         records %llu tree_blocks %llu data_bytes %llu\n",
			  (unsigned long long)(s->records + 1), (unsigned long long)s->tree_blocks,
			  (unsigned long long)s->data_bytes);
		break;
	case SINK_INFO:
		if (s->owners.count)
			qsort(s->owners.items, s->owners.count, sizeof(*s->owners.items), by_owner);
		info_print(s);
		break;
	case SINK_VERIFY:
		break;
	}
	if (s->mode != SINK_STREAM) {
		(void)fflush(s->out); /* a failure sets the error indicator */
		report_check(s->out);
	}
	VEC_FREE(s->owners);
	hashmap_free(&s->owner_index);
}
