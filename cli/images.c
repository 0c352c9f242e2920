/* The image verbs: pull, images, rmi, image inspect, bundle, gc.  Each
 * parses its flags, opens the store and calls one images/ entry point. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/json.h"
#include "cli/images_common.h"
#include "images/bundle.h"
#include "images/layout.h"
#include "images/store.h"

/* Parses the shared flags; returns the index of the first positional or -1. */
static int parse_flags(const struct cli_global *g, const char *verb, int argc, char **argv,
		       struct image_flags *f, int npos)
{
	static const struct option opts[] = { IMAGE_FLAG_OPTIONS, { NULL, 0, NULL, 0 } };
	int c;

	image_flags_init(f);
	while ((c = getopt_long_only(argc, argv, "+q", opts, NULL)) != -1) {
		bool bad = false;

		if (!image_flag(f, c, optarg, &bad) || bad)
			return cli_usage_error(g, verb, "invalid flag or value") ? -1 : -1;
	}
	if (argc - optind != npos)
		return cli_usage_error(g, verb, "expected %d argument%s", npos, npos == 1 ? "" : "s") ? -1 : -1;
	return optind;
}

static int cmd_pull(struct cli_global *g, int argc, char **argv)
{
	struct image_flags f;
	struct pull_opts o;
	struct image_store s;
	struct image_record r;
	struct hull_error err = { 0 };
	int i = parse_flags(g, "pull", argc, argv, &f, 1);

	if (i < 0)
		return 1;
	if (image_pull_opts(&f, &o, &err) < 0 || store_open(store_default_root(f.store), &s, &err) < 0)
		return cli_fail(g, &err);
	if (images_pull(&s, argv[i], &o, &r, &err) < 0) {
		image_progress_finish();
		store_close(&s);
		hull_error_prefix(&err, "pulling %s", argv[i]);
		return cli_fail(g, &err);
	}
	printf("%s\n", r.config);
	image_record_free(&r);
	store_close(&s);
	return 0;
}

HULL_COMMAND(pull_cmd) = {
	.name = "pull",
	.summary = "pull an image from a registry into the image store",
	.usage =
	"Usage: hull pull [options] [REGISTRY/]REPOSITORY[:TAG|@DIGEST]\n"
	"\n"
	"Fetches the image's manifest, config and layers (verified while they\n"
	"stream, several at once, resuming partial downloads) and unpacks each\n"
	"layer once.  Prints the image id (its config digest).  Credentials come\n"
	"from $REGISTRY_AUTH_FILE, /run/containers/0/auth.json or\n"
	"~/.docker/config.json.\n"
	"\n" IMAGE_FLAGS_USAGE,
	.run = cmd_pull,
};

static int cmd_images(struct cli_global *g, int argc, char **argv)
{
	struct image_flags f;
	struct image_store s;
	struct image_record *v = NULL;
	struct hull_error err = { 0 };
	size_t n = 0;
	int i = parse_flags(g, "images", argc, argv, &f, 0);

	if (i < 0)
		return 1;
	if (store_open(store_default_root(f.store), &s, &err) < 0 || store_list_images(&s, &v, &n, &err) < 0)
		return cli_fail(g, &err);
	if (!f.quiet)
		printf("%-50s %-14s %-12s %-8s %s\n", "NAME", "IMAGE ID", "PLATFORM", "LAYERS", "PULLED");
	for (size_t k = 0; k < n; k++) {
		if (f.quiet)
			printf("%s\n", v[k].name);
		else
			printf("%-50s %-14.12s %-12s %-8zu %s\n", v[k].name, v[k].config + 7,
			       v[k].platform ? v[k].platform : "", v[k].n_layers, v[k].pulled ? v[k].pulled : "");
	}
	image_records_free(v, n);
	store_close(&s);
	return 0;
}

HULL_COMMAND(images_cmd) = {
	.name = "images",
	.summary = "list the images in the image store",
	.usage = "Usage: hull images [--store DIR] [-q]\n",
	.run = cmd_images,
};

static int cmd_rmi(struct cli_global *g, int argc, char **argv)
{
	struct image_flags f;
	struct image_store s;
	struct hull_error err = { 0 };
	struct gc_stats st;
	size_t removed = 0;
	int i = parse_flags(g, "rmi", argc, argv, &f, 1);

	if (i < 0)
		return 1;
	if (store_open(store_default_root(f.store), &s, &err) < 0 ||
	    store_remove_image(&s, argv[i], &removed, &err) < 0 || store_gc(&s, &st, &err) < 0)
		return cli_fail(g, &err);
	if (!f.quiet)
		printf("removed %zu image name%s; freed %zu blobs and %zu layers\n", removed,
		       removed == 1 ? "" : "s", st.blobs, st.layers);
	store_close(&s);
	return 0;
}

HULL_COMMAND(rmi_cmd) = {
	.name = "rmi",
	.summary = "remove an image (by name, id or digest) and what only it used",
	.usage = "Usage: hull rmi [--store DIR] NAME|ID|DIGEST\n",
	.run = cmd_rmi,
};

static int cmd_gc(struct cli_global *g, int argc, char **argv)
{
	struct image_flags f;
	struct image_store s;
	struct hull_error err = { 0 };
	struct gc_stats st;
	int i = parse_flags(g, "gc", argc, argv, &f, 0);

	if (i < 0)
		return 1;
	if (store_open(store_default_root(f.store), &s, &err) < 0 || store_gc(&s, &st, &err) < 0)
		return cli_fail(g, &err);
	if (!f.quiet)
		printf("removed %zu blobs, %zu layers, %zu partial downloads (%llu bytes of files)\n",
		       st.blobs, st.layers, st.partials, (unsigned long long)st.bytes);
	store_close(&s);
	return 0;
}

HULL_COMMAND(gc_cmd) = {
	.name = "gc",
	.summary = "remove blobs and layers no image or container uses",
	.usage = "Usage: hull gc [--store DIR]\n",
	.run = cmd_gc,
};

/* The spare root a `run --image` starts after itself (runtime/run_image.c):
 * not for people, so hidden.  Fd 3 holds the store's lock; every signal
 * comes in blocked (the run blocked them around the clone). */
static int cmd_spare_refill(struct cli_global *g, int argc, char **argv)
{
	struct hull_error err = { 0 };
	sigset_t none;

	(void)g;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* below the runs it makes spares for: one that waits for the lock
	 * sleeps, and lets this finish */
	(void)setpriority(PRIO_PROCESS, 0, 10);
	if (argc != 4)
		return 2;
	return images_spare_refill(argv[1], argv[2], argv[3], 3, &err) < 0 ? 1 : 0;
}

HULL_COMMAND(spare_refill_cmd) = {
	.name = "__spare-refill",
	.summary = "make an image's spare root (started by run --image)",
	.usage = "Usage: hull __spare-refill STORE IMAGE CONFIG (fd 3: the store's lock)\n",
	.run = cmd_spare_refill,
	.hidden = true,
};

static int cmd_image(struct cli_global *g, int argc, char **argv)
{
	struct image_flags f;
	struct image_store s;
	struct image_record r;
	struct hull_error err = { 0 };
	char *text = NULL;
	size_t len;
	int i;

	if (argc < 2 || strcmp(argv[1], "inspect") != 0)
		return cli_usage_error(g, "image", "the only subcommand is \"inspect\"");
	i = parse_flags(g, "image inspect", argc - 1, argv + 1, &f, 1);
	if (i < 0)
		return 1;
	if (store_open(store_default_root(f.store), &s, &err) < 0 ||
	    store_find_image(&s, argv[i + 1], &r, &err) < 0 ||
	    store_get_blob(&s, r.config, &text, &len, &err) < 0)
		return cli_fail(g, &err);
	/* name, digests, layers, and the image config as it is */
	printf("{\"name\":");
	{
		json_gen *j = json_gen_new(false);
		char *s1;

		json_gen_string(j, r.name);
		s1 = json_gen_finish(j, NULL);
		json_gen_free(j);
		printf("%s", s1 ? s1 : "\"\"");
		free(s1);
	}
	printf(",\"id\":\"%s\",\"manifest\":\"%s\",\"platform\":\"%s\",\"layers\":[", r.config, r.manifest,
	       r.platform ? r.platform : "");
	for (size_t k = 0; k < r.n_layers; k++)
		printf("%s{\"digest\":\"%s\",\"diffId\":\"%s\",\"size\":%llu}", k ? "," : "", r.layers[k].digest,
		       r.layers[k].diff_id, (unsigned long long)r.layers[k].size);
	printf("],\"config\":%s}\n", text);
	free(text);
	image_record_free(&r);
	store_close(&s);
	return 0;
}

HULL_COMMAND(image_cmd) = {
	.name = "image",
	.summary = "image inspect NAME: the image's record and config as JSON",
	.usage = "Usage: hull image inspect [--store DIR] NAME|ID|DIGEST\n",
	.run = cmd_image,
};

static int cmd_bundle(struct cli_global *g, int argc, char **argv)
{
	struct image_flags f;
	struct image_store s;
	struct image_record r;
	struct hull_error err = { 0 };
	int i = parse_flags(g, "bundle", argc, argv, &f, 2);

	if (i < 0)
		return 1;
	if (store_open(store_default_root(f.store), &s, &err) < 0)
		return cli_fail(g, &err);
	if (store_find_image(&s, argv[i], &r, &err) < 0) {
		struct pull_opts o;

		/* not here: pull it first */
		hull_error_clear(&err);
		if (image_pull_opts(&f, &o, &err) < 0 || images_pull(&s, argv[i], &o, &r, &err) < 0)
			return cli_fail(g, &err);
	}
	if (images_make_bundle(&s, &r, argv[i + 1], &err) < 0) {
		hull_error_prefix(&err, "bundle %s", argv[i + 1]);
		return cli_fail(g, &err);
	}
	image_record_free(&r);
	store_close(&s);
	return 0;
}

HULL_COMMAND(bundle_cmd) = {
	.name = "bundle",
	.summary = "write an OCI bundle (config.json + rootfs copy) for an image",
	.usage =
	"Usage: hull bundle [options] IMAGE DIR\n"
	"\n"
	"Writes DIR/config.json from the image config (Entrypoint, Cmd, Env,\n"
	"WorkingDir, User, ExposedPorts, Labels, StopSignal) and DIR/rootfs, a copy\n"
	"of the image's layers with whiteouts applied.  Pulls the image if needed.\n"
	"\n" IMAGE_FLAGS_USAGE,
	.run = cmd_bundle,
};

static int cmd_load(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = { IMAGE_FLAG_OPTIONS, { "name", required_argument, NULL, 'n' },
					      { NULL, 0, NULL, 0 } };
	struct image_flags f;
	struct image_store s;
	struct platform p;
	struct hull_error err = { 0 };
	const char *name = NULL;
	char **names = NULL;
	int c;

	image_flags_init(&f);
	while ((c = getopt_long_only(argc, argv, "+q", opts, NULL)) != -1) {
		bool bad = false;

		if (c == 'n')
			name = optarg;
		else if (!image_flag(&f, c, optarg, &bad) || bad)
			return cli_usage_error(g, "load", "invalid flag or value");
	}
	if (argc - optind != 1)
		return cli_usage_error(g, "load", "expected one source (an OCI layout or a docker-archive)");
	if (f.platform ? platform_parse(f.platform, &p, &err) < 0 : (platform_host(&p), 0))
		return cli_fail(g, &err);
	if (store_open(store_default_root(f.store), &s, &err) < 0 ||
	    images_load(&s, argv[optind], name, &p, &names, &err) < 0) {
		strv_free(names);
		return cli_fail(g, &err);
	}
	for (size_t i = 0; names && names[i]; i++)
		printf("%s\n", names[i]);
	strv_free(names);
	store_close(&s);
	return 0;
}

HULL_COMMAND(load_cmd) = {
	.name = "load",
	.summary = "load images from an OCI layout or a docker-archive tarball",
	.usage =
	"Usage: hull load [--store DIR] [--name NAME] [--platform P] SRC\n"
	"\n"
	"SRC is an OCI image layout (a directory, or a tar of one) or a\n"
	"docker-archive tarball (`docker save`, skopeo's docker-archive:).  Blobs\n"
	"are verified against their digests and layers against their diff_ids.\n"
	"Names come from the layout's ref.name annotations (a bare tag becomes\n"
	"localhost/DIR:TAG) or the archive's RepoTags; --name sets the one image's.\n",
	.run = cmd_load,
};

static int cmd_save(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = { IMAGE_FLAG_OPTIONS, { "format", required_argument, NULL, 'f' },
					      { NULL, 0, NULL, 0 } };
	struct image_flags f;
	struct image_store s;
	struct image_record r;
	struct hull_error err = { 0 };
	bool docker = false;
	int c;

	image_flags_init(&f);
	while ((c = getopt_long_only(argc, argv, "+q", opts, NULL)) != -1) {
		bool bad = false;

		if (c == 'f' && strcmp(optarg, "oci") == 0)
			docker = false;
		else if (c == 'f' && strcmp(optarg, "docker-archive") == 0)
			docker = true;
		else if (c == 'f')
			return cli_usage_error(g, "save", "--format: \"%s\" is not oci or docker-archive", optarg);
		else if (!image_flag(&f, c, optarg, &bad) || bad)
			return cli_usage_error(g, "save", "invalid flag or value");
	}
	if (argc - optind != 2)
		return cli_usage_error(g, "save", "expected IMAGE DEST");
	if (store_open(store_default_root(f.store), &s, &err) < 0 ||
	    store_find_image(&s, argv[optind], &r, &err) < 0)
		return cli_fail(g, &err);
	if (images_save(&s, &r, argv[optind + 1], docker, &err) < 0) {
		image_record_free(&r);
		return cli_fail(g, &err);
	}
	image_record_free(&r);
	store_close(&s);
	return 0;
}

HULL_COMMAND(save_cmd) = {
	.name = "save",
	.summary = "write an image as an OCI layout or a docker-archive tarball",
	.usage =
	"Usage: hull save [--store DIR] [--format oci|docker-archive] IMAGE DEST\n"
	"\n"
	"oci (default): DEST is a directory (new or empty) holding an OCI image\n"
	"layout with the image under its name; docker-archive: DEST is a new tar\n"
	"file that `docker load` and skopeo's docker-archive: read.\n",
	.run = cmd_save,
};
