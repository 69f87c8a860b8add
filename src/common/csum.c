#include "csum.h"
#include "crc32c.h"
#include "le.h"
#include "msg.h"

#include <gcrypt.h>
#include <string.h>
#include <xxhash.h>

static int gcrypt_ready;

void csum_init(void)
{
	if (gcrypt_ready)
		return;
	if (!gcry_check_version(GCRYPT_VERSION))
		die("libgcrypt version mismatch");
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	gcrypt_ready = 1;
}

size_t csum_size(unsigned csum_type)
{
	switch (csum_type) {
	case BTRFS_CSUM_CRC32C:
		return 4;
	case BTRFS_CSUM_XXHASH:
		return 8;
	case BTRFS_CSUM_SHA256:
	case BTRFS_CSUM_BLAKE2:
		return 32;
	default:
		return 0;
	}
}

const char *csum_name(unsigned csum_type)
{
	switch (csum_type) {
	case BTRFS_CSUM_CRC32C:
		return "crc32c";
	case BTRFS_CSUM_XXHASH:
		return "xxhash64";
	case BTRFS_CSUM_SHA256:
		return "sha256";
	case BTRFS_CSUM_BLAKE2:
		return "blake2";
	default:
		return "unknown";
	}
}

void csum_compute(unsigned csum_type, const void *data, size_t len, uint8_t out[BTRFS_CSUM_FIELD_SIZE])
{
	switch (csum_type) {
	case BTRFS_CSUM_CRC32C:
		put_le32(out, 0, crc32c(data, len));
		break;
	case BTRFS_CSUM_XXHASH:
		put_le64(out, 0, (uint64_t)XXH64(data, len, 0));
		break;
	case BTRFS_CSUM_SHA256:
		if (!gcrypt_ready)
			csum_init();
		gcry_md_hash_buffer(GCRY_MD_SHA256, out, data, len);
		break;
	case BTRFS_CSUM_BLAKE2:
		if (!gcrypt_ready)
			csum_init();
		gcry_md_hash_buffer(GCRY_MD_BLAKE2B_256, out, data, len);
		break;
	default:
		die("unknown checksum type %u", csum_type);
	}
}

void csum_block_set(unsigned csum_type, uint8_t *block, size_t len)
{
	uint8_t digest[BTRFS_CSUM_FIELD_SIZE];

	csum_compute(csum_type, block + BTRFS_CSUM_FIELD_SIZE, len - BTRFS_CSUM_FIELD_SIZE, digest);
	memcpy(block, digest, csum_size(csum_type));
}

int csum_block_ok(unsigned csum_type, const uint8_t *block, size_t len)
{
	uint8_t digest[BTRFS_CSUM_FIELD_SIZE];
	size_t size = csum_size(csum_type);

	if (!size || len <= BTRFS_CSUM_FIELD_SIZE)
		return 0;
	csum_compute(csum_type, block + BTRFS_CSUM_FIELD_SIZE, len - BTRFS_CSUM_FIELD_SIZE, digest);
	return memcmp(digest, block, size) == 0;
}

int csum_block_is_reference_crc32c(const uint8_t *block, size_t len)
{
	if (len <= BTRFS_CSUM_FIELD_SIZE)
		return 0;
	return get_le32(block, 0) == crc32c(block + BTRFS_CSUM_FIELD_SIZE, len - BTRFS_CSUM_FIELD_SIZE);
}
