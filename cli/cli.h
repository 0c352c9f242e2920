/* The thin front door.  Each verb lives in cli/<verb>.c: it parses its flags,
 * calls one library entry point and prints.  Verbs register themselves with
 * HULL_COMMAND() into a linker section, so adding a verb touches no shared
 * file.  Only cli/ prints to stdout or exits. */
#ifndef HULL_CLI_H
#define HULL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "base/error.h"

struct cli_global {
	const char *root;          /* --root, default /run/hull */
	const char *log_path;      /* --log */
	bool log_json;             /* --log-format json */
	bool debug;                /* --debug */
	bool systemd_cgroup;       /* --systemd-cgroup */
	bool rootless;             /* --rootless (accepted) */
};

struct cli_command {
	const char *name;
	const char *summary;       /* one line for `hull --help` */
	const char *usage;         /* full text for `hull VERB --help` */
	int (*run)(struct cli_global *g, int argc, char **argv);
	bool hidden;               /* not listed in --help (debug verbs) */
	bool enters_container;     /* re-exec from a sealed copy first (CVE-2019-5736) */
};

#define HULL_COMMAND(var) \
	static const struct cli_command var; \
	static const struct cli_command *const var##_ptr \
		__attribute__((used, section("hull_cmds"), aligned(sizeof(void *)))) = &var; \
	static const struct cli_command var

/* Report an error the one way: "hull: <msg>" on stderr, and a log line in
 * --log (JSON when --log-format json).  Returns the exit code to use (1). */
int cli_fail(const struct cli_global *g, const struct hull_error *err);
/* For usage errors: message plus a hint to run --help; returns 2... except
 * that runc returns 1 for usage errors too, so engines see 1.  */
int cli_usage_error(const struct cli_global *g, const char *verb,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Writes a log line at `level` (debug lines only with --debug). */
void cli_log(const struct cli_global *g, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Routes base/warn.h's warnings to --log (or stderr without one). */
void cli_install_warn_sink(const struct cli_global *g);
/* True if argv has -h/--help before "--" (and prints cmd->usage). */
bool cli_wants_help(const struct cli_command *cmd, int argc, char **argv);

struct create_opts;
/* create and run share their flags; run adds --detach and --vm. */
int cli_parse_create(const struct cli_global *g, const char *verb, int argc,
		     char **argv, struct create_opts *o, bool *detach);
/* The verb's one positional argument (the container id), or an error. */
const char *cli_one_id(const struct cli_global *g, const char *verb, int argc,
		       char **argv);

#endif
