/*
 * html: the readable text of an HTML mail body, for mails that carry no
 * text/plain part. Not a browser: tags are dropped, <script>, <style>,
 * <head> and comments are skipped with their content, character
 * references (&amp; &#20013; &#x4E2D;, and the common named ones) are
 * decoded, whitespace collapses as HTML collapses it, and <br>, block
 * elements (p, div, li, tr, h1-h6, ...) become line breaks, at most one
 * blank line in a row. No I/O, no allocation beyond the output buffer.
 */
#ifndef KESU_HTML_H
#define KESU_HTML_H

#include <stddef.h>

#include "base/strbuf.h"

/* Appends the text of html[0..len) (valid UTF-8) to out; respects out->cap. */
void html_to_text(const char *html, size_t len, struct strbuf *out);

/*
 * Finds a charset declared in a <meta> tag (charset=... within the first
 * 4 KB). Returns true and the label in buf (NUL-terminated), or false.
 */
bool html_meta_charset(const char *html, size_t len, char *buf, size_t bufsz);

#endif
