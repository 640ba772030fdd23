/*
 * cmd_user.c: `kesu user add|list|passwd|disable|enable|role`: users for an
 * operator with the data directory (the first admin, a forgotten password).
 * Passwords are read from standard input (one line), never from the command
 * line, where other users of the machine could see them. Every change is an
 * audit entry (actor operator:$USER, origin cli).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "base/clock.h"
#include "cli/commands.h"
#include "secure/auth.h"
#include "secure/roles.h"
#include "store/db.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kesu user add NAME --role ROLE [--display-name TEXT] [--email ADDR]\n"
            "       kesu user list\n"
            "       kesu user passwd NAME          (new password on standard input)\n"
            "       kesu user disable NAME | enable NAME | unlock NAME\n"
            "       kesu user role NAME ROLE\n\n"
            "Roles: agent, supervisor, analyst, manager, auditor, admin, or a custom role\n"
            "(POST /api/v1/roles). add and passwd read the password, one line, from standard\n"
            "input (at least %d bytes). Disabling, a new password or a new role ends the\n"
            "user's sessions. Every change is written to the audit log.\n",
            AUTH_PASSWORD_MIN);
}

static int read_password(char *buf, size_t n)
{
    if (isatty(0))
        fprintf(stderr, "password: ");
    if (!fgets(buf, (int)n, stdin))
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int print_user(void *arg, const struct store_user *u)
{
    char ts[CLOCK_FMT_MAX];
    (void)arg;
    printf("%-4lld %-16s %-12s %-8s %s%s\n", (long long)u->id, u->username, u->role,
           u->disabled ? "disabled" : "active", clock_format(u->created_at, ts),
           u->locked_until > clock_now_ms() ? "  locked" : "");
    return 0;
}

static int user_id(struct store *s, const char *name, int64_t *id)
{
    struct store_user u;
    if (store_user_get(s, name, 0, &u) < 0)
        return cli_fail(-1, "user", "no user \"%s\"", name);
    *id = u.id;
    return 0;
}

static int add_user(struct store *s, int argc, char **argv, const struct store_who *who)
{
    const char *role = NULL, *display = NULL, *email = NULL;
    struct store_user u;
    char pw[AUTH_PASSWORD_MAX + 2];
    permset p;
    enum store_scope_kind k;
    struct kerr e;
    int rc;

    for (int i = 3; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--role") == 0)
            role = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--display-name") == 0)
            display = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--email") == 0)
            email = argv[++i];
        else
            return cli_fail(2, "user", "unknown option %s (see kesu user --help)", argv[i]);
    }
    if (!role)
        return cli_fail(2, "user", "add needs --role ROLE");
    if (role_resolve(s, role, &p, &k) < 0)
        return cli_fail(2, "user", "no role \"%s\"", role);
    if (strlen(argv[2]) > 63 || strlen(display ? display : "") > 127 ||
        strlen(email ? email : "") > 127)
        return cli_fail(2, "user", "name, display name or e-mail is too long");
    memset(&u, 0, sizeof u);
    if (read_password(pw, sizeof pw) < 0)
        return cli_fail(2, "user", "no password on standard input");
    kerr_clear(&e);
    rc = auth_hash_password(pw, u.password_hash, &e);
    sodium_memzero(pw, sizeof pw);
    if (rc < 0)
        return cli_fail(2, "user", "%s", e.message);
    snprintf(u.username, sizeof u.username, "%s", argv[2]);
    snprintf(u.display_name, sizeof u.display_name, "%s", display ? display : argv[2]);
    snprintf(u.role, sizeof u.role, "%s", role);
    snprintf(u.email, sizeof u.email, "%s", email ? email : "");
    if (store_user_insert(s, &u, who, &e) < 0)
        return cli_fail(1, "user", "%s", e.message);
    printf("created user %lld \"%s\" (%s)\n", (long long)u.id, u.username, u.role);
    return 0;
}

static int change(struct store *s, const char *name, const struct store_user_change *ch,
                  const struct store_who *who, const char *what)
{
    int64_t id = 0;
    struct kerr e;
    if (user_id(s, name, &id) < 0)
        return 1;
    kerr_clear(&e);
    if (store_user_update(s, id, ch, who, &e) < 0)
        return cli_fail(1, "user", "%s", e.message);
    printf("%s: %s\n", name, what);
    return 0;
}

int cmd_user(struct cli *cli, int argc, char **argv)
{
    struct store *s;
    struct store_user_change ch = {.disabled = -1};
    char actor[96], pw[AUTH_PASSWORD_MAX + 2], hash[AUTH_HASH_MAX];
    struct store_who who = {actor, "cli"};
    const char *sub = argc > 1 ? argv[1] : "";
    struct kerr e;
    int rc = 0;

    if (argc < 2 || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!((strcmp(sub, "list") == 0 && argc == 2) || (strcmp(sub, "add") == 0 && argc >= 3) ||
          (strcmp(sub, "role") == 0 && argc == 4) ||
          ((strcmp(sub, "passwd") == 0 || strcmp(sub, "disable") == 0 ||
            strcmp(sub, "enable") == 0 || strcmp(sub, "unlock") == 0) &&
           argc == 3))) {
        usage(stderr);
        return 2;
    }
    snprintf(actor, sizeof actor, "operator:%.60s", getenv("USER") ? getenv("USER") : "?");
    if (cli_open_store(cli, &s) < 0)
        return 1;
    if (strcmp(sub, "list") == 0) {
        printf("%-4s %-16s %-12s %-8s %s\n", "ID", "USERNAME", "ROLE", "STATE", "CREATED");
        rc = store_user_list(s, print_user, NULL) < 0 ? 1 : 0;
    } else if (strcmp(sub, "add") == 0) {
        rc = add_user(s, argc, argv, &who);
    } else if (strcmp(sub, "passwd") == 0) {
        kerr_clear(&e);
        if (read_password(pw, sizeof pw) < 0) {
            rc = cli_fail(2, "user", "no password on standard input");
        } else if (auth_hash_password(pw, hash, &e) < 0) {
            rc = cli_fail(2, "user", "%s", e.message);
        } else {
            ch.password_hash = hash;
            rc = change(s, argv[2], &ch, &who, "password changed; sessions ended");
        }
        sodium_memzero(pw, sizeof pw);
    } else if (strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0) {
        ch.disabled = strcmp(sub, "disable") == 0;
        rc = change(s, argv[2], &ch, &who, ch.disabled ? "disabled; sessions ended" : "enabled");
    } else if (strcmp(sub, "unlock") == 0) {
        ch.unlock = true;
        rc = change(s, argv[2], &ch, &who, "unlocked");
    } else {
        permset p;
        enum store_scope_kind k;
        if (role_resolve(s, argv[3], &p, &k) < 0) {
            rc = cli_fail(2, "user", "no role \"%s\"", argv[3]);
        } else {
            ch.role = argv[3];
            rc = change(s, argv[2], &ch, &who, "role changed; sessions ended");
        }
    }
    store_close(s);
    return rc;
}
