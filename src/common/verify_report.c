/*
 * Problems as they are found, and the report at the end: a short text
 * for people (what was checked, the trees, notes, the first problems, a
 * verdict line), the same as one JSON object for scripts, or only notes,
 * problems and verdict on standard error next to a passing stream.
 */
#include "csum.h"
#include "msg.h"
#include "verify_state.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

void problem(struct verifier *v, enum problem_kind kind, const struct tree_path *path, const char *fmt, ...)
{
	struct problem *p;
	va_list ap;

	v->problems_total++;
	if (v->nproblems == VERIFY_MAX_PROBLEMS)
		return;
	if (!v->problems)
		v->problems = xcalloc(VERIFY_MAX_PROBLEMS, sizeof(*v->problems));
	p = &v->problems[v->nproblems++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	if (path)
		p->path = *path;
	va_start(ap, fmt);
	vsnprintf(p->text, sizeof(p->text), fmt, ap);
	va_end(ap);
}

/* Tree ids above 2^63 are the negative "special" ids (-6 the log, -8 relocation, ...). */
static void id_text(uint64_t id, char *buf, size_t size)
{
	if (id > (uint64_t)INT64_MAX)
		snprintf(buf, size, "%" PRId64, (int64_t)id);
	else
		snprintf(buf, size, "%" PRIu64, id);
}

const char *tree_label(uint64_t id, uint64_t offset, char *buf, size_t size)
{
	char n[24], o[24];

	id_text(id, n, sizeof(n));
	id_text(offset, o, sizeof(o));
	if (id == BTRFS_TREE_LOG_OBJECTID)
		snprintf(buf, size, offset ? "log tree of tree %s" : "log root tree", o);
	else if (id == BTRFS_TREE_RELOC_OBJECTID)
		snprintf(buf, size, "relocation tree of tree %s", o);
	else if (id >= BTRFS_FIRST_FREE_OBJECTID && id <= BTRFS_LAST_FREE_OBJECTID)
		snprintf(buf, size, "subvolume %s", n);
	else if (strcmp(tree_name(id), n) != 0)
		snprintf(buf, size, "tree %s (%s)", n, tree_name(id));
	else
		snprintf(buf, size, "tree %s", n);
	return buf;
}

static const char *key_type_name(uint8_t type)
{
	switch (type) {
	case 1: return "INODE_ITEM";
	case 12: return "INODE_REF";
	case 13: return "INODE_EXTREF";
	case 24: return "XATTR_ITEM";
	case 48: return "ORPHAN_ITEM";
	case 84: return "DIR_ITEM";
	case 96: return "DIR_INDEX";
	case 108: return "EXTENT_DATA";
	case 128: return "EXTENT_CSUM";
	case 132: return "ROOT_ITEM";
	case 144: return "ROOT_BACKREF";
	case 156: return "ROOT_REF";
	case 168: return "EXTENT_ITEM";
	case 169: return "METADATA_ITEM";
	case 176: return "TREE_BLOCK_REF";
	case 178: return "EXTENT_DATA_REF";
	case 182: return "SHARED_BLOCK_REF";
	case 184: return "SHARED_DATA_REF";
	case 192: return "BLOCK_GROUP_ITEM";
	case 198: return "FREE_SPACE_INFO";
	case 199: return "FREE_SPACE_EXTENT";
	case 200: return "FREE_SPACE_BITMAP";
	case 204: return "DEV_EXTENT";
	case 216: return "DEV_ITEM";
	case 228: return "CHUNK_ITEM";
	}
	return NULL;
}

const char *key_text(uint64_t objectid, uint8_t type, uint64_t offset, char *buf, size_t size)
{
	const char *name = key_type_name(type);
	char id[24], off[24];

	id_text(objectid, id, sizeof(id));
	id_text(offset, off, sizeof(off));
	if (name)
		snprintf(buf, size, "(%s %s %s)", id, name, off);
	else
		snprintf(buf, size, "(%s %u %s)", id, type, off);
	return buf;
}

/* ---- the notes: facts worth knowing that are not damage ---- */

struct notes {
	char text[6][400];
	int count;
};

__attribute__((format(printf, 2, 3))) static void add_note(struct notes *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n->text[n->count++], sizeof(n->text[0]), fmt, ap);
	va_end(ap);
}

/* ", by owner: FS_TREE 25, 257 3" for the unreachable blocks (the trees that lost them). */
static const char *owners_text(const struct verifier *v, char *buf, size_t size)
{
	size_t i, used;

	used = (size_t)snprintf(buf, size, ", by owner:");
	for (i = 0; i < v->nunreachable_owners && i < 8 && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s %s %" PRIu64, i ? "," : "",
					 tree_name(v->unreachable_owners[i].owner), v->unreachable_owners[i].blocks);
	if (i < v->nunreachable_owners && used < size)
		snprintf(buf + used, size - used, ", ...");
	return buf;
}

static void collect_notes(const struct verifier *v, struct notes *n)
{
	char owners[160];

	n->count = 0;
	if (v->reference_csums)
		add_note(n, "%" PRIu64 " tree blocks carry a CRC-32C instead of their %s checksum, as the reference "
			    "btrfs-image writes them; a bimg restore gives them their real checksum",
			 v->reference_csums, csum_name(v->fs.csum_type));
	if (v->dir_hash_mismatches)
		add_note(n, "%" PRIu64 " of %" PRIu64 " directory items hold a name that does not hash to its key: "
			    "names were replaced without keeping their hashes (-s); btrfs check will report them",
			 v->dir_hash_mismatches, v->dir_items);
	if (v->same_duplicates)
		add_note(n, "%" PRIu64 " tree blocks are stored twice, the same both times", v->same_duplicates);
	if (v->dead_roots)
		add_note(n, "%" PRIu64 " trees are being deleted (root item with no references): not followed",
			 v->dead_roots);
	if (v->have_end && v->end_damaged)
		add_note(n, "the stream was made by bimg-scan --rescue, which found %" PRIu64 " damaged tree blocks",
			 v->end_damaged);
	if (v->unreachable)
		add_note(n, "%" PRIu64 " tree blocks are present but no tree reaches them (not an error in itself)%s",
			 v->unreachable, owners_text(v, owners, sizeof(owners)));
}

static const char *verdict_text(const struct verifier *v, enum verify_verdict verdict, char *buf, size_t size)
{
	if (verdict == VERIFY_SOUND)
		snprintf(buf, size, "sound: %" PRIu64 " tree blocks reached from the superblock, all present and as "
				    "their parents expect",
			 v->reached);
	else if (v->abandoned)
		snprintf(buf, size, "NOT SOUND: the check could not finish (%s)", v->abandon_text);
	else
		snprintf(buf, size, "NOT SOUND: %" PRIu64 " problem%s%s", v->problems_total,
			 v->problems_total == 1 ? "" : "s",
			 verdict == VERIFY_RESCUED ? " (a --rescue dump: the damage bimg-scan found and what it costs)"
						   : "");
	return buf;
}

/* ---- text ---- */

static void print_trees(const struct verifier *v, FILE *out)
{
	size_t i, shown = 0;

	fprintf(out, "trees:          %zu trees, %" PRIu64 " tree blocks reached, %" PRIu64 " unreachable\n",
		v->ntrees, v->reached, v->unreachable);
	for (i = 0; i < v->ntrees; i++) {
		const struct tree_stat *t = &v->trees[i];
		char label[96];

		/* many subvolumes: the first ones, and any with trouble */
		if (shown >= 24 && !t->missing && !t->bad)
			continue;
		shown++;
		fprintf(out, "  %-40s %10" PRIu64 " blocks", tree_label(t->id, t->offset, label, sizeof(label)),
			t->blocks);
		if (t->missing)
			fprintf(out, ", %" PRIu64 " missing", t->missing);
		if (t->bad)
			fprintf(out, ", %" PRIu64 " damaged or mismatching", t->bad);
		fputc('\n', out);
	}
	if (shown < v->ntrees)
		fprintf(out, "  (%zu more trees, nothing wrong in them)\n", v->ntrees - shown);
}

static void print_text(const struct verifier *v, enum verify_verdict verdict, FILE *out)
{
	struct notes notes;
	char fsid[37], verdict_buf[400];
	size_t i;
	int j;

	fprintf(out, "verify:         %s\n", v->name);
	if (v->image_version >= 0)
		fprintf(out, "input:          image, format %d\n", v->image_version);
	else
		fprintf(out, "input:          record stream\n");
	if (v->have_sb) {
		uuid_format(v->sb.fsid, fsid);
		fprintf(out, "filesystem:     %s, generation %" PRIu64 ", nodesize %u, %s, %" PRIu64 " devices\n", fsid,
			v->sb.generation, v->sb.nodesize, csum_name(v->sb.csum_type), v->sb.num_devices);
	}
	if (v->abandoned) {
		fprintf(out, "read:           %" PRIu64 " tree blocks and %" PRIu64 " data bytes before the input failed\n",
			v->tree_blocks, v->data_bytes);
		fprintf(out, "verdict:        %s\n", verdict_text(v, verdict, verdict_buf, sizeof(verdict_buf)));
		return;
	}
	fprintf(out, "checked:        %" PRIu64 " tree blocks (checksum, address, fsid, level, items, key order), %zu "
		     "chunks, %" PRIu64 " block groups\n",
		v->tree_blocks, v->ntree_chunks, v->block_groups_checked);
	fprintf(out, "data:           %" PRIu64 " bytes in %zu runs; %" PRIu64 " file extents and %" PRIu64
		     " free space cache extents checked against them\n",
		v->data_bytes, v->data.count, v->data_extents_checked, v->cache_extents_checked);
	print_trees(v, out);
	collect_notes(v, &notes);
	if (notes.count)
		fprintf(out, "notes:\n");
	for (j = 0; j < notes.count; j++)
		fprintf(out, "  %s\n", notes.text[j]);
	if (v->problems_total)
		fprintf(out, "problems:       %" PRIu64 "%s\n", v->problems_total,
			v->problems_total > v->nproblems ? " (the first ones below)" : "");
	for (i = 0; i < v->nproblems; i++)
		fprintf(out, "  %s\n", v->problems[i].text);
	fprintf(out, "verdict:        %s\n", verdict_text(v, verdict, verdict_buf, sizeof(verdict_buf)));
}

static void print_brief(const struct verifier *v, enum verify_verdict verdict, FILE *out)
{
	struct notes notes;
	char verdict_buf[400];
	size_t i;
	int j;

	collect_notes(v, &notes);
	for (j = 0; j < notes.count; j++)
		fprintf(out, "%s: verify: note: %s\n", progname, notes.text[j]);
	for (i = 0; i < v->nproblems; i++)
		fprintf(out, "%s: verify: %s\n", progname, v->problems[i].text);
	if (v->problems_total > v->nproblems)
		fprintf(out, "%s: verify: (%" PRIu64 " more problems)\n", progname, v->problems_total - v->nproblems);
	fprintf(out, "%s: verify: %s\n", progname, verdict_text(v, verdict, verdict_buf, sizeof(verdict_buf)));
}

/* ---- JSON ---- */

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static const char *const problem_kind_name[] = {
	[PROBLEM_MISSING] = "missing",	   [PROBLEM_MISMATCH] = "mismatch", [PROBLEM_DAMAGED] = "damaged",
	[PROBLEM_CHUNK] = "chunk",	   [PROBLEM_ADDRESS] = "address",   [PROBLEM_DATA] = "data",
	[PROBLEM_SUPERBLOCK] = "superblock", [PROBLEM_DUPLICATE] = "duplicate", [PROBLEM_INPUT] = "input",
};

static void json_problem(FILE *out, const struct problem *p)
{
	static const char *const origin[] = { "superblock", "root item", "pointer" };
	char tree[24], offset[24];

	fprintf(out, "{\"kind\": \"%s\"", problem_kind_name[p->kind]);
	if (p->path.known) {
		id_text(p->path.tree, tree, sizeof(tree));
		id_text(p->path.tree_offset, offset, sizeof(offset));
		fprintf(out, ", \"tree\": %s, \"tree_offset\": %s, \"from\": \"%s\"", tree, offset,
			origin[p->path.origin]);
		if (p->path.origin != PATH_SUPER)
			fprintf(out, ", \"parent\": %" PRIu64 ", \"slot\": %u", p->path.parent, p->path.slot);
	}
	fprintf(out, ", \"text\": ");
	json_string(out, p->text);
	fputc('}', out);
}

static void json_trees(const struct verifier *v, FILE *out)
{
	size_t i;

	fprintf(out, "  \"trees\": [");
	for (i = 0; i < v->ntrees; i++) {
		const struct tree_stat *t = &v->trees[i];
		char id[24], offset[24], label[96];

		id_text(t->id, id, sizeof(id));
		id_text(t->offset, offset, sizeof(offset));
		fprintf(out, "%s\n    {\"id\": %s, \"offset\": %s, \"name\": ", i ? "," : "", id, offset);
		json_string(out, tree_label(t->id, t->offset, label, sizeof(label)));
		fprintf(out, ", \"blocks\": %" PRIu64 ", \"missing\": %" PRIu64 ", \"bad\": %" PRIu64 "}", t->blocks,
			t->missing, t->bad);
	}
	fprintf(out, "\n  ],\n");
}

static void print_json(const struct verifier *v, enum verify_verdict verdict, FILE *out)
{
	struct notes notes;
	char fsid[37] = "", verdict_buf[400];
	size_t i;
	int j;

	if (v->have_sb)
		uuid_format(v->sb.fsid, fsid);
	fprintf(out, "{\n  \"input\": ");
	json_string(out, v->name);
	fprintf(out, ",\n  \"kind\": \"%s\", \"format\": %d, \"fsid\": \"%s\", \"csum\": \"%s\",\n",
		v->image_version >= 0 ? "image" : "stream", v->image_version, fsid, csum_name(v->fs.csum_type));
	fprintf(out, "  \"tree_blocks\": %" PRIu64 ", \"chunks\": %zu, \"block_groups\": %" PRIu64
		     ", \"data_bytes\": %" PRIu64 ", \"file_extents_checked\": %" PRIu64
		     ", \"cache_extents_checked\": %" PRIu64 ",\n",
		v->tree_blocks, v->ntree_chunks, v->block_groups_checked, v->data_bytes, v->data_extents_checked,
		v->cache_extents_checked);
	fprintf(out, "  \"reached\": %" PRIu64 ", \"unreachable\": %" PRIu64 ", \"missing\": %" PRIu64
		     ", \"damaged\": %" PRIu64 ",\n",
		v->reached, v->unreachable, v->missing, v->bad);
	json_trees(v, out);
	collect_notes(v, &notes);
	fprintf(out, "  \"notes\": [");
	for (j = 0; j < notes.count; j++) {
		fprintf(out, "%s\n    ", j ? "," : "");
		json_string(out, notes.text[j]);
	}
	fprintf(out, "%s],\n  \"problems_total\": %" PRIu64 ",\n  \"problems\": [", notes.count ? "\n  " : "",
		v->problems_total);
	for (i = 0; i < v->nproblems; i++) {
		fprintf(out, "%s\n    ", i ? "," : "");
		json_problem(out, &v->problems[i]);
	}
	fprintf(out, "%s],\n  \"sound\": %s,\n  \"verdict\": ", v->nproblems ? "\n  " : "",
		verdict == VERIFY_SOUND ? "true" : "false");
	json_string(out, verdict_text(v, verdict, verdict_buf, sizeof(verdict_buf)));
	fprintf(out, "\n}\n");
}

void verify_print_report(struct verifier *v, enum verify_verdict verdict)
{
	switch (v->report) {
	case VERIFY_REPORT_FULL:
		print_text(v, verdict, v->out);
		break;
	case VERIFY_REPORT_BRIEF:
		print_brief(v, verdict, v->out);
		break;
	case VERIFY_REPORT_JSON:
		print_json(v, verdict, v->out);
		break;
	}
	if (fflush(v->out) != 0)
		die("writing the verify report:");
}
