#include "seal.h"
#include "msg.h"
#include "rng.h"

#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#define SEAL_KEY_SIZE 32

struct seal {
	gcry_cipher_hd_t cipher;
};

struct seal *seal_new(void)
{
	struct seal *s = xcalloc(1, sizeof(*s));
	uint8_t key[SEAL_KEY_SIZE];
	gcry_error_t err;

	rng_random_bytes(key, sizeof(key));
	err = gcry_cipher_open(&s->cipher, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CTR, 0);
	if (!err)
		err = gcry_cipher_setkey(s->cipher, key, sizeof(key));
	memset(key, 0, sizeof(key));
	if (err)
		die("cannot set up the cipher for the blocks held back: %s", gcry_strerror(err));
	return s;
}

void seal_free(struct seal *s)
{
	gcry_cipher_close(s->cipher);
	free(s);
}

void seal_block(struct seal *s, uint64_t index, uint8_t *p, size_t len)
{
	/* The counter starts at index * 2^64 blocks of 16 bytes: no two blocks share keystream. */
	uint8_t counter[16] = { 0 };
	gcry_error_t err;

	for (int i = 0; i < 8; i++)
		counter[i] = (uint8_t)(index >> (56 - 8 * i));
	err = gcry_cipher_setctr(s->cipher, counter, sizeof(counter));
	if (!err)
		err = gcry_cipher_encrypt(s->cipher, p, len, NULL, 0);
	if (err)
		die("cannot seal a block held back: %s", gcry_strerror(err));
}
