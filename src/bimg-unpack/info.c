#include "info.h"
#include "csum.h"
#include "msg.h"
#include "sink.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *tree_name(uint64_t owner)
{
	static char number[24];

	switch (owner) {
	case 1: return "ROOT_TREE";
	case 2: return "EXTENT_TREE";
	case 3: return "CHUNK_TREE";
	case 4: return "DEV_TREE";
	case 5: return "FS_TREE";
	case 6: return "ROOT_TREE_DIR";
	case 7: return "CSUM_TREE";
	case 8: return "QUOTA_TREE";
	case 9: return "UUID_TREE";
	case 10: return "FREE_SPACE_TREE";
	case 11: return "BLOCK_GROUP_TREE";
	case 12: return "RAID_STRIPE_TREE";
	case (uint64_t)-6: return "TREE_LOG";
	case (uint64_t)-7: return "TREE_LOG_FIXUP";
	case (uint64_t)-8: return "TREE_RELOC";
	case (uint64_t)-9: return "DATA_RELOC_TREE";
	}
	snprintf(number, sizeof(number), "%" PRIu64, owner);
	return number;
}

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
