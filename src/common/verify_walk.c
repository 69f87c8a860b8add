/*
 * The walk at the end: every tree from the superblock, through the facts
 * the blocks left behind (sorted by address, looked up by binary search).
 * Each pointer is checked against the block it leads to: present, sound,
 * at the level, generation and first key the pointer expects, owned by a
 * tree that may own it.  A block is entered once (snapshots share
 * subtrees; a pointer back up the tree fails the level check), so the
 * walk is O(pointers x log blocks) and a hostile pointer graph cannot
 * loop.  A missing or unusable block is reported with its path and the
 * key range its tree loses with it.
 */
#include "msg.h"
#include "vec.h"
#include "verify_state.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A tree to walk: from the superblock or from a ROOT_ITEM. */
struct root_job {
	uint64_t bytenr, generation, tree, offset;
	uint8_t level;
	struct tree_path path;
};

struct walk_entry {
	uint32_t block;
	int has_bound;
	struct btrfs_key bound; /* the next key after this subtree in its parent */
};

struct walker {
	struct verifier *v;
	struct root_job *jobs;
	size_t njobs, jobs_cap;
	struct walk_entry *stack;
	size_t depth, stack_cap;
	struct tree_stat *stat;
	const struct root_job *job;
};

/* What the block a pointer leads to must be. */
struct expectation {
	uint64_t bytenr, generation;
	uint8_t level;
	int has_key;
	struct btrfs_key key;
	int has_bound;
	struct btrfs_key bound;
	const struct tree_path *path;
};

static int same_facts(const struct vblock *a, const struct vblock *b)
{
	return a->generation == b->generation && a->owner == b->owner && a->level == b->level &&
	       a->fault == b->fault && a->key_objectid == b->key_objectid && a->key_type == b->key_type &&
	       a->key_offset == b->key_offset;
}

/* Sort by address; of several records at one address only the last counts. */
static void sort_blocks(struct verifier *v)
{
	struct vblock a, b;
	uint64_t i;

	facts_sort(&v->facts);
	if (v->facts.nblocks)
		facts_block(&v->facts, 0, &b);
	for (i = 0; i + 1 < v->facts.nblocks; i++) {
		a = b;
		facts_block(&v->facts, i + 1, &b);
		if (a.bytenr != b.bytenr)
			continue;
		facts_set_flags(&v->facts, i, VB_SUPERSEDED);
		if (same_facts(&a, &b))
			v->same_duplicates++;
		else
			problem(v, PROBLEM_DUPLICATE, NULL,
				"two different tree blocks at address %" PRIu64 " (generations %" PRIu64 " and %" PRIu64
				"): a restore keeps the later one",
				a.bytenr, a.generation, b.generation);
	}
}

static void push(struct walker *w, uint32_t block, int has_bound, const struct btrfs_key *bound)
{
	if (w->depth == w->stack_cap) {
		w->stack_cap = w->stack_cap ? w->stack_cap * 2 : 256;
		w->stack = xrealloc(w->stack, w->stack_cap * sizeof(*w->stack));
	}
	w->stack[w->depth].block = block;
	w->stack[w->depth].has_bound = has_bound;
	if (has_bound)
		w->stack[w->depth].bound = *bound;
	w->depth++;
}

static void add_job(struct walker *w, const struct root_job *job)
{
	if (w->njobs == w->jobs_cap) {
		w->jobs_cap = w->jobs_cap ? w->jobs_cap * 2 : 32;
		w->jobs = xrealloc(w->jobs, w->jobs_cap * sizeof(*w->jobs));
	}
	w->jobs[w->njobs++] = *job;
}

static int shared_tree(uint64_t tree)
{
	return tree == BTRFS_FS_TREE_OBJECTID || tree == BTRFS_TREE_RELOC_OBJECTID ||
	       (tree >= BTRFS_FIRST_FREE_OBJECTID && tree <= BTRFS_LAST_FREE_OBJECTID);
}

/* Subvolume trees (and their relocation trees) share blocks; every other tree owns its own. */
static int owner_fits(const struct walker *w, const struct expectation *e, uint64_t owner)
{
	uint64_t tree = w->job->tree;

	if (!e->has_key) /* a root block belongs to its own tree */
		return owner == tree;
	if (shared_tree(tree))
		return shared_tree(owner);
	return owner == tree;
}

static void range_text(const struct expectation *e, char *buf, size_t size)
{
	char a[96], b[96];

	if (!e->has_key) {
		snprintf(buf, size, "everything in it");
		return;
	}
	key_text(e->key.objectid, e->key.type, e->key.offset, a, sizeof(a));
	if (e->has_bound)
		snprintf(buf, size, "the level-%u subtree of keys %s up to %s", e->level, a,
			 key_text(e->bound.objectid, e->bound.type, e->bound.offset, b, sizeof(b)));
	else
		snprintf(buf, size, "the level-%u subtree of keys from %s on", e->level, a);
}

static void path_text(const struct tree_path *p, char *buf, size_t size)
{
	char tree[96];

	tree_label(p->tree, p->tree_offset, tree, sizeof(tree));
	if (p->origin == PATH_SUPER)
		snprintf(buf, size, "%s, root pointer in the superblock", tree);
	else if (p->origin == PATH_ROOT_ITEM)
		snprintf(buf, size, "%s, root item in leaf %" PRIu64 " slot %u", tree, p->parent, p->slot);
	else
		snprintf(buf, size, "%s, parent %" PRIu64 " slot %u", tree, p->parent, p->slot);
}

/* Why the block does not fit the pointer (into buf), or NULL. */
static const char *mismatch(const struct walker *w, const struct expectation *e, const struct vblock *b, char *buf,
			    size_t size)
{
	char k1[96], k2[96];

	if (b->level != e->level)
		snprintf(buf, size, "level %u where %u was expected", b->level, e->level);
	else if (b->generation != e->generation)
		snprintf(buf, size, "generation %" PRIu64 " where %" PRIu64 " was expected", b->generation,
			 e->generation);
	else if (e->has_key && (b->key_objectid != e->key.objectid || b->key_type != e->key.type ||
				b->key_offset != e->key.offset))
		snprintf(buf, size, "first key %s where %s was expected",
			 key_text(b->key_objectid, b->key_type, b->key_offset, k1, sizeof(k1)),
			 key_text(e->key.objectid, e->key.type, e->key.offset, k2, sizeof(k2)));
	else if (!owner_fits(w, e, b->owner))
		snprintf(buf, size, "owner %s, which may not hold a block of this tree", tree_name(b->owner));
	else
		return NULL;
	return buf;
}

/* A problem with the block a pointer leads to: what is wrong, where, and what its tree loses. */
static void block_problem(struct walker *w, enum problem_kind kind, const struct expectation *e, const char *what)
{
	char path[200], lost[300];

	path_text(e->path, path, sizeof(path));
	range_text(e, lost, sizeof(lost));
	if (kind == PROBLEM_MISSING)
		problem(w->v, kind, e->path,
			"missing tree block %" PRIu64 " (%s): expected at level %u, generation %" PRIu64
			"; the tree loses %s",
			e->bytenr, path, e->level, e->generation, lost);
	else if (kind == PROBLEM_DAMAGED)
		problem(w->v, kind, e->path, "damaged tree block %" PRIu64 " (%s): %s; the tree loses %s", e->bytenr,
			path, what, lost);
	else
		problem(w->v, kind, e->path, "tree block %" PRIu64 " does not fit its pointer (%s): %s; the tree loses %s",
			e->bytenr, path, what, lost);
}

/* Check the block a pointer leads to; its index if the walk goes on into it, else -1. */
static long reach(struct walker *w, const struct expectation *e)
{
	struct verifier *v = w->v;
	long i = facts_find(&v->facts, e->bytenr);
	char why[256];
	struct vblock block, *b = &block;
	unsigned flags;

	if (i < 0) {
		w->stat->missing++;
		v->missing++;
		block_problem(w, PROBLEM_MISSING, e, NULL);
		return -1;
	}
	facts_block(&v->facts, (uint64_t)i, b);
	flags = facts_flags(&v->facts, (uint64_t)i);
	if (b->fault != FAULT_NONE) {
		if (flags & VB_REACHED)
			return -1; /* reported when first reached */
		facts_set_flags(&v->facts, (uint64_t)i, VB_REACHED);
		w->stat->bad++;
		v->bad++;
		/* a wrong level makes a leaf look like a broken node: say so first */
		if (b->level != e->level)
			snprintf(why, sizeof(why), "level %u where %u was expected, and then: %s", b->level, e->level,
				 block_fault_text[b->fault]);
		else
			snprintf(why, sizeof(why), "%s", block_fault_text[b->fault]);
		block_problem(w, PROBLEM_DAMAGED, e, why);
		return -1;
	}
	if (mismatch(w, e, b, why, sizeof(why))) {
		w->stat->bad++;
		block_problem(w, PROBLEM_MISMATCH, e, why);
		if (!(flags & VB_REACHED))
			v->bad++;
		facts_set_flags(&v->facts, (uint64_t)i, VB_REACHED);
		return -1;
	}
	if (flags & VB_REACHED)
		return -1; /* shared with a tree walked before */
	facts_set_flags(&v->facts, (uint64_t)i,
			VB_REACHED | (w->job->tree == BTRFS_CHUNK_TREE_OBJECTID ? VB_SYSTEM : 0));
	w->stat->blocks++;
	v->reached++;
	return i;
}

static struct tree_stat *new_tree_stat(struct verifier *v, uint64_t id, uint64_t offset)
{
	if (v->ntrees == v->trees_cap) {
		v->trees_cap = v->trees_cap ? v->trees_cap * 2 : 32;
		v->trees = xrealloc(v->trees, v->trees_cap * sizeof(*v->trees));
	}
	memset(&v->trees[v->ntrees], 0, sizeof(v->trees[0]));
	v->trees[v->ntrees].id = id;
	v->trees[v->ntrees].offset = offset;
	return &v->trees[v->ntrees++];
}

/* A root item met in a leaf of the root tree or of the log root tree. */
static void root_link(struct walker *w, const struct vlink *l, const struct vblock *leaf, uint32_t slot)
{
	struct root_job job = { .bytenr = l->a, .generation = l->b, .tree = l->c, .offset = l->d, .level = l->level };
	char tree[96];

	job.path = (struct tree_path){ 1, l->c, l->d, PATH_ROOT_ITEM, leaf->bytenr, slot };
	if (l->dead && l->c != BTRFS_TREE_LOG_OBJECTID) {
		w->v->dead_roots++; /* being deleted: its blocks are freed as the deletion goes */
		return;
	}
	if (!l->a || l->level >= BTRFS_MAX_LEVEL) {
		problem(w->v, PROBLEM_MISMATCH, &job.path,
			"unusable root item for %s in leaf %" PRIu64 " slot %u (address %" PRIu64 ", level %u)",
			tree_label(l->c, l->d, tree, sizeof(tree)), leaf->bytenr, slot, l->a, l->level);
		return;
	}
	add_job(w, &job);
}

static void leaf_reached(struct walker *w, const struct vblock *leaf)
{
	struct verifier *v = w->v;
	uint64_t tree = w->job->tree;
	int root_tree = w->job->path.origin == PATH_SUPER && tree != BTRFS_CHUNK_TREE_OBJECTID;
	uint32_t i;

	for (i = 0; i < leaf->link_count; i++) {
		struct vlink link, *l = &link;
		struct tree_path path = { 1, tree, w->job->offset, PATH_POINTER, leaf->bytenr, i };

		facts_link(&v->facts, leaf->link_first + i, l);
		if (l->kind == LINK_ROOT && root_tree)
			root_link(w, l, leaf, i);
		else if (l->kind == LINK_DATA)
			verify_data_link(v, l, leaf->bytenr, i, &path);
		else if (l->kind == LINK_CHUNK && tree == BTRFS_CHUNK_TREE_OBJECTID)
			vchunk_append(&v->tree_chunks, &v->ntree_chunks,
				      &(struct vchunk){ l->a, l->b, l->c, (uint32_t)l->d });
		else if (l->kind == LINK_BLOCK_GROUP &&
			 (tree == BTRFS_EXTENT_TREE_OBJECTID || tree == BTRFS_BLOCK_GROUP_TREE_OBJECTID))
			vchunk_append(&v->block_groups, &v->nblock_groups, &(struct vchunk){ l->a, l->b, l->c, 0 });
	}
}

/* The children of a node: each checked, the sound ones pushed. */
static void node_reached(struct walker *w, const struct walk_entry *entry)
{
	struct verifier *v = w->v;
	struct vblock block, *node = &block;
	struct vlink link, next;
	uint32_t i;

	facts_block(&v->facts, entry->block, node);
	if (node->link_count)
		facts_link(&v->facts, node->link_first, &next);
	for (i = 0; i < node->link_count; i++) {
		const struct vlink *l = &link;
		struct tree_path path = { 1, w->job->tree, w->job->offset, PATH_POINTER, node->bytenr, i };
		struct expectation e;
		long child;

		link = next;
		e = (struct expectation){ .bytenr = l->a, .generation = l->b, .level = (uint8_t)(node->level - 1),
					  .has_key = 1, .key = { l->c, l->key_type, l->d }, .path = &path };
		if (i + 1 < node->link_count) {
			facts_link(&v->facts, node->link_first + i + 1, &next);
			e.has_bound = 1;
			e.bound = (struct btrfs_key){ next.c, next.key_type, next.d };
		} else if (entry->has_bound) {
			e.has_bound = 1;
			e.bound = entry->bound;
		}
		child = reach(w, &e);
		if (child >= 0)
			push(w, (uint32_t)child, e.has_bound, &e.bound);
	}
}

static void walk_tree(struct walker *w, const struct root_job *job)
{
	struct expectation e = { .bytenr = job->bytenr, .generation = job->generation, .level = job->level,
				 .path = &job->path };
	long root;

	w->job = job;
	w->stat = new_tree_stat(w->v, job->tree, job->offset);
	root = reach(w, &e);
	if (root >= 0)
		push(w, (uint32_t)root, 0, NULL);
	while (w->depth) {
		struct walk_entry entry = w->stack[--w->depth];
		struct vblock b;

		/* w->stat stays put during a walk: nothing is appended to v->trees */
		facts_block(&w->v->facts, entry.block, &b);
		if (b.level == 0)
			leaf_reached(w, &b);
		else
			node_reached(w, &entry);
	}
	if (job->tree == BTRFS_CHUNK_TREE_OBJECTID && (w->stat->missing || w->stat->bad))
		w->v->chunk_tree_incomplete = 1;
}

static void tally_unreachable(struct verifier *v, const struct vblock *b)
{
	size_t i;

	v->unreachable++;
	for (i = 0; i < v->nunreachable_owners; i++)
		if (v->unreachable_owners[i].owner == b->owner)
			break;
	if (i == v->nunreachable_owners) {
		if (i == 64) /* a few owners tell the story; the total stays exact */
			return;
		v->unreachable_owners = xrealloc(v->unreachable_owners, (i + 1) * sizeof(*v->unreachable_owners));
		v->unreachable_owners[i] = (struct owner_tally){ b->owner, 0 };
		v->nunreachable_owners++;
	}
	v->unreachable_owners[i].blocks++;
}

/* Blocks no tree reached: counted (the extent tree dump may hold such), reported only if damaged. */
static void count_unreachable(struct verifier *v)
{
	struct vblock block, *b = &block;
	uint64_t i;

	for (i = 0; i < v->facts.nblocks; i++) {
		if (facts_flags(&v->facts, i) & (VB_REACHED | VB_SUPERSEDED))
			continue;
		facts_block(&v->facts, i, b);
		tally_unreachable(v, b);
		if (b->fault != FAULT_NONE) {
			v->bad++;
			problem(v, PROBLEM_DAMAGED, NULL, "damaged tree block %" PRIu64 " (owner %s, level %u, reached by no tree): %s",
				b->bytenr, tree_name(b->owner), b->level, block_fault_text[b->fault]);
		}
	}
}

static void super_jobs(struct walker *w)
{
	const struct super_info *sb = &w->v->sb;
	struct root_job chunk = { sb->chunk_root, get_le64(w->v->sb_raw, SB_CHUNK_ROOT_GENERATION),
				  BTRFS_CHUNK_TREE_OBJECTID, 0, sb->chunk_root_level,
				  { 1, BTRFS_CHUNK_TREE_OBJECTID, 0, PATH_SUPER, 0, 0 } };
	struct root_job root = { sb->root, sb->generation, BTRFS_ROOT_TREE_OBJECTID, 0, sb->root_level,
				 { 1, BTRFS_ROOT_TREE_OBJECTID, 0, PATH_SUPER, 0, 0 } };
	/* the log is one transaction ahead of the superblock */
	struct root_job log = { sb->log_root, sb->generation + 1, BTRFS_TREE_LOG_OBJECTID, 0, sb->log_root_level,
				{ 1, BTRFS_TREE_LOG_OBJECTID, 0, PATH_SUPER, 0, 0 } };

	add_job(w, &chunk);
	add_job(w, &root);
	if (sb->log_root)
		add_job(w, &log);
}

void verify_walk(struct verifier *v)
{
	struct walker w = { .v = v };
	size_t i;

	sort_blocks(v);
	if (v->have_sb) {
		super_jobs(&w);
		/* jobs grow while the root trees are walked: index, not pointer */
		for (i = 0; i < w.njobs; i++) {
			struct root_job job = w.jobs[i];
			walk_tree(&w, &job);
		}
	}
	count_unreachable(v);
	free(w.jobs);
	free(w.stack);
}
