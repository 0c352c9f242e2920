/* The .container parser: an ini file as systemd writes them ([Section],
 * Key=Value, '#' and ';' comments, a trailing '\' continues a line).
 * [Container] holds Hull's keys; [Unit] and [Service] lines pass through
 * to the unit (systemd checks them); [Install] takes WantedBy/RequiredBy.
 * An unknown key or a malformed line is an error naming FILE:LINE: the
 * generator then skips that one file (never the boot). */
#include "runtime/unit.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/fsutil.h"

void unit_init(struct hull_unit *u)
{
	memset(u, 0, sizeof(*u));
	u->stop_timeout = -1;
}

static void strv_n_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void unit_free(struct hull_unit *u)
{
	free(u->name);
	free(u->bundle);
	free(u->image);
	strv_n_free(u->env, u->n_env);
	strv_n_free(u->volumes, u->n_volumes);
	free(u->network);
	free(u->stop_signal);
	strv_n_free(u->unit_lines, u->n_unit_lines);
	strv_n_free(u->service_lines, u->n_service_lines);
	strv_n_free(u->wanted_by, u->n_wanted_by);
	strv_n_free(u->required_by, u->n_required_by);
	free(u->source);
	unit_init(u);
}

int unit_strv_push(char ***v, size_t *n, const char *s, struct hull_error *err)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));

	if (nv == NULL)
		return hull_error_errno(err, "realloc");
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return hull_error_errno(err, "strdup");
	nv[++*n] = NULL;
	return 0;
}

int unit_parse_size(const char *s, int64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: return -1;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > (unsigned long long)(INT64_MAX >> shift))
		return -1;
	*out = (int64_t)(v << shift);
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

static bool signal_ok(const char *s)
{
	static const char *const names[] = {
		"SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGKILL", "SIGUSR1", "SIGUSR2",
		"SIGWINCH", "SIGPWR", "SIGRTMIN+3",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return true;
	return false;
}

/* The container name: what state_validate_id() and unit names accept. */
static bool name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 200)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static int container_key(struct hull_unit *u, const char *k, const char *v,
			 struct hull_error *err)
{
	int64_t n;

	if (strcmp(k, "Bundle") == 0) {
		if (v[0] != '/')
			return hull_error_set(err, EINVAL, "Bundle: \"%s\" must be an absolute path", v);
		free(u->bundle);
		return (u->bundle = strdup(v)) ? 0 : hull_error_errno(err, "strdup");
	}
	if (strcmp(k, "Image") == 0) {
		free(u->image);
		return (u->image = strdup(v)) ? 0 : hull_error_errno(err, "strdup");
	}
	if (strcmp(k, "Name") == 0 || strcmp(k, "ContainerName") == 0) {
		if (!name_ok(v))
			return hull_error_set(err, EINVAL, "%s: \"%s\" is not a valid container name ([A-Za-z0-9_.-])", k, v);
		free(u->name);
		return (u->name = strdup(v)) ? 0 : hull_error_errno(err, "strdup");
	}
	if (strcmp(k, "Environment") == 0) {
		if (!strchr(v, '=') || v[0] == '=')
			return hull_error_set(err, EINVAL, "Environment: \"%s\" is not KEY=VALUE", v);
		return unit_strv_push(&u->env, &u->n_env, v, err);
	}
	if (strcmp(k, "Volume") == 0) {
		const char *c = strchr(v, ':');
		const char *c2 = c ? strchr(c + 1, ':') : NULL;

		if (v[0] != '/' || c == NULL || c[1] != '/' ||
		    (c2 && strcmp(c2, ":ro") && strcmp(c2, ":rw")))
			return hull_error_set(err, EINVAL,
					      "Volume: \"%s\" is not /HOST:/CONTAINER[:ro|rw]", v);
		return unit_strv_push(&u->volumes, &u->n_volumes, v, err);
	}
	if (strcmp(k, "Network") == 0) {
		if (strcmp(v, "host") && strcmp(v, "none"))
			return hull_error_set(err, ENOTSUP,
					      "Network: \"%s\": this Hull runs containers with Network=host or Network=none (bridged networks need Hull's netns support)", v);
		free(u->network);
		return (u->network = strdup(v)) ? 0 : hull_error_errno(err, "strdup");
	}
	if (strcmp(k, "PublishPort") == 0)
		return hull_error_set(err, ENOTSUP,
				      "PublishPort: port publishing needs Hull's netns support, not in this build");
	if (strcmp(k, "Memory") == 0) {
		if (unit_parse_size(v, &u->memory) < 0 || u->memory < 4096)
			return hull_error_set(err, EINVAL, "Memory: \"%s\" is not a size (e.g. 512M)", v);
		return 0;
	}
	if (strcmp(k, "CPUQuota") == 0) {
		char *end;
		unsigned long q = strtoul(v, &end, 10);

		if (end == v || strcmp(end, "%") || q == 0 || q > 100000)
			return hull_error_set(err, EINVAL, "CPUQuota: \"%s\" is not a percentage (e.g. 50%%)", v);
		u->cpu_quota = q;
		return 0;
	}
	if (strcmp(k, "PidsLimit") == 0) {
		if (unit_parse_size(v, &n) < 0 || n <= 0 || strpbrk(v, "KkMmGgTtBb"))
			return hull_error_set(err, EINVAL, "PidsLimit: \"%s\" is not a positive number", v);
		u->pids_limit = n;
		return 0;
	}
	if (strcmp(k, "VM") == 0 || strcmp(k, "Notify") == 0) {
		if (parse_bool(v, k[0] == 'V' ? &u->vm : &u->notify) < 0)
			return hull_error_set(err, EINVAL, "%s: \"%s\" is not a boolean", k, v);
		return 0;
	}
	if (strcmp(k, "StopSignal") == 0) {
		if (!signal_ok(v))
			return hull_error_set(err, EINVAL, "StopSignal: \"%s\" is not a signal name (SIGTERM, SIGINT, ...)", v);
		free(u->stop_signal);
		return (u->stop_signal = strdup(v)) ? 0 : hull_error_errno(err, "strdup");
	}
	if (strcmp(k, "StopTimeout") == 0) {
		if (unit_parse_size(v, &u->stop_timeout) < 0 || strpbrk(v, "KkMmGgTtBb"))
			return hull_error_set(err, EINVAL, "StopTimeout: \"%s\" is not a number of seconds", v);
		return 0;
	}
	return hull_error_set(err, EINVAL, "unknown key \"%s\" in [Container]", k);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int parse_line(struct hull_unit *u, const char *section, char *line,
		      struct hull_error *err)
{
	char *eq = strchr(line, '=');
	char *k, *v;

	if (eq == NULL)
		return hull_error_set(err, EINVAL, "expected Key=Value, got \"%s\"", line);
	*eq = '\0';
	k = trim(line);
	v = trim(eq + 1);
	if (*k == '\0')
		return hull_error_set(err, EINVAL, "a line with no key");
	if (strcmp(section, "Container") == 0)
		return container_key(u, k, v, err);
	if (strcmp(section, "Install") == 0) {
		if (strcmp(k, "WantedBy") && strcmp(k, "RequiredBy"))
			return hull_error_set(err, EINVAL, "unknown key \"%s\" in [Install] (WantedBy, RequiredBy)", k);
		for (char *t = strtok(v, " \t"); t; t = strtok(NULL, " \t"))
			if (strchr(t, '/') || unit_strv_push(k[0] == 'W' ? &u->wanted_by : &u->required_by,
							     k[0] == 'W' ? &u->n_wanted_by : &u->n_required_by,
							     t, err) < 0)
				return err->set ? -1 : hull_error_set(err, EINVAL, "%s: \"%s\" is not a unit name", k, t);
		return 0;
	}
	{
		autofree char *joined = NULL;

		if (asprintf(&joined, "%s=%s", k, v) < 0)
			return hull_error_errno(err, "asprintf");
		if (strcmp(section, "Unit") == 0)
			return unit_strv_push(&u->unit_lines, &u->n_unit_lines, joined, err);
		return unit_strv_push(&u->service_lines, &u->n_service_lines, joined, err);
	}
}

int unit_set_key(struct hull_unit *u, const char *section, const char *key,
		 const char *value, struct hull_error *err)
{
	autofree char *line = NULL;

	if (asprintf(&line, "%s=%s", key, value) < 0)
		return hull_error_errno(err, "asprintf");
	return parse_line(u, section, line, err);
}

int unit_parse_container_text(const char *path, const char *text,
			      struct hull_unit *u, struct hull_error *err)
{
	autofree char *copy = strdup(text);
	char section[32] = "";
	char *save = NULL, *p;
	int lineno = 0;
	const char *base = strrchr(path, '/');

	if (copy == NULL)
		return hull_error_errno(err, "strdup");
	unit_init(u);
	for (p = copy; p && *p;) {
		char *nl = strchr(p, '\n');
		char *line;
		int first = lineno + 1;

		if (nl)
			*nl = '\0';
		lineno++;
		/* Continuation lines: "Key=a \" + "b" -> "Key=a b". */
		while (nl && nl > p && nl[-1] == '\\') {
			char *next = nl + 1, *nl2 = strchr(next, '\n');

			nl[-1] = ' ';
			memmove(nl, next, strlen(next) + 1);
			nl2 = strchr(nl, '\n');
			if (nl2)
				*nl2 = '\0';
			nl = nl2;
			lineno++;
		}
		line = trim(p);
		p = nl ? nl + 1 : NULL;
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			size_t len = strlen(line);

			if (line[len - 1] != ']' || len - 2 >= sizeof(section) ||
			    (snprintf(section, sizeof(section), "%.*s", (int)(len - 2), line + 1),
			     strcmp(section, "Unit") && strcmp(section, "Container") &&
			     strcmp(section, "Service") && strcmp(section, "Install"))) {
				hull_error_set(err, EINVAL, "unknown section %s ([Unit], [Container], [Service], [Install])", line);
				hull_error_prefix(err, "%s:%d", path, first);
				goto fail;
			}
			continue;
		}
		if (section[0] == '\0') {
			hull_error_set(err, EINVAL, "\"%s\" before any [Section]", line);
			hull_error_prefix(err, "%s:%d", path, first);
			goto fail;
		}
		(void)save;
		if (parse_line(u, section, line, err) < 0) {
			hull_error_prefix(err, "%s:%d", path, first);
			goto fail;
		}
	}
	if (u->name == NULL) {
		/* NAME.container -> NAME */
		const char *b = base ? base + 1 : path;
		const char *dot = strrchr(b, '.');
		size_t len = dot && strcmp(dot, ".container") == 0 ? (size_t)(dot - b) : strlen(b);

		if ((u->name = strndup(b, len)) == NULL) {
			hull_error_errno(err, "strndup");
			goto fail;
		}
		if (!name_ok(u->name)) {
			hull_error_set(err, EINVAL, "%s: the file name is not a valid container name; set Name=", path);
			goto fail;
		}
	}
	if ((u->source = strdup(path)) == NULL) {
		hull_error_errno(err, "strdup");
		goto fail;
	}
	if (unit_validate(u, err) < 0) {
		hull_error_prefix(err, "%s", path);
		goto fail;
	}
	return 0;
fail:
	unit_free(u);
	return -1;
}

int unit_parse_container(const char *path, struct hull_unit *u,
			 struct hull_error *err)
{
	autofree char *text = NULL;

	if (fs_read_file(path, &text, NULL, err) < 0)
		return -1;
	return unit_parse_container_text(path, text, u, err);
}

int unit_validate(const struct hull_unit *u, struct hull_error *err)
{
	if (u->name == NULL || !name_ok(u->name))
		return hull_error_set(err, EINVAL, "a container name ([A-Za-z0-9_.-]) is required");
	if ((u->bundle == NULL) == (u->image == NULL))
		return hull_error_set(err, EINVAL, "exactly one of Bundle= (--bundle) and Image= (--image) is required");
	if (u->image)
		return hull_error_set(err, ENOTSUP,
				      "Image=%s: this Hull runs bundles only (images need Hull's images support); use Bundle=", u->image);
	return 0;
}
