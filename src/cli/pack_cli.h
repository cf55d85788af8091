/* baton's integration pack support (cli/pack.c). */
#ifndef BT_CLI_PACK_H
#define BT_CLI_PACK_H

/* Loads the packs of BATON_PACK_PATH (else the default directories) so the
 * commands that load runbooks locally (validate, test) know their
 * activities. A pack that cannot be loaded is a warning on stderr naming
 * it and why; its activities are then unknown. */
void bt_cli_load_packs(const char *command);

/* baton pack register|upgrade|list|show|remove (the management server). */
int bt_cli_pack(int argc, char **argv);

#endif
