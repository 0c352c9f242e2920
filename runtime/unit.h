/* systemd units for containers: one model (struct hull_unit), filled either
 * from `hull generate systemd` options or from a declarative
 * /etc/hull/containers/NAME.container file (the generator), and one writer.
 *
 * The unit runs `hull --systemd-cgroup run` in the foreground (Type=notify,
 * hull stays the main process and relays the container's sd_notify
 * messages), after `hull generate bundle` derived the bundle to run from
 * the model: the same options, serialized by unit_argv(), so a unit and its
 * bundle can never disagree. */
#ifndef HULL_UNIT_H
#define HULL_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"

struct hull_unit {
	char *name;             /* container name = unit "hull-NAME.service" */
	char *bundle;           /* Bundle= / --bundle (absolute) */
	char *image;            /* Image= / --image */
	char **env;             /* "K=V" */
	size_t n_env;
	char **volumes;         /* "SRC:DST[:ro|rw]" */
	size_t n_volumes;
	char *network;          /* NULL (the bundle's), "host" or "none" */
	int64_t memory;         /* bytes, 0: unset */
	uint64_t cpu_quota;     /* percent of one CPU, 0: unset */
	int64_t pids_limit;     /* 0: unset */
	bool vm;
	bool notify;            /* the payload sends READY=1 itself */
	char *stop_signal;      /* "SIGTERM" */
	int64_t stop_timeout;   /* seconds, -1: unset */
	char **unit_lines;      /* [Unit] lines passed through */
	size_t n_unit_lines;
	char **service_lines;   /* [Service] lines passed through */
	size_t n_service_lines;
	char **wanted_by;
	size_t n_wanted_by;
	char **required_by;
	size_t n_required_by;
	char *source;           /* the .container file, for SourcePath= */
};

void unit_free(struct hull_unit *u);
void unit_init(struct hull_unit *u);
int unit_strv_push(char ***v, size_t *n, const char *s, struct hull_error *err);

/* Parses a .container file (see contrib/systemd/README.md).  Errors name
 * "FILE:LINE"; nothing is kept from a file that has one. */
int unit_parse_container(const char *path, struct hull_unit *u,
			 struct hull_error *err);
int unit_parse_container_text(const char *path, const char *text,
			      struct hull_unit *u, struct hull_error *err);
/* One Key=Value of a section, checked as in a .container file: what
 * `generate systemd`'s options go through, so both validate alike. */
int unit_set_key(struct hull_unit *u, const char *section, const char *key,
		 const char *value, struct hull_error *err);
/* Checks the model (a bundle or an image, sane values). */
int unit_validate(const struct hull_unit *u, struct hull_error *err);

/* The options that reproduce the model for `hull generate bundle`
 * (NULL-terminated, heap). */
char **unit_argv(const struct hull_unit *u);
/* Writes the unit file text; hull = absolute path of the hull binary. */
int unit_write(FILE *out, const struct hull_unit *u, const char *hull,
	       struct hull_error *err);
/* "hull-NAME.service" (heap). */
char *unit_file_name(const struct hull_unit *u);

/* Writes <out_dir>/config.json: the bundle's config with the model's
 * environment, mounts, network, resources, an absolute root.path and the
 * systemd driver's cgroupsPath "system.slice:hull:NAME". */
int unit_derive_bundle(const struct hull_unit *u, const char *out_dir,
		       struct hull_error *err);

/* Sizes "512M", "1G", "1024" -> bytes (K/M/G/T, powers of 1024). */
int unit_parse_size(const char *s, int64_t *out);

#endif
