/*
 * embedded: files compiled into the binary by scripts/embed.sh (schema
 * migrations, the OpenAPI document). Names are the source paths.
 */
#ifndef KESU_EMBEDDED_H
#define KESU_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
    const char *name;
    const char *data; /* NUL-terminated */
    size_t len;
};

/* Terminated by an entry with name NULL; sorted by name. */
extern const struct embedded_file embedded_files[];

/* Returns the file whose name ends in suffix, or NULL. */
const struct embedded_file *embedded_find(const char *suffix);

#endif
