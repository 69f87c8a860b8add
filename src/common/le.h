/*
 * Little-endian accessors for on-disk and on-wire structures.
 *
 * btrfs, the btrfs-image format and our record stream are all little endian
 * and byte-packed, so fields are read and written through these helpers at
 * documented offsets; no structure is ever overlaid on a buffer.
 */
#ifndef BIMG_COMMON_LE_H
#define BIMG_COMMON_LE_H

#include <stdint.h>
#include <string.h>

static inline uint8_t get_le8(const void *p, size_t off)
{
	return ((const uint8_t *)p)[off];
}

static inline uint16_t get_le16(const void *p, size_t off)
{
	const uint8_t *b = (const uint8_t *)p + off;
	return (uint16_t)(b[0] | (b[1] << 8));
}

static inline uint32_t get_le32(const void *p, size_t off)
{
	const uint8_t *b = (const uint8_t *)p + off;
	return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
	       ((uint32_t)b[3] << 24);
}

static inline uint64_t get_le64(const void *p, size_t off)
{
	return (uint64_t)get_le32(p, off) | ((uint64_t)get_le32(p, off + 4) << 32);
}

static inline void put_le8(void *p, size_t off, uint8_t v)
{
	((uint8_t *)p)[off] = v;
}

static inline void put_le16(void *p, size_t off, uint16_t v)
{
	uint8_t *b = (uint8_t *)p + off;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(void *p, size_t off, uint32_t v)
{
	uint8_t *b = (uint8_t *)p + off;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline void put_le64(void *p, size_t off, uint64_t v)
{
	put_le32(p, off, (uint32_t)v);
	put_le32(p, off + 4, (uint32_t)(v >> 32));
}

#endif
