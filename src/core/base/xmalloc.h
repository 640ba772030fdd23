/*
 * xmalloc: the one allocation policy. These wrappers abort with a message on
 * out-of-memory, so callers never check for NULL. Every buffer that outside
 * input can grow carries its own cap (see strbuf.h), so an attacker meets a
 * clear error long before memory runs out.
 */
#ifndef KESU_XMALLOC_H
#define KESU_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Copies len bytes of s and NUL-terminates the copy. */
char *xstrndup(const char *s, size_t len);

#endif
