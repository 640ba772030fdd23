/*
 * encoding: the character set of an imported text file, found or given, and
 * a streaming conversion to UTF-8 with iconv (glibc).
 *
 * What spreadsheets write: UTF-8 with or without a byte order mark, GBK or
 * GB18030 (Excel in mainland China, "CSV" save), Big5 (Excel in Taiwan and
 * Hong Kong), UTF-16LE with a BOM (Excel "Unicode text", tab-separated).
 *
 * Detection (encoding_detect) looks at a prefix: a BOM decides; else text
 * that is valid UTF-8 is UTF-8; else the prefix is decoded as GB18030 and as
 * Big5 and each decoding is scored by how many of its characters are among
 * the ~470 most frequent Chinese characters (in simplified form for GB18030,
 * traditional for Big5), minus a penalty for every byte sequence the decoder
 * refused. The higher score wins; a tie goes to GB18030.
 *
 * Conversion (enc_reader) holds two 64 KiB buffers whatever the file size. A
 * byte sequence that is invalid in the source encoding becomes U+FFFD and is
 * counted (enc_reader_replaced), so one bad byte does not stop an import.
 */
#ifndef KESU_ENCODING_H
#define KESU_ENCODING_H

#include <stddef.h>
#include <stdio.h>

#include "base/error.h"

enum encoding {
    ENC_AUTO = 0, /* detect from the first bytes */
    ENC_UTF8,
    ENC_GB18030, /* also read for GBK and GB2312, which it contains */
    ENC_BIG5,
    ENC_UTF16LE,
};

/* Maps "auto", "utf-8"/"utf8", "gbk"/"gb2312"/"gb18030", "big5", "utf-16le"
 * (any case) to *out. Returns 0, or KERR_INVALID for another name. */
int encoding_parse(const char *name, enum encoding *out);

/* "auto", "UTF-8", "GB18030", "BIG5", "UTF-16LE". */
const char *encoding_name(enum encoding e);

/* Guesses the encoding of a file that starts with buf[0..len) (never ENC_AUTO). */
enum encoding encoding_detect(const char *buf, size_t len);

/* Length of the byte order mark of e at the start of buf (0 when none). */
size_t encoding_bom_len(enum encoding e, const char *buf, size_t len);

struct enc_reader;

/*
 * Reads f (which stays the caller's to close, after enc_reader_free) as text
 * in encoding e, detecting it from the first 64 KiB when e is ENC_AUTO, and
 * hands out UTF-8 through enc_reader_read. A BOM is dropped. Returns NULL
 * with err filled (KERR_IO) when the first read fails or iconv lacks the
 * converter. Free with enc_reader_free().
 */
struct enc_reader *enc_reader_new(FILE *f, enum encoding e, struct kerr *err);

/*
 * Stores up to len (>= 4) bytes of UTF-8 at buf. Returns how many, 0 at the
 * end of the input, -1 when reading failed. The signature fits
 * csv_reader_new_fn(), with the reader as ctx.
 */
long enc_reader_read(void *reader, char *buf, size_t len);

/* The encoding being read (the detected one for ENC_AUTO). */
enum encoding enc_reader_encoding(const struct enc_reader *r);

/* How many invalid source sequences were replaced by U+FFFD so far. */
long enc_reader_replaced(const struct enc_reader *r);

void enc_reader_free(struct enc_reader *r);

#endif
