/*
 * embedded: files compiled into the binary by scripts/embed.sh (schema
 * migrations, the OpenAPI document, the web UI). Names are the source paths.
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

/* The built web UI (scripts/embed.sh --web): one entry per file, path as served
 * ("/index.html", "/assets/index-1a2b3c.js"); empty in a build without the UI. */
struct web_asset {
    const char *path;
    const unsigned char *data; /* gzip-compressed when gzip is set */
    size_t len;                /* bytes in data */
    size_t size;               /* bytes of the file itself */
    int gzip;
    const char *etag; /* quoted, as sent in the ETag header */
};

/* Terminated by an entry with path NULL. */
extern const struct web_asset web_assets[];

/* Returns the asset served at path, or NULL. */
const struct web_asset *web_asset_find(const char *path);

#endif
