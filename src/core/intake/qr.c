/* qr: QR code rendering to SVG (paths) and PNG (8-bit grayscale, zlib). */
#include "intake/qr.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>
#include <zlib.h>

#include "base/xmalloc.h"
#include "base/banned.h"

#define QUIET 4

static void svg(const QRcode *q, int scale, struct strbuf *out)
{
    int size = (q->width + 2 * QUIET) * scale;
    strbuf_addf(out,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                size, size, q->width + 2 * QUIET, q->width + 2 * QUIET);
    for (int y = 0; y < q->width; y++)
        for (int x = 0; x < q->width; x++) {
            if (!(q->data[y * q->width + x] & 1))
                continue;
            int run = 1;
            while (x + run < q->width && (q->data[y * q->width + x + run] & 1))
                run++;
            strbuf_addf(out, "M%d %dh%dv1h-%dz", x + QUIET, y + QUIET, run, run);
            x += run - 1;
        }
    strbuf_addstr(out, "\"/></svg>\n");
}

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void chunk(struct strbuf *out, const char *type, const unsigned char *data, size_t len)
{
    unsigned char hdr[8], crc[4];
    uLong c = crc32(0, (const Bytef *)type, 4);
    be32(hdr, (uint32_t)len);
    memcpy(hdr + 4, type, 4);
    strbuf_add(out, hdr, 8);
    if (len)
        strbuf_add(out, data, len);
    if (len) /* crc32(c, NULL, 0) would return 0, not c */
        c = crc32(c, data, (uInt)len);
    be32(crc, (uint32_t)c);
    strbuf_add(out, crc, 4);
}

static int png(const QRcode *q, int scale, struct strbuf *out, struct kerr *err)
{
    int px = (q->width + 2 * QUIET) * scale;
    size_t stride = (size_t)px + 1, raw_len = stride * (size_t)px;
    unsigned char *raw = xcalloc(1, raw_len), ihdr[13];
    uLongf zlen = compressBound((uLong)raw_len);
    unsigned char *z = xmalloc(zlen);
    int rc = 0;

    for (int y = 0; y < px; y++) {
        unsigned char *row = raw + (size_t)y * stride;
        row[0] = 0; /* filter: none */
        for (int x = 0; x < px; x++) {
            int mx = x / scale - QUIET, my = y / scale - QUIET;
            bool dark = mx >= 0 && my >= 0 && mx < q->width && my < q->width &&
                        (q->data[my * q->width + mx] & 1);
            row[1 + x] = dark ? 0 : 255;
        }
    }
    if (compress2(z, &zlen, raw, (uLong)raw_len, 9) != Z_OK) {
        rc = kerr_set(err, KERR_INTERNAL, "internal_error", "", "PNG compression failed");
        goto out;
    }
    strbuf_add(out, "\x89PNG\r\n\x1a\n", 8);
    be32(ihdr, (uint32_t)px);
    be32(ihdr + 4, (uint32_t)px);
    ihdr[8] = 8;  /* bit depth: 8-bit gray reads everywhere (some readers choke on 1-bit) */
    ihdr[9] = 0;  /* grayscale */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering */
    ihdr[12] = 0; /* no interlace */
    chunk(out, "IHDR", ihdr, sizeof ihdr);
    chunk(out, "IDAT", z, zlen);
    chunk(out, "IEND", NULL, 0);
out:
    free(raw);
    free(z);
    return rc;
}

int qr_render(const char *text, enum qr_format fmt, int scale, struct strbuf *out, struct kerr *err)
{
    QRcode *q;
    int rc;
    size_t len = strlen(text);
    if (len == 0 || len > 1024)
        return kerr_set(err, KERR_INVALID, "invalid_field", "url",
                        "the text to encode must be 1 to 1024 bytes");
    if (scale < 1 || scale > 40)
        return kerr_set(err, KERR_INVALID, "invalid_field", "scale", "scale must be 1 to 40");
    q = QRcode_encodeData((int)len, (const unsigned char *)text, 0, QR_ECLEVEL_M);
    if (!q)
        return kerr_set(err, KERR_INVALID, "invalid_field", "url",
                        "cannot encode this text as a QR code (errno %d)", errno);
    rc = 0;
    if (fmt == QR_SVG)
        svg(q, scale, out);
    else
        rc = png(q, scale, out, err);
    QRcode_free(q);
    return rc;
}
