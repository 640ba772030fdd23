/*
 * qr: QR codes for feedback-form links (libqrencode), as SVG or PNG.
 * Error correction level M; a four-module quiet zone.
 */
#ifndef KESU_QR_H
#define KESU_QR_H

#include <stddef.h>

#include "base/error.h"
#include "base/strbuf.h"

enum qr_format { QR_SVG, QR_PNG };

/* Appends the QR code of text (UTF-8, at most 1024 bytes) to out; scale = pixels per module. */
int qr_render(const char *text, enum qr_format fmt, int scale, struct strbuf *out,
              struct kerr *err);

#endif
