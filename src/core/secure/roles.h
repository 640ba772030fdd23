/*
 * roles: permissions and the roles made of them. Every route names one
 * permission (src/http/routes.c); a caller holds a set of permissions, from
 * its role (a signed-in user) or its scopes (an API key). The built-in roles
 * are one table in roles.c; custom roles are rows of the roles table, made
 * from the same permission names, each with a data scope that says which
 * cases its holders see (store/db.h, struct store_scope).
 */
#ifndef KESU_ROLES_H
#define KESU_ROLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"
#include "store/db.h"

/* A set of permissions: bit i is perm_names[i]. */
typedef uint64_t permset;

/* Every permission, in a fixed order; NULL-terminated. */
extern const char *const perm_names[];
extern const size_t perm_count;

/* The index of a permission name, or -1. */
int perm_index(const char *name, size_t len);
/* Does set hold perm? Unknown names are never held. */
bool permset_has(permset set, const char *perm);
/*
 * Parses space- or comma-separated permission names into *out. On an unknown
 * name returns KERR_INVALID with the name in bad (bad_len bytes, may be NULL).
 */
int permset_parse(const char *list, permset *out, char *bad, size_t bad_len);
/* Appends the names in set, space-separated. */
void permset_format(permset set, struct strbuf *sb);

struct role_def {
    const char *name;
    enum store_scope_kind scope;
    const char *perms; /* space-separated */
    const char *summary;
};
/* The built-in roles, NULL-name terminated. */
extern const struct role_def builtin_roles[];
/* A built-in role by name, or NULL. */
const struct role_def *role_builtin(const char *name);

/* Scope kinds as words (all, teams, own, none) and back; -1 for an unknown word. */
const char *scope_kind_name(enum store_scope_kind k);
int scope_kind_parse(const char *word);

/*
 * The permissions and data scope of role name: built-in first, then the
 * roles table. KERR_NOTFOUND when there is no such role.
 */
int role_resolve(struct store *s, const char *name, permset *perms, enum store_scope_kind *scope);

/* A role name: 1 to 31 bytes of a-z, 0-9, _ and -, starting with a letter. */
bool role_name_valid(const char *name);

#endif
