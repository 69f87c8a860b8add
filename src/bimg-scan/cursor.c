/*
 * A cursor over the items of one tree, in key order, holding only the path
 * from the root to the current leaf: at most BTRFS_MAX_LEVEL blocks, so
 * memory does not grow with the tree.
 *
 * Every child is checked against its pointer: same bytenr (read path), and
 * a level exactly one below its parent.  Levels strictly decrease on the
 * way down, so a pointer to the block itself or to an ancestor can never
 * make the cursor loop: it fails the level check.
 */
#include "scan.h"
#include "msg.h"
#include "tree.h"

#include <stdlib.h>

void check_child(struct scan_fs *fs, const uint8_t *child, uint64_t bytenr, int expect_level)
{
	if (tree_block_level(child) != expect_level)
		die("%s: tree block %llu: level %u where level %d was expected (a pointer to itself, an "
		    "ancestor or the wrong block)",
		    fs->name, (unsigned long long)bytenr, tree_block_level(child), expect_level);
	/* Log trees are written in the transaction after the superblock's. */
	if (tree_block_generation(child) > fs->sb.generation + 1)
		die("%s: tree block %llu: generation %llu is newer than the filesystem's (%llu)", fs->name,
		    (unsigned long long)bytenr, (unsigned long long)tree_block_generation(child),
		    (unsigned long long)fs->sb.generation);
}

static int key_cmp(const struct btrfs_key *a, const struct btrfs_key *b)
{
	if (a->objectid != b->objectid)
		return a->objectid < b->objectid ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->offset != b->offset)
		return a->offset < b->offset ? -1 : 1;
	return 0;
}

/* Load the child of nodes[level] at slots[level] into nodes[level - 1]. */
static void load_child(struct tree_cursor *c, int level)
{
	struct btrfs_key key;
	uint64_t ptr, gen;

	node_ptr(c->nodes[level], c->slots[level], &key, &ptr, &gen);
	read_tree_block(c->fs, ptr, level - 1, c->nodes[level - 1]);
	c->slots[level - 1] = 0;
}

/* From a leaf whose slot may be past its end, move on to a real item (or the end). */
static void settle(struct tree_cursor *c)
{
	while (c->valid && c->slots[0] >= tree_block_nritems(c->nodes[0]))
		cursor_next_leaf(c);
}

void cursor_open(struct tree_cursor *c, struct scan_fs *fs, uint64_t root, int root_level, const char *what)
{
	int level;

	(void)what;
	c->fs = fs;
	c->top = root_level;
	if (root_level < 0 || root_level >= BTRFS_MAX_LEVEL)
		die("%s: %s root %llu: invalid level %d", fs->name, what, (unsigned long long)root,
		    root_level);
	for (level = 0; level < BTRFS_MAX_LEVEL; level++)
		c->nodes[level] = level <= root_level ? xmalloc(fs->nodesize) : NULL;
	read_tree_block(fs, root, root_level, c->nodes[root_level]);
	c->slots[root_level] = 0;
	for (level = root_level; level > 0; level--)
		load_child(c, level);
	c->valid = 1;
	settle(c);
}

void cursor_close(struct tree_cursor *c)
{
	int level;

	for (level = 0; level < BTRFS_MAX_LEVEL; level++) {
		free(c->nodes[level]);
		c->nodes[level] = NULL;
	}
	c->valid = 0;
}

void cursor_next_leaf(struct tree_cursor *c)
{
	int level = 1;

	while (level <= c->top && c->slots[level] + 1 >= tree_block_nritems(c->nodes[level]))
		level++;
	if (level > c->top) {
		c->valid = 0;
		return;
	}
	c->slots[level]++;
	for (; level > 0; level--)
		load_child(c, level);
	/* An empty leaf below a node is malformed but harmless: settle() moves past it. */
}

void cursor_next(struct tree_cursor *c)
{
	if (!c->valid)
		return;
	c->slots[0]++;
	settle(c);
}

void cursor_seek(struct tree_cursor *c, const struct btrfs_key *target)
{
	struct btrfs_key key;
	uint32_t slot, nritems;
	int level;

	c->valid = 1;
	for (level = c->top; level > 0; level--) {
		uint64_t ptr, gen;

		nritems = tree_block_nritems(c->nodes[level]);
		/* The last pointer whose key is <= target (the first one if none is). */
		for (slot = 1; slot < nritems; slot++) {
			node_ptr(c->nodes[level], slot, &key, &ptr, &gen);
			if (key_cmp(&key, target) > 0)
				break;
		}
		c->slots[level] = slot - 1;
		load_child(c, level);
	}
	nritems = tree_block_nritems(c->nodes[0]);
	for (slot = 0; slot < nritems; slot++) {
		uint32_t off, size;
		leaf_item(c->nodes[0], c->fs->nodesize, slot, &key, &off, &size);
		if (key_cmp(&key, target) >= 0)
			break;
	}
	c->slots[0] = slot;
	settle(c);
}

void find_tree_root(struct scan_fs *fs, uint64_t objectid, uint64_t *bytenr, int *level)
{
	struct tree_cursor c;
	struct btrfs_key key = { objectid, BTRFS_ROOT_ITEM_KEY, 0 };
	uint32_t off, size;

	cursor_open(&c, fs, fs->sb.root, fs->sb.root_level, "root tree");
	cursor_seek(&c, &key);
	if (c.valid)
		leaf_item(cursor_leaf(&c), fs->nodesize, cursor_slot(&c), &key, &off, &size);
	if (!c.valid || key.objectid != objectid || key.type != BTRFS_ROOT_ITEM_KEY)
		die("%s: the root tree has no root item for tree %llu", fs->name, (unsigned long long)objectid);
	if (size < ROOT_ITEM_MIN_SIZE)
		die("%s: tree block %llu: root item of tree %llu is too short (%u bytes)", fs->name,
		    (unsigned long long)tree_block_bytenr(cursor_leaf(&c)), (unsigned long long)objectid, size);
	*bytenr = get_le64(cursor_leaf(&c), off + ROOT_ITEM_BYTENR);
	*level = get_le8(cursor_leaf(&c), off + ROOT_ITEM_LEVEL);
	cursor_close(&c);
}
