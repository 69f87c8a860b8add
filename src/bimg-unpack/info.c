#include "info.h"
#include "csum.h"
#include "msg.h"
#include "sink.h"
#include "tree.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void print_uuid(FILE *out, const char *what, const uint8_t uuid[16])
{
	char text[37];

	uuid_format(uuid, text);
	fprintf(out, "%-16s%s\n", what, text);
}

void info_print(struct record_sink *s)
{
	FILE *out = s->out;
	const struct image_stats *img = &s->image;
	char label[TEXT_ESCAPED_SIZE(BTRFS_LABEL_SIZE)];
	size_t i;

	if (img->is_image) {
		fprintf(out, "%-16simage, format %d (%s)\n", "input:", img->version,
			img->version == 1 ? "metadata and data" : "metadata");
		fprintf(out, "%-16s%" PRIu64 "\n", "clusters:", img->clusters);
		fprintf(out, "%-16s%" PRIu64 "\n", "items:", img->items);
		fprintf(out, "%-16s%" PRIu64 "\n", "bytes stored:", img->stored_bytes);
		fprintf(out, "%-16s%" PRIu64 "\n", "bytes inflated:", img->inflated_bytes);
		fprintf(out, "%-16s%s\n", "compression:",
			img->compressed_clusters == 0		 ? "none"
			: img->compressed_clusters == img->clusters ? "zlib"
								  : "zlib (some clusters)");
		if (img->trailing_bytes)
			fprintf(out, "%-16s%" PRIu64 " bytes (ignored)\n", "trailing:", img->trailing_bytes);
	} else {
		fprintf(out, "%-16srecord stream\n", "input:");
		fprintf(out, "%-16s%" PRIu64 "\n", "records:", s->records + 1);
	}
	if (s->have_super) {
		print_uuid(out, "fsid:", s->super.fsid);
		if (memcmp(s->super.fsid, s->super.header_fsid, 16) != 0)
			print_uuid(out, "metadata uuid:", s->super.header_fsid);
		/* the label is the image's: it must not drive the terminal */
		text_escape(label, sizeof(label), s->super.label, strlen(s->super.label));
		fprintf(out, "%-16s%s\n", "label:", label);
		fprintf(out, "%-16s%" PRIu64 "\n", "generation:", s->super.generation);
		fprintf(out, "%-16s%u\n", "nodesize:", s->super.nodesize);
		fprintf(out, "%-16s%u\n", "sectorsize:", s->super.sectorsize);
		fprintf(out, "%-16s%s\n", "csum type:", csum_name(s->super.csum_type));
		fprintf(out, "%-16s%" PRIu64 "\n", "devices:", s->super.num_devices);
	} else if (s->have_fs) {
		print_uuid(out, "fsid:", s->fs.fsid);
		fprintf(out, "%-16s%" PRIu64 "\n", "generation:", s->fs.generation);
		fprintf(out, "%-16s%u\n", "nodesize:", s->fs.nodesize);
		fprintf(out, "%-16s%u\n", "sectorsize:", s->fs.sectorsize);
		fprintf(out, "%-16s%s\n", "csum type:", csum_name(s->fs.csum_type));
		fprintf(out, "%-16s%" PRIu64 "\n", "devices:", s->fs.num_devices);
	}
	if (s->chunks)
		fprintf(out, "%-16s%" PRIu64 "\n", "chunks:", s->chunks);
	fprintf(out, "%-16s%" PRIu64 "\n", "tree blocks:", s->tree_blocks);
	fprintf(out, "%-16s%" PRIu64 " bytes in %" PRIu64 " extents\n", "data:", s->data_bytes, s->data_extents);
	fprintf(out, "trees:\n");
	for (i = 0; i < s->owners.count; i++) {
		uint64_t id = s->owners.items[i].owner;
		const char *name = tree_name(id);
		char idtext[24];

		if (id > (uint64_t)INT64_MAX)
			snprintf(idtext, sizeof(idtext), "%" PRId64, (int64_t)id);
		else
			snprintf(idtext, sizeof(idtext), "%" PRIu64, id);
		if (strcmp(name, idtext) == 0)
			name = id >= 256 && id <= (uint64_t)-256 ? "subvolume" : "";
		fprintf(out, "  %-22s %-18s %" PRIu64 " blocks\n", idtext, name, s->owners.items[i].blocks);
	}
	if (s->other_owner_blocks)
		fprintf(out, "  %-22s %-18s %" PRIu64 " blocks\n", "(more)", "", s->other_owner_blocks);
}
