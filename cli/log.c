/* Error and log output: the one place errors become text.  With --log the
 * line also goes to the file; with --log-format json it is one JSON object
 * per line ({"level","msg","time"}), as runc writes and engines read. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "base/json.h"
#include "base/warn.h"

static void log_line(const struct cli_global *g, const char *level, const char *msg)
{
	struct timespec ts;
	struct tm tm;
	char when[64];
	char *line = NULL;
	int fd;

	if (g == NULL || g->log_path == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (g->log_json) {
		json_gen *j = json_gen_new(false);

		if (j == NULL)
			return;
		json_gen_object_open(j);
		json_gen_kv_string(j, "level", level);
		json_gen_kv_string(j, "msg", msg);
		json_gen_kv_string(j, "time", when);
		json_gen_object_close(j);
		line = json_gen_finish(j, NULL);
		json_gen_free(j);
	} else if (asprintf(&line, "%s %s: %s", when, level, msg) < 0) {
		line = NULL;
	}
	if (line == NULL)
		return;
	fd = open(g->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dprintf(fd, "%s\n", line);
		close(fd);
	}
	free(line);
}

void cli_log(const struct cli_global *g, const char *level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (strcmp(level, "debug") == 0 && (g == NULL || !g->debug))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line(g, level, msg);
	if (g && g->debug && strcmp(level, "debug") == 0)
		fprintf(stderr, "hull: debug: %s\n", msg);
}

/* The runtime's warnings (base/warn.h): to --log when there is one, as runc
 * logs them, else on stderr. */
static void warn_sink(const char *msg, void *data)
{
	const struct cli_global *g = data;

	if (g && g->log_path)
		log_line(g, "warning", msg);
	else
		fprintf(stderr, "hull: warning: %s\n", msg);
}

void cli_install_warn_sink(const struct cli_global *g)
{
	hull_warn_set_sink(warn_sink, (void *)g);
}

int cli_fail(const struct cli_global *g, const struct hull_error *err)
{
	const char *msg = err && err->set ? err->msg : "unknown error";

	fprintf(stderr, "hull: %s\n", msg);
	log_line(g, "error", msg);
	return 1;
}

int cli_usage_error(const struct cli_global *g, const char *verb,
		    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "hull %s: %s (see 'hull %s --help')\n", verb, msg, verb);
	log_line(g, "error", msg);
	return 1;
}

bool cli_wants_help(const struct cli_command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-help") == 0) {
			printf("%s", cmd->usage);
			return true;
		}
	}
	return false;
}
