/*
 * roles.c: the permission list and the built-in roles. Who may do what is
 * decided here and nowhere else: change a role by changing its row.
 */
#include <stdio.h>
#include <string.h>

#include "secure/roles.h"
#include "base/banned.h"

const char *const perm_names[] = {
    "feedback:create", "feedback:read",       "feedback:update",
    "feedback:assign", "feedback:transition", "feedback:comment",
    "feedback:merge",  "pii:reveal",          "quality:read",
    "stats:read",      "stats:staff",         "alerts:read",
    "alerts:manage",   "reports:read",        "reports:manage",
    "capa:read",       "capa:manage",         "survey:manage",
    "kb:read",         "kb:manage",           "config:read",
    "config:manage",   "users:manage",        "audit:read",
    "export:run",      "system:admin",        NULL,
};
const size_t perm_count = sizeof(perm_names) / sizeof(perm_names[0]) - 1;

/*
 * agent: works the cases assigned to them and their teams' unassigned queue.
 * supervisor: everything on their teams' cases, staff figures, CAPA, knowledge base.
 * analyst, manager: every case (personal data masked), figures and reports; no reveal.
 * auditor: the audit log only. admin: configuration and users, no case data.
 */
const struct role_def builtin_roles[] = {
    {"agent", STORE_SCOPE_OWN,
     "feedback:create feedback:read feedback:update feedback:transition feedback:comment "
     "pii:reveal kb:read",
     "handles the cases assigned to them and their teams' queue"},
    {"supervisor", STORE_SCOPE_TEAMS,
     "feedback:create feedback:read feedback:update feedback:assign feedback:transition "
     "feedback:comment feedback:merge pii:reveal quality:read stats:read stats:staff "
     "alerts:read reports:read capa:read capa:manage survey:manage kb:read kb:manage export:run",
     "runs their teams: every case of the team, assignment, staff figures"},
    {"analyst", STORE_SCOPE_ALL,
     "feedback:read quality:read stats:read alerts:read reports:read reports:manage capa:read "
     "kb:read export:run",
     "quality analyst: every case with personal data masked, figures and reports"},
    {"manager", STORE_SCOPE_ALL,
     "feedback:read quality:read stats:read stats:staff alerts:read alerts:manage reports:read "
     "reports:manage capa:read capa:manage kb:read export:run",
     "every case with personal data masked, figures, alerts, reports, CAPA"},
    {"auditor", STORE_SCOPE_NONE, "audit:read", "reads the audit log, nothing else"},
    {"admin", STORE_SCOPE_NONE,
     "config:read config:manage users:manage system:admin alerts:read alerts:manage kb:read "
     "kb:manage survey:manage",
     "configuration and users; no case data"},
    {NULL, STORE_SCOPE_NONE, NULL, NULL},
};

int perm_index(const char *name, size_t len)
{
    for (size_t i = 0; i < perm_count; i++)
        if (strlen(perm_names[i]) == len && memcmp(perm_names[i], name, len) == 0)
            return (int)i;
    return -1;
}

bool permset_has(permset set, const char *perm)
{
    int i = perm ? perm_index(perm, strlen(perm)) : -1;
    return i >= 0 && (set >> i) & 1;
}

int permset_parse(const char *list, permset *out, char *bad, size_t bad_len)
{
    const char *p = list ? list : "";
    *out = 0;
    while (*p) {
        size_t len = strcspn(p, " ,\t");
        if (len) {
            int i = perm_index(p, len);
            if (i < 0) {
                if (bad && bad_len)
                    snprintf(bad, bad_len, "%.*s", (int)(len < 64 ? len : 64), p);
                return KERR_INVALID;
            }
            *out |= (permset)1 << i;
        }
        p += len;
        p += strspn(p, " ,\t");
    }
    return 0;
}

void permset_format(permset set, struct strbuf *sb)
{
    bool first = true;
    for (size_t i = 0; i < perm_count; i++)
        if ((set >> i) & 1) {
            strbuf_addf(sb, "%s%s", first ? "" : " ", perm_names[i]);
            first = false;
        }
}

const struct role_def *role_builtin(const char *name)
{
    for (const struct role_def *r = builtin_roles; name && r->name; r++)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

static const char *const scope_words[] = {
    [STORE_SCOPE_NONE] = "none",
    [STORE_SCOPE_OWN] = "own",
    [STORE_SCOPE_TEAMS] = "teams",
    [STORE_SCOPE_ALL] = "all",
};

const char *scope_kind_name(enum store_scope_kind k)
{
    return (unsigned)k < sizeof(scope_words) / sizeof(scope_words[0]) ? scope_words[k] : "none";
}

int scope_kind_parse(const char *word)
{
    for (size_t i = 0; word && i < sizeof(scope_words) / sizeof(scope_words[0]); i++)
        if (strcmp(scope_words[i], word) == 0)
            return (int)i;
    return -1;
}

bool role_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 31 || name[0] < 'a' || name[0] > 'z')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

int role_resolve(struct store *s, const char *name, permset *perms, enum store_scope_kind *scope)
{
    const struct role_def *r = role_builtin(name);
    struct store_role row;
    int rc;
    if (r) {
        *scope = r->scope;
        return permset_parse(r->perms, perms, NULL, 0);
    }
    if (!s || (rc = store_role_get(s, name, &row)) < 0)
        return KERR_NOTFOUND;
    rc = scope_kind_parse(row.scope);
    *scope = rc < 0 ? STORE_SCOPE_NONE : (enum store_scope_kind)rc;
    /* a permission unknown to this binary (a newer one wrote it) is skipped, not granted */
    *perms = 0;
    for (const char *p = row.permissions; *p;) {
        size_t len = strcspn(p, " ,");
        int i = len ? perm_index(p, len) : -1;
        if (i >= 0)
            *perms |= (permset)1 << i;
        p += len;
        p += strspn(p, " ,");
    }
    return 0;
}
