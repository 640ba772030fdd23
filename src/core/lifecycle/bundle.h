/*
 * bundle.h: backup and restore of a whole data directory as one file.
 *
 * A backup is a zip archive holding manifest.json, kesu.db and search.db
 * (consistent copies made with VACUUM INTO while kesu serve goes on
 * writing), the keyrings in keys/ (without field.key the sealed personal
 * data cannot be read) and the cold-archive files in archive/. The manifest
 * lists every member with its size and SHA-256; restore refuses a bundle
 * whose members do not match it, or that holds a name outside that set
 * (no "..", no absolute paths), and refuses to write into a data directory
 * that is not empty unless told to (force).
 */
#ifndef KESU_BUNDLE_H
#define KESU_BUNDLE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "store/db.h"

struct bundle_info {
    int files;
    int64_t bytes;
};

int bundle_backup(struct store *s, const char *out_path, struct bundle_info *info,
                  struct kerr *err);
int bundle_restore(const char *data_dir, const char *in_path, bool force, struct bundle_info *info,
                   struct kerr *err);
/* Is name a member a backup may hold? */
bool bundle_name_ok(const char *name);

#endif
