#include "namemap.h"

#include "btrfs.h"
#include "collide.h"
#include "msg.h"
#include "namestore.h"

#include <stdlib.h>
#include <string.h>

#define RANDOM_TRIES 64
/* Names tried one by one before giving up: every name of 1 or 2 bytes (3 if printable). */
#define EXHAUSTIVE_MAX (1u << 20)

struct name_map {
	enum name_mode mode;
	int keep_short;
	int xattr;
	int odometer;
	struct rng rng;
	struct name_store *store;
	struct name_stats stats;
	uint8_t scratch[65536];
};

struct name_map *name_map_new(enum name_mode mode, int keep_short, int xattr, uint64_t seed, size_t memory)
{
	struct name_map *m = xcalloc(1, sizeof(*m));

	m->xattr = xattr;
	m->mode = mode;
	m->keep_short = keep_short;
	rng_seed(&m->rng, seed);
	/* The first draw keys the in-memory tables (and keeps every seed giving the names it always gave). */
	m->store = name_store_new(memory, rng_next(&m->rng));
	if (mode == NAMES_SAME_HASH)
		collide_init();
	return m;
}

void name_map_use_odometer(struct name_map *m)
{
	m->odometer = 1;
}

void name_map_free(struct name_map *m)
{
	name_store_free(m->store);
	free(m);
}

struct taken_ctx {
	const struct name_map *m;
	const uint8_t *orig;
	name_known_fn is_original; /* optional */
	void *is_original_ctx;
};

/*
 * Names nothing may be renamed to: "." and ".." (a lookup of either never
 * reaches the directory's items, so the entry and all below it would be
 * lost), and names holding NUL or '/' (no path can name them).
 */
static int name_unusable(const uint8_t *c, size_t n)
{
	return name_is_dot_or_dotdot(c, n) || memchr(c, 0, n) || memchr(c, '/', n);
}

/* Is c[0..n) already the replacement of some name? */
static int replacement_owned(const struct name_map *m, const uint8_t *c, size_t n)
{
	return name_store_owns(m->store, c, n);
}

/*
 * A candidate is taken if it is unusable, the original, already some name's
 * replacement (two names of one directory would become one), or (when the
 * caller knows them) another original name: a replacement that is also a
 * real name would mislead whoever reads the image.
 */
static int candidate_taken(void *ctx, const uint8_t *c, size_t n)
{
	const struct taken_ctx *t = ctx;
	const struct name_map *m = t->m;

	if (name_unusable(c, n) || memcmp(c, t->orig, n) == 0 || replacement_owned(m, c, n))
		return 1;
	return t->is_original && t->is_original(t->is_original_ctx, c, n);
}

/* Any byte but NUL and '/': enough values for every distinct 1- or 2-byte name of a valid filesystem. */
static void any_name_bytes(struct name_map *m, uint8_t *out, size_t n, uint64_t index, int sequential)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t v = sequential ? (uint32_t)(index % 254) : rng_below(&m->rng, 254);
		out[i] = (uint8_t)(v + 1 + (v + 1 >= '/'));
		index /= 254;
	}
}

/* Every name of n bytes in turn from a random start, printable or not: 1 if a free one was found. */
static int enumerate(struct name_map *m, struct taken_ctx *ctx, size_t n, int printable, uint8_t *out)
{
	uint64_t space = 1, start;

	for (size_t i = 0; i < n && space <= EXHAUSTIVE_MAX; i++)
		space *= printable ? PRINTABLE_COUNT : 254;
	if (space > EXHAUSTIVE_MAX)
		space = EXHAUSTIVE_MAX;
	start = rng_next(&m->rng) % space;
	for (uint64_t k = 0; k < space; k++) {
		if (printable)
			nth_printable_name((start + k) % space, out, n);
		else
			any_name_bytes(m, out, n, (start + k) % space, 1);
		if (!candidate_taken(ctx, out, n))
			return 1;
	}
	return 0;
}

/*
 * Random printable bytes, then every printable name in turn; other bytes
 * only when the printable names of this length run out.  A name is kept
 * only when every other name of its length (1 or 2 bytes: 253 or 64 515
 * usable ones) is taken, so the map stays one-to-one; beyond that the input
 * has more distinct names than there are (names with NUL or '/': hostile)
 * and the dump fails rather than give two names one replacement.
 */
static void make_random(struct name_map *m, struct taken_ctx ctx, size_t n, uint8_t *out)
{
	for (int i = 0; i < RANDOM_TRIES; i++) {
		random_printable(&m->rng, out, n);
		if (!candidate_taken(&ctx, out, n))
			return;
	}
	if (enumerate(m, &ctx, n, 1, out))
		return;
	m->stats.non_printable++;
	for (int i = 0; i < RANDOM_TRIES; i++) {
		any_name_bytes(m, out, n, 0, 0);
		if (!candidate_taken(&ctx, out, n))
			return;
	}
	if (enumerate(m, &ctx, n, 0, out))
		return;
	if (n <= 2 && !name_unusable(ctx.orig, n) && !replacement_owned(m, ctx.orig, n)) {
		memcpy(out, ctx.orig, n);
		m->stats.kept_full++;
		return;
	}
	die("more distinct %zu-byte names than there are names to replace them with", n);
}

/*
 * Names the kernel and the security modules define: the same on every system, so they name nothing of
 * the owner's, and the kernel finds them by name (an ACL, a capability or a security label renamed would
 * be lost).  Every other name is treated as the owner's.
 */
static const char *const kernel_xattr_names[] = {
	"security.selinux",	   "security.capability",  "security.ima",	     "security.evm",
	"security.apparmor",	   "security.SMACK64",	   "security.SMACK64IPIN",  "security.SMACK64IPOUT",
	"security.SMACK64EXEC",	   "security.SMACK64MMAP", "security.SMACK64TRANSMUTE",
	"system.posix_acl_access", "system.posix_acl_default", "btrfs.compression",
};

/* The namespaces whose prefix stays when the rest of a name is replaced. */
static const char *const xattr_namespaces[] = { "user.", "trusted.", "security.", "system.", "btrfs." };

/*
 * How many leading bytes of an xattr name stay: all of a kernel-defined name, the namespace of any
 * other name in a known namespace, none of a name in no namespace we know (a damaged one: privacy
 * fails closed, so it is replaced whole).
 */
static size_t xattr_namespace(const uint8_t *name, size_t n)
{
	for (size_t i = 0; i < sizeof(kernel_xattr_names) / sizeof(kernel_xattr_names[0]); i++)
		if (n == strlen(kernel_xattr_names[i]) && memcmp(name, kernel_xattr_names[i], n) == 0)
			return n;
	for (size_t i = 0; i < sizeof(xattr_namespaces) / sizeof(xattr_namespaces[0]); i++) {
		size_t len = strlen(xattr_namespaces[i]);

		if (n > len && memcmp(name, xattr_namespaces[i], len) == 0)
			return len;
	}
	return 0;
}

static void make_xattr_replacement(struct name_map *m, const uint8_t *name, size_t n, uint8_t *out)
{
	struct taken_ctx ctx = { m, name, NULL, NULL };
	size_t keep = xattr_namespace(name, n);

	memcpy(out, name, n);
	if (keep == n) {
		m->stats.kept_xattr++;
		return;
	}
	if (m->mode == NAMES_RANDOM) {
		for (int i = 0; i < RANDOM_TRIES; i++) {
			random_printable(&m->rng, out + keep, n - keep);
			if (!candidate_taken(&ctx, out, n))
				return;
		}
	} else if (collide_name(&m->rng, name, n, keep, out, candidate_taken, &ctx)) {
		return;
	}
	/* An xattr item whose key no longer matched would make the kernel refuse its leaf. */
	memcpy(out, name, n);
	m->stats.kept_xattr++;
}

static void make_replacement(struct name_map *m, const uint8_t *name, size_t n, uint8_t *out)
{
	struct taken_ctx ctx = { m, name, NULL, NULL };

	if (m->xattr) {
		make_xattr_replacement(m, name, n, out);
		return;
	}

	if (name_is_dot_or_dotdot(name, n)) {
		memcpy(out, name, n);
		return;
	}
	if (m->mode == NAMES_SAME_HASH) {
		if (n < COLLIDE_MIN_LEN && m->keep_short) {
			memcpy(out, name, n);
			m->stats.kept_short++;
			return;
		}
		if (m->odometer && collide_odometer(name, n, out, candidate_taken, &ctx))
			return;
		if (collide_name(&m->rng, name, n, 0, out, candidate_taken, &ctx))
			return;
		if (n < 7 && collide_name_wide(&m->rng, name, n, 0, out, candidate_taken, &ctx)) {
			m->stats.wide_collisions++;
			return;
		}
		m->stats.hash_lost++;
	}
	make_random(m, ctx, n, out);
}

/* A short name whose keys must stay in their windows (see collide.h). */
static void make_placed(struct name_map *m, const uint8_t *name, size_t n, const struct hash_window *windows,
			size_t count, name_known_fn is_original, void *is_original_ctx, uint8_t *out)
{
	struct taken_ctx ctx = { m, name, is_original, is_original_ctx };

	if (name_is_dot_or_dotdot(name, n)) {
		memcpy(out, name, n);
		return;
	}
	if (count == 0) {
		/* No key holds its hash: any name will do. */
		make_random(m, ctx, n, out);
		return;
	}
	if (place_short_name(&m->rng, name, n, windows, count, 0, out, candidate_taken, &ctx)) {
		m->stats.placed++;
		return;
	}
	if (place_short_name(&m->rng, name, n, windows, count, 1, out, candidate_taken, &ctx)) {
		m->stats.placed++;
		m->stats.wide_placed++;
		return;
	}
	if (n < 4) {
		/* The only name that fits; a 1..3-byte name may stay (docs/sanitize.md, what stays readable). */
		memcpy(out, name, n);
		m->stats.kept_tight++;
		return;
	}
	m->stats.hash_lost++;
	make_random(m, ctx, n, out);
}

/*
 * Record name -> m->scratch[0..n).  Every path above either checked the
 * replacement with candidate_taken or keeps a name no other name can have
 * been given; this is the last guard of the one-to-one map.
 */
static const uint8_t *add_entry(struct name_map *m, const uint8_t *name, size_t n)
{
	if (replacement_owned(m, m->scratch, n))
		die("internal error: two distinct names of %zu bytes would get the same replacement", n);
	name_store_add(m->store, name, m->scratch, n);
	m->stats.distinct++;
	return m->scratch;
}

const uint8_t *name_map_get(struct name_map *m, const uint8_t *name, size_t n)
{
	const uint8_t *repl = name_store_find(m->store, name, n);

	if (repl)
		return repl;
	make_replacement(m, name, n, m->scratch);
	return add_entry(m, name, n);
}

const uint8_t *name_map_place(struct name_map *m, const uint8_t *name, size_t n, const struct hash_window *windows,
			      size_t count, name_known_fn is_original, void *is_original_ctx)
{
	const uint8_t *repl = name_store_find(m->store, name, n);

	if (repl)
		return repl;
	make_placed(m, name, n, windows, count, is_original, is_original_ctx, m->scratch);
	return add_entry(m, name, n);
}

const struct name_stats *name_map_stats(struct name_map *m)
{
	m->stats.spilled = name_store_spilled(m->store);
	m->stats.read_back = name_store_read_back(m->store);
	return &m->stats;
}
