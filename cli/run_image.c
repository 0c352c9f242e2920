/* `hull run --image REF ID`: the flags; runtime/run_image.c pulls the
 * image if the store lacks it, gives the container an overlay root in the
 * store, runs it like any bundle, and undoes a failed create. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/images_common.h"
#include "images/store.h"
#include "runtime/run_image.h"

/* The image flags, in any of getopt_long_only's spellings. */
static int image_arg(const char *a, const char **name)
{
	static const char *const with_value[] = { "image", "store", "platform", "parallel", NULL };

	if (a[0] != '-')
		return 0;
	a += a[1] == '-' ? 2 : 1;
	for (int i = 0; with_value[i]; i++) {
		size_t n = strlen(with_value[i]);

		if (strncmp(a, with_value[i], n) == 0 && (a[n] == '\0' || a[n] == '=')) {
			*name = with_value[i];
			return a[n] == '=' ? 1 : 2;
		}
	}
	if (strncmp(a, "tls-verify", 10) == 0 && (a[10] == '\0' || a[10] == '=')) {
		*name = "tls-verify";
		return 1;
	}
	return 0;
}

bool cli_run_wants_image(int argc, char **argv);
bool cli_run_wants_image(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *name;

		if (image_arg(argv[i], &name) && strcmp(name, "image") == 0)
			return true;
	}
	return false;
}

static void warn_copied(void *data, const char *id)
{
	cli_log(data, "warning", "overlayfs unavailable: the image's layers were copied for %s", id);
}

int cli_run_image(struct cli_global *g, int argc, char **argv);
int cli_run_image(struct cli_global *g, int argc, char **argv)
{
	struct image_flags f;
	struct create_opts o;
	struct pull_opts po;
	struct run_image_opts io = { 0 };
	struct hull_error err = { 0 };
	const char *image = NULL;
	char **rest = calloc((size_t)argc + 1, sizeof(char *));
	bool detach = false, force_copy = false;
	int n = 0, status = 0;

	if (rest == NULL)
		return 1;
	image_flags_init(&f);
	for (int i = 0; i < argc; i++) {
		const char *name, *val;
		int k = i > 0 ? image_arg(argv[i], &name) : 0;
		bool bad = false;

		if (k == 0 && i > 0 && (strcmp(argv[i], "--copy") == 0 || strcmp(argv[i], "-copy") == 0)) {
			force_copy = true;
			continue;
		}
		if (k == 0) {
			rest[n++] = argv[i];
			continue;
		}
		val = k == 1 ? strchr(argv[i], '=') : (i + 1 < argc ? argv[++i] : NULL);
		if (k == 1 && val)
			val++;
		if (val == NULL && strcmp(name, "tls-verify") != 0) {
			free(rest);
			return cli_usage_error(g, "run", "--%s needs a value", name);
		}
		if (strcmp(name, "image") == 0)
			image = val;
		else if (strcmp(name, "store") == 0)
			image_flag(&f, 1001, val, &bad);
		else if (strcmp(name, "platform") == 0)
			image_flag(&f, 1002, val, &bad);
		else if (strcmp(name, "parallel") == 0)
			image_flag(&f, 1004, val, &bad);
		else
			image_flag(&f, 1003, val, &bad);
		if (bad) {
			free(rest);
			return cli_usage_error(g, "run", "--%s: invalid value", name);
		}
	}
	f.quiet = true;
	if (cli_parse_create(g, "run", n, rest, &o, &detach) < 0) {
		free(rest);
		return 1;
	}
	if (o.bundle) {
		free(rest);
		return cli_usage_error(g, "run", "--image and --bundle exclude each other");
	}
	free(rest);
	if (image_pull_opts(&f, &po, &err) < 0)
		return cli_fail(g, &err);
	io = (struct run_image_opts){ .store = store_default_root(f.store), .image = image,
				      .pull = &po, .force_copy = force_copy,
				      .on_copied = warn_copied, .data = g };
	if (hull_run_image(&io, &o, detach, &status, &err) < 0)
		return cli_fail(g, &err);
	return status;
}
