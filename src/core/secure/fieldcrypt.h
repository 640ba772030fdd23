/*
 * fieldcrypt: encryption of personal data kept for authorised use (the
 * original phone number behind 138****5678, an ID number, a card number).
 * Each value is sealed on its own with XChaCha20-Poly1305-IETF (libsodium's
 * AEAD with 192-bit random nonces, so nonces never need bookkeeping) and
 * stored as compact text in a TEXT column:
 *
 *     k2:3q2-7wAAAAA...        key id, ':', base64url (no padding) of
 *                              nonce (24 bytes) || ciphertext || tag (16 bytes)
 *
 * A value of n bytes takes 4 + ceil((n + 40) * 4 / 3) characters. The
 * optional associated data (for example "phone" or "feedback:1234:phone")
 * is authenticated, not stored: a ciphertext copied to another column or
 * record then fails to decrypt.
 *
 * Keys. A keyring file holds one key per line, "k<N> <base64 of 32 bytes>",
 * newest last; '#' lines are comments. fieldcrypt_open() creates the file
 * with one new key when it does not exist (mode 0600, missing parent
 * directories 0700, written to a temporary file and linked into place so
 * two processes starting together agree on one key), and refuses a file
 * that is not a regular file owned by this user or that group or others may
 * read or write. The newest key encrypts; any key of the ring decrypts, so
 * fieldcrypt_rotate() adds a key and old values stay readable until they
 * are re-encrypted. Keys live in libsodium guarded memory, read-only after
 * loading, and are wiped on fieldcrypt_free(). A loaded keyring is
 * immutable: share it between threads freely.
 */
#ifndef KESU_FIELDCRYPT_H
#define KESU_FIELDCRYPT_H

#include <stddef.h>

#include "base/error.h"
#include "base/strbuf.h"

struct fieldcrypt;

/*
 * Loads the keyring at path, creating it first when it does not exist.
 * Errors (err says which): KERR_IO (key_file_io: cannot create or read),
 * KERR_INVALID (key_file_mode: not a private regular file of this user;
 * key_file_format: a line that is not "k<N> <key>", a duplicate id, no
 * key). Free with fieldcrypt_free().
 */
int fieldcrypt_open(const char *path, struct fieldcrypt **out, struct kerr *err);

void fieldcrypt_free(struct fieldcrypt *fc);

/*
 * Adds a new key, numbered one above the highest, to the keyring at path
 * (rewritten through a temporary file and rename, mode 0600) and returns
 * its id in id_out (room for 16 bytes; may be NULL). Keyrings opened before
 * do not see it: open the file again. Not safe against a concurrent
 * rotation of the same file by another process. Errors as fieldcrypt_open().
 */
int fieldcrypt_rotate(const char *path, char *id_out, struct kerr *err);

/* The id of the key that encrypts ("k1", "k2", ...). */
const char *fieldcrypt_key_id(const struct fieldcrypt *fc);

/*
 * Appends the text form of plain[0..len) sealed with the newest key to out.
 * ad[0..adlen) is associated data (ad may be NULL when adlen is 0). Returns
 * 0, or KERR_TOOLARGE when out's cap was reached.
 */
int fieldcrypt_encrypt(const struct fieldcrypt *fc, const char *plain, size_t len, const char *ad,
                       size_t adlen, struct strbuf *out);

/*
 * Appends the value sealed in text[0..len) to out (which stays NUL-
 * terminated, though the value may hold NUL bytes). ad must be what was
 * given to fieldcrypt_encrypt(). Errors: KERR_INVALID (bad_ciphertext: not
 * the text form), KERR_NOTFOUND (unknown_key: the key id is not in the
 * ring), KERR_AUTH (decrypt_failed: tampered with, another key of the same
 * id, or other associated data), KERR_TOOLARGE (out's cap). Nothing is
 * appended on error.
 */
int fieldcrypt_decrypt(const struct fieldcrypt *fc, const char *text, size_t len, const char *ad,
                       size_t adlen, struct strbuf *out, struct kerr *err);

#endif
