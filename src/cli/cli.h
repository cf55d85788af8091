/* baton subcommands: each is `int cmd_x(int argc, char **argv)` returning
 * the process exit status (0 ok, 1 failure, 2 invalid input or usage). */
#ifndef BT_CLI_H
#define BT_CLI_H

#define BT_EXIT_OK 0
#define BT_EXIT_FAILED 1
#define BT_EXIT_USAGE 2

int bt_cli_validate(int argc, char **argv);
int bt_cli_test(int argc, char **argv);
int bt_cli_activities(int argc, char **argv);
int bt_cli_import_ois(int argc, char **argv); /* cli/import_ois.c */
/* Against a running batond's web service (cli/jobs.c). */
int bt_cli_runbooks(int argc, char **argv);
int bt_cli_start(int argc, char **argv);
int bt_cli_jobs(int argc, char **argv);
int bt_cli_job(int argc, char **argv);
int bt_cli_wait(int argc, char **argv);
int bt_cli_cancel(int argc, char **argv);
/* Authentication and access (cli/token.c, cli/users.c). */
int bt_cli_token(int argc, char **argv);
int bt_cli_user(int argc, char **argv);
int bt_cli_group(int argc, char **argv);
int bt_cli_perm(int argc, char **argv);

#endif
