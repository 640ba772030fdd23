/*
 * scope.c: data scopes (db.h, struct store_scope) as SQL and as a check on
 * one record. Both say the same thing; a test holds them to it.
 */
#include <string.h>

#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

static void add_literal(struct strbuf *sb, const char *v)
{
    char *q = sqlite3_mprintf("%Q", v);
    strbuf_addstr(sb, q);
    sqlite3_free(q);
}

static void add_team_list(struct strbuf *sb, const char *alias, const struct store_scope *sc)
{
    strbuf_addf(sb, "%s.team IN (", alias);
    for (int i = 0; i < sc->nteams; i++) {
        if (i)
            strbuf_addch(sb, ',');
        add_literal(sb, sc->teams[i]);
    }
    strbuf_addch(sb, ')');
}

char *store_scope_sql(const struct store_scope *sc, const char *alias)
{
    struct strbuf sb = STRBUF_INIT;
    if (!sc || sc->kind == STORE_SCOPE_ALL)
        return xstrdup("1");
    if (sc->kind != STORE_SCOPE_OWN && sc->kind != STORE_SCOPE_TEAMS)
        return xstrdup("0");
    strbuf_addf(&sb, "(%s.assignee=", alias);
    add_literal(&sb, sc->user);
    if (sc->nteams > 0) {
        strbuf_addstr(&sb, " OR (");
        add_team_list(&sb, alias, sc);
        if (sc->kind == STORE_SCOPE_OWN)
            strbuf_addf(&sb, " AND %s.assignee IS NULL", alias);
        strbuf_addch(&sb, ')');
    }
    strbuf_addch(&sb, ')');
    return strbuf_detach(&sb, NULL);
}

bool store_scope_allows(const struct store_scope *sc, const char *assignee, const char *team)
{
    if (!sc || sc->kind == STORE_SCOPE_ALL)
        return true;
    if (sc->kind != STORE_SCOPE_OWN && sc->kind != STORE_SCOPE_TEAMS)
        return false;
    if (assignee && sc->user[0] && strcmp(assignee, sc->user) == 0)
        return true;
    if (!team || (sc->kind == STORE_SCOPE_OWN && assignee))
        return false;
    for (int i = 0; i < sc->nteams; i++)
        if (strcmp(sc->teams[i], team) == 0)
            return true;
    return false;
}
