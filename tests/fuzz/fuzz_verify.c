/*
 * Fuzz bimg-unpack --verify: the per-block checks, the facts and links it
 * keeps, and the walk at the end through whatever pointer graph the blocks
 * make (cycles, shared and missing children, roots anywhere), then the
 * chunk, block group, address and data checks and the report.
 *
 * Input (tests/fuzz/verify-seed.py makes one from a record stream):
 *   byte 0       options: bit 0 recompute each block's CRC-32C (so the
 *                structure checks are reached), bit 1 content DATA (file
 *                extents are checked), bits 2-3 the report (full, brief, JSON),
 *                bit 4 a budget of 1K for the facts (BIMG_VERIFY_MEMORY: every
 *                fact goes through the temporary files)
 *   byte 1..3    root, chunk root and log root levels
 *   8, 16, 24    root, chunk root, log root (le64)
 *   32, 40       generation, chunk root generation (le64)
 *   48           size of the system chunk array (at most 207), its bytes from 49
 *   256...       4096-byte pieces: a tree block at the address its header
 *                names (the fsid is set to the filesystem's), or, when byte
 *                100 (the level) is 0xDA, 4096 bytes of data at that address
 * The superblock is made from these fields (node and sector size 4096,
 * crc32c, one device) with a valid checksum.
 *
 * The contract: never a crash, a hang or a leak, whatever the blocks say;
 * die() (out of memory only) returns here through FUZZ_TRY.
 */
#include "btrfs.h"
#include "fuzz_common.h"
#include "le.h"
#include "stream.h"
#include "tree.h"
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER 256
#define PIECE 4096
#define DATA_MARK 0xDA

static const uint8_t fsid[BTRFS_UUID_SIZE] = { 0xf5, 0x22, 0x01, 0x9e, 0x11, 0x5a, 0x4b, 0x07,
					       0x9c, 0x3d, 0x6e, 0x2a, 0x44, 0x81, 0x0c, 0x7b };

static void make_super(const uint8_t *in, uint8_t *sb)
{
	uint8_t array_size = in[48] <= HEADER - 49 ? in[48] : HEADER - 49;

	memset(sb, 0, BTRFS_SUPER_SIZE);
	memcpy(sb + SB_FSID, fsid, BTRFS_UUID_SIZE);
	put_le64(sb, SB_BYTENR, BTRFS_SUPER_OFFSET);
	put_le64(sb, SB_MAGIC, BTRFS_MAGIC);
	put_le64(sb, SB_GENERATION, get_le64(in, 32));
	put_le64(sb, SB_ROOT, get_le64(in, 8));
	put_le64(sb, SB_CHUNK_ROOT, get_le64(in, 16));
	put_le64(sb, SB_LOG_ROOT, get_le64(in, 24));
	put_le64(sb, SB_TOTAL_BYTES, 1ULL << 30);
	put_le64(sb, SB_NUM_DEVICES, 1);
	put_le32(sb, SB_SECTORSIZE, PIECE);
	put_le32(sb, SB_NODESIZE, PIECE);
	put_le32(sb, SB_LEAFSIZE, PIECE);
	put_le32(sb, SB_SYS_CHUNK_ARRAY_SIZE, array_size);
	put_le64(sb, SB_CHUNK_ROOT_GENERATION, get_le64(in, 40));
	put_le8(sb, SB_ROOT_LEVEL, in[1]);
	put_le8(sb, SB_CHUNK_ROOT_LEVEL, in[2]);
	put_le8(sb, SB_LOG_ROOT_LEVEL, in[3]);
	memcpy(sb + SB_SYS_CHUNK_ARRAY, in + 49, array_size);
	csum_block_set(BTRFS_CSUM_CRC32C, sb, BTRFS_SUPER_SIZE);
}

static FILE *report_sink(void)
{
	static FILE *null;

	if (!null)
		null = fopen("/dev/null", "w");
	return null;
}

/* Kept outside the harness's registers: FUZZ_TRY may longjmp back. */
static struct verifier *verifier;

static void feed(const uint8_t *data, size_t size)
{
	uint8_t sb[BTRFS_SUPER_SIZE], block[PIECE];
	struct fs_info fs = { 0 };
	size_t off;

	make_super(data, sb);
	memcpy(fs.fsid, fsid, BTRFS_UUID_SIZE);
	memcpy(fs.header_fsid, fsid, BTRFS_UUID_SIZE);
	fs.nodesize = fs.sectorsize = PIECE;
	fs.content = CONTENT_FROM_IMAGE | ((data[0] & 2) ? CONTENT_DATA : 0);
	fs.num_devices = 1;
	fs.generation = get_le64(data, 32);
	verifier_input_kind(verifier, (data[0] & 2) ? 1 : 0);
	verifier_fs_info(verifier, &fs);
	verifier_superblock(verifier, sb);
	for (off = HEADER; off + PIECE <= size; off += PIECE) {
		memcpy(block, data + off, PIECE);
		if (block[HDR_LEVEL] == DATA_MARK) {
			verifier_data(verifier, tree_block_bytenr(block), 0, PIECE);
			continue;
		}
		memcpy(block + HDR_FSID, fsid, BTRFS_UUID_SIZE);
		if (data[0] & 1)
			csum_block_set(BTRFS_CSUM_CRC32C, block, PIECE);
		verifier_tree_block(verifier, tree_block_bytenr(block), 0, block);
	}
	verifier_finish(verifier);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum verify_report reports[] = { VERIFY_REPORT_FULL, VERIFY_REPORT_BRIEF, VERIFY_REPORT_JSON,
						      VERIFY_REPORT_FULL };

	fuzz_setup();
	if (size < HEADER)
		return 0;
	setenv("BIMG_VERIFY_MEMORY", (data[0] & 0x10) ? "1K" : "4M", 1);
	verifier = verifier_new("fuzz input", report_sink(), reports[(data[0] >> 2) & 3]);
	FUZZ_TRY
	{
		feed(data, size);
	}
	msg_set_die_jump(NULL);
	verifier_free(verifier);
	verifier = NULL;
	return 0;
}
