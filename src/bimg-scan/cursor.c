/*
 * A cursor over the items of one tree, in key order, holding only the path
 * from the root to the current leaf: at most BTRFS_MAX_LEVEL blocks, so
 * memory does not grow with the tree.
 *
 * Every child is checked against its pointer: same bytenr (read path), and
 * a level exactly one below its parent.  Levels strictly decrease on the
 * way down, so a pointer to the block itself or to an ancestor can never
 * make the cursor loop: it fails the level check.
 *
 * With --rescue a child that cannot be read (or does not fit its pointer)
 * is reported and its subtree passed over as if it were empty: the items
 * under it are lost, the rest of the tree is still seen.
 */
#include "cursor.h"
#include "blockio.h"
#include "devices.h"
#include "msg.h"
#include "rescue.h"
#include "tree.h"

#include <stdio.h>
#include <stdlib.h>

const char *child_mismatch(const struct scan_fs *fs, const uint8_t *child, int expect_level, char *why, size_t size)
{
	if (tree_block_level(child) != expect_level) {
		snprintf(why, size,
			 "level %u where level %d was expected (a pointer to itself, an ancestor or the wrong block)",
			 tree_block_level(child), expect_level);
		return why;
	}
	/* Log trees are written in the transaction after the superblock's. */
	if (tree_block_generation(child) > fs->sb.generation + 1) {
		snprintf(why, size, "generation %llu is newer than the filesystem's (%llu)",
			 (unsigned long long)tree_block_generation(child), (unsigned long long)fs->sb.generation);
		return why;
	}
	return NULL;
}

/* Read a block for the cursor: 0, or -1 when rescue passes over it (otherwise dies). */
static int load(struct tree_cursor *c, uint64_t bytenr, int level, uint8_t *into)
{
	struct block_damage damage;

	if (read_tree_block_try(c->fs, bytenr, level, into, &damage) == 0)
		return 0;
	/* Not offered from here: the blocks come in the order of their own producer. */
	rescue_block(c->fs, bytenr, into, &damage, 0);
	return -1;
}

/*
 * From nodes[level] at slots[level], go down to the first leaf, passing
 * over the pointers rescue gives up on and climbing past nodes whose
 * pointers are used up; c->valid = 0 if the tree ends first.
 */
static void descend(struct tree_cursor *c, int level)
{
	while (level > 0) {
		struct btrfs_key key;
		uint64_t ptr, gen;

		if (c->slots[level] >= tree_block_nritems(c->nodes[level])) {
			if (++level > c->top) {
				c->valid = 0;
				return;
			}
			c->slots[level]++;
			continue;
		}
		node_ptr(c->nodes[level], c->slots[level], &key, &ptr, &gen);
		if (load(c, ptr, level - 1, c->nodes[level - 1]) < 0) {
			c->slots[level]++;
			continue;
		}
		level--;
		c->slots[level] = 0;
	}
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
	c->valid = 0;
	if (load(c, root, root_level, c->nodes[root_level]) < 0) {
		c->top = -1; /* rescue: the whole tree is lost; cursor_seek finds nothing */
		return;
	}
	c->slots[root_level] = 0;
	c->valid = 1;
	descend(c, root_level);
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
	if (!c->valid)
		return;
	if (c->top == 0) {
		c->valid = 0;
		return;
	}
	c->slots[1]++;
	descend(c, 1);
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

	if (c->top < 0)
		return;
	c->valid = 1;
	for (level = c->top; level > 0; level--) {
		uint64_t ptr, gen;

		nritems = tree_block_nritems(c->nodes[level]);
		/* The last pointer whose key is <= target (the first one if none is). */
		for (slot = 1; slot < nritems; slot++) {
			node_ptr(c->nodes[level], slot, &key, &ptr, &gen);
			if (key_compare(&key, target) > 0)
				break;
		}
		c->slots[level] = slot - 1;
		node_ptr(c->nodes[level], c->slots[level], &key, &ptr, &gen);
		if (load(c, ptr, level - 1, c->nodes[level - 1]) < 0) {
			/* rescue: the items of that subtree are lost; go on with the next one */
			c->slots[level]++;
			descend(c, level);
			if (c->valid) {
				c->slots[0] = 0;
				settle(c);
			}
			return;
		}
	}
	nritems = tree_block_nritems(c->nodes[0]);
	for (slot = 0; slot < nritems; slot++) {
		uint32_t off, size;
		leaf_item(c->nodes[0], c->fs->nodesize, slot, &key, &off, &size);
		if (key_compare(&key, target) >= 0)
			break;
	}
	c->slots[0] = slot;
	settle(c);
}

void check_root_tree(struct scan_fs *fs)
{
	uint8_t *block = xmalloc(fs->nodesize);

	if (fs->sb.root_level >= BTRFS_MAX_LEVEL)
		die("%s: root tree root %llu: invalid level %d", fs->name, (unsigned long long)fs->sb.root,
		    fs->sb.root_level);
	read_tree_block(fs, fs->sb.root, fs->sb.root_level, block);
	free(block);
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
