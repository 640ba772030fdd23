/* embedded: lookup of files compiled into the binary. */
#include <string.h>

#include "base/embedded.h"

const struct embedded_file *embedded_find(const char *suffix)
{
    size_t n = strlen(suffix);
    for (const struct embedded_file *f = embedded_files; f->name; f++) {
        size_t m = strlen(f->name);
        if (m >= n && strcmp(f->name + m - n, suffix) == 0)
            return f;
    }
    return NULL;
}

const struct web_asset *web_asset_find(const char *path)
{
    for (const struct web_asset *a = web_assets; a->path; a++)
        if (strcmp(a->path, path) == 0)
            return a;
    return NULL;
}
