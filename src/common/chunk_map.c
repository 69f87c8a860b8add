/*
 * The chunk map as an AA tree (Andersson's balanced binary search tree:
 * each node has a level, a left child is one level down, a right child the
 * same level at most once in a row; skew and split restore that after an
 * insertion).  Its depth stays below 2 log2(n), so the recursion is
 * shallow.  Nodes live in an array parallel to the chunks; `next` links
 * them in logical order for iteration.
 */
#include "chunk.h"
#include "msg.h"

#include <stdlib.h>
#include <string.h>

struct chunk_map_node {
	size_t left, right, next;
	unsigned level;
};

#define NONE CHUNK_MAP_NONE

void chunk_map_init(struct chunk_map *map)
{
	memset(map, 0, sizeof(*map));
	map->root = map->first = NONE;
}

void chunk_map_free(struct chunk_map *map)
{
	size_t i;

	for (i = 0; i < map->count; i++)
		chunk_free(&map->added[i]);
	free(map->added);
	free(map->nodes);
	chunk_map_init(map);
}

static uint64_t start_of(const struct chunk_map *map, size_t i)
{
	return map->added[i].logical;
}

/* The chunk with the greatest start <= logical, or NONE. */
static size_t floor_of(const struct chunk_map *map, uint64_t logical)
{
	size_t t = map->root, best = NONE;

	while (t != NONE) {
		if (start_of(map, t) <= logical) {
			best = t;
			t = map->nodes[t].right;
		} else {
			t = map->nodes[t].left;
		}
	}
	return best;
}

/* The chunk with the least start > logical, or NONE. */
static size_t above(const struct chunk_map *map, uint64_t logical)
{
	size_t t = map->root, best = NONE;

	while (t != NONE) {
		if (start_of(map, t) > logical) {
			best = t;
			t = map->nodes[t].left;
		} else {
			t = map->nodes[t].right;
		}
	}
	return best;
}

static size_t skew(struct chunk_map *map, size_t t)
{
	struct chunk_map_node *n = map->nodes;
	size_t l = n[t].left;

	if (l == NONE || n[l].level != n[t].level)
		return t;
	n[t].left = n[l].right;
	n[l].right = t;
	return l;
}

static size_t split(struct chunk_map *map, size_t t)
{
	struct chunk_map_node *n = map->nodes;
	size_t r = n[t].right;

	if (r == NONE || n[r].right == NONE || n[n[r].right].level != n[t].level)
		return t;
	n[t].right = n[r].left;
	n[r].left = t;
	n[r].level++;
	return r;
}

/* Insert node i (a leaf of level 1) into the subtree t; returns the subtree's new root. */
static size_t insert(struct chunk_map *map, size_t t, size_t i)
{
	if (t == NONE)
		return i;
	if (start_of(map, i) < start_of(map, t))
		map->nodes[t].left = insert(map, map->nodes[t].left, i);
	else
		map->nodes[t].right = insert(map, map->nodes[t].right, i);
	return split(map, skew(map, t));
}

const char *chunk_map_add(struct chunk_map *map, struct chunk *c)
{
	size_t before = floor_of(map, c->logical), after = above(map, c->logical), i;
	uint64_t end = c->logical + c->length;

	if (before != NONE) {
		const struct chunk *old = &map->added[before];

		if (old->logical == c->logical && old->length == c->length) {
			chunk_free(c);
			return NULL;
		}
		if (old->logical + old->length > c->logical) {
			chunk_free(c);
			return "chunk overlaps another chunk";
		}
	}
	if (after != NONE && start_of(map, after) < end) {
		chunk_free(c);
		return "chunk overlaps another chunk";
	}
	if (map->count == map->capacity) {
		if (map->capacity > SIZE_MAX / 2 / sizeof(*map->added))
			die("out of memory: a chunk map of %zu chunks", map->count);
		map->capacity = map->capacity ? map->capacity * 2 : 64;
		map->added = xrealloc(map->added, map->capacity * sizeof(*map->added));
		map->nodes = xrealloc(map->nodes, map->capacity * sizeof(*map->nodes));
	}
	i = map->count++;
	map->added[i] = *c;
	c->stripes = NULL;
	map->nodes[i] = (struct chunk_map_node){ NONE, NONE, after, 1 };
	if (before != NONE)
		map->nodes[before].next = i;
	else
		map->first = i;
	map->root = insert(map, map->root, i);
	return NULL;
}

const struct chunk *chunk_map_lookup(const struct chunk_map *map, uint64_t logical)
{
	size_t i = floor_of(map, logical);

	if (i != NONE && logical - start_of(map, i) < map->added[i].length)
		return &map->added[i];
	return NULL;
}

const struct chunk *chunk_map_after(const struct chunk_map *map, uint64_t logical)
{
	size_t i = above(map, logical);

	return i != NONE ? &map->added[i] : NULL;
}

const struct chunk *chunk_map_first(const struct chunk_map *map)
{
	return map->first != NONE ? &map->added[map->first] : NULL;
}

const struct chunk *chunk_map_next(const struct chunk_map *map, const struct chunk *c)
{
	size_t next = map->nodes[chunk_map_index(map, c)].next;

	return next != NONE ? &map->added[next] : NULL;
}

size_t chunk_map_index(const struct chunk_map *map, const struct chunk *c)
{
	return (size_t)(c - map->added);
}
