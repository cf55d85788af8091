/* baton activities [TYPE]: what can go in a runbook. */
#include <stdio.h>
#include <string.h>

#include "baton/activity.h"
#include "cli/cli.h"
#include "cli/pack_cli.h"

static const char *kind_name(bt_prop_kind k) {
    static const char *const names[] = {
        "string", "integer", "number", "boolean", "duration", "list", "map"};
    return (size_t)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static void show(const bt_activity_type *t) {
    printf("%s (%s) — %s\n", t->name, t->title, t->description);
    printf("  properties:\n");
    for (const bt_prop_spec *p = t->props; p && p->name; p++)
        printf("    %-20s %-8s %s%s%s%s\n", p->name, kind_name(p->kind),
               p->required ? "required. " : "",
               p->default_text ? "default: " : "",
               p->default_text ? p->default_text : "",
               p->default_text ? ". " : "");
    printf("  publishes:");
    for (const char *const *f = t->published; f && *f; f++)
        printf(" %s", *f);
    if (t->open_published)
        printf(" (and the fields it declares)");
    printf("\n");
}

int bt_cli_activities(int argc, char **argv) {
    /* the built-ins and the packs on BATON_PACK_PATH */
    const bt_registry *reg = NULL;
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: baton activities [TYPE]\n"
               "Lists the activity types a runbook can use (name, category, "
               "what it does),\nor shows one TYPE: its properties with "
               "their kinds and defaults, and the\npublished data it "
               "adds to the data bus. Integration packs' activities "
               "(pack/name) are\nlisted too: those on BATON_PACK_PATH "
               "(docs/packs.md).\n");
        return BT_EXIT_OK;
    }
    if (argc > 2) {
        fprintf(stderr,
                "baton activities: unexpected argument '%s'\n"
                "usage: baton activities [TYPE]\n",
                argv[2]);
        return BT_EXIT_USAGE;
    }
    bt_cli_load_packs("activities");
    if (argc == 2) {
        const bt_activity_type *t = bt_registry_find(reg, argv[1]);
        if (!t) {
            fprintf(stderr, "baton: no activity type '%s'\n", argv[1]);
            return BT_EXIT_USAGE;
        }
        show(t);
        return BT_EXIT_OK;
    }
    for (size_t i = 0; i < bt_registry_count(reg); i++) {
        const bt_activity_type *t = bt_registry_at(reg, i);
        if (!t) continue; /* a pack activity removed meanwhile */
        printf("%-22s %-10s %s\n", t->name, t->category, t->description);
    }
    return BT_EXIT_OK;
}
