/* Mount options of config.json entries, turned into MS_* flags, a
 * propagation type and the fs-specific data string. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "oci/spec.h"

#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif

struct mount_opt {
	const char *name;
	bool clear;                 /* the option clears the flag */
	unsigned long flag;
};

static const struct mount_opt flag_opts[] = {
	{ "defaults", false, 0 },
	{ "ro", false, MS_RDONLY },          { "rw", true, MS_RDONLY },
	{ "suid", true, MS_NOSUID },         { "nosuid", false, MS_NOSUID },
	{ "dev", true, MS_NODEV },           { "nodev", false, MS_NODEV },
	{ "exec", true, MS_NOEXEC },         { "noexec", false, MS_NOEXEC },
	{ "sync", false, MS_SYNCHRONOUS },   { "async", true, MS_SYNCHRONOUS },
	{ "dirsync", false, MS_DIRSYNC },    { "remount", false, MS_REMOUNT },
	{ "mand", false, MS_MANDLOCK },      { "nomand", true, MS_MANDLOCK },
	{ "atime", true, MS_NOATIME },       { "noatime", false, MS_NOATIME },
	{ "diratime", true, MS_NODIRATIME }, { "nodiratime", false, MS_NODIRATIME },
	{ "relatime", false, MS_RELATIME },  { "norelatime", true, MS_RELATIME },
	{ "strictatime", false, MS_STRICTATIME }, { "nostrictatime", true, MS_STRICTATIME },
	{ "lazytime", false, MS_LAZYTIME },  { "nolazytime", true, MS_LAZYTIME },
	{ "silent", false, MS_SILENT },      { "loud", true, MS_SILENT },
};

static const struct mount_opt prop_opts[] = {
	{ "shared", false, MS_SHARED },          { "rshared", false, MS_SHARED | MS_REC },
	{ "slave", false, MS_SLAVE },            { "rslave", false, MS_SLAVE | MS_REC },
	{ "private", false, MS_PRIVATE },        { "rprivate", false, MS_PRIVATE | MS_REC },
	{ "unbindable", false, MS_UNBINDABLE },  { "runbindable", false, MS_UNBINDABLE | MS_REC },
};

/* Options that other runtimes accept and that change nothing here. */
static const char *const ignored_opts[] = { "tmpcopyup", "notmpcopyup", "rro", "rrw", NULL };

static int append_data(char **data, const char *opt)
{
	char *n;

	if (*data == NULL)
		n = strdup(opt);
	else if (asprintf(&n, "%s,%s", *data, opt) < 0)
		n = NULL;
	if (n == NULL)
		return -1;
	free(*data);
	*data = n;
	return 0;
}

static bool in_table(const struct mount_opt *t, size_t n, const char *name,
		     const struct mount_opt **out)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0) {
			*out = &t[i];
			return true;
		}
	return false;
}

int spec_parse_mount_options(struct spec_mount *m, const char *path,
			     struct hull_error *err)
{
	for (size_t i = 0; i < m->n_options; i++) {
		const char *o = m->options[i];
		const struct mount_opt *mo;
		bool ignored = false;

		if (strcmp(o, "bind") == 0) {
			m->bind = true;
			continue;
		}
		if (strcmp(o, "rbind") == 0) {
			m->bind = m->recursive = true;
			continue;
		}
		if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0)
			return hull_error_set(err, ENOTSUP,
					      "%s.options[%zu]: idmapped mounts (\"%s\") are not supported yet",
					      path, i, o);
		for (size_t j = 0; ignored_opts[j]; j++)
			if (strcmp(o, ignored_opts[j]) == 0)
				ignored = true;
		if (ignored)
			continue;
		if (in_table(prop_opts, sizeof(prop_opts) / sizeof(prop_opts[0]), o, &mo)) {
			m->propagation = mo->flag;
			continue;
		}
		if (in_table(flag_opts, sizeof(flag_opts) / sizeof(flag_opts[0]), o, &mo)) {
			if (mo->clear) {
				m->flags &= ~mo->flag;
				m->clear_flags |= mo->flag;
			} else {
				m->flags |= mo->flag;
			}
			continue;
		}
		if (append_data(&m->data, o) < 0)
			return hull_error_errno(err, "%s.options", path);
	}
	if (m->type && (strcmp(m->type, "bind") == 0 || strcmp(m->type, "rbind") == 0)) {
		m->bind = true;
		if (strcmp(m->type, "rbind") == 0)
			m->recursive = true;
	}
	/* A bind mount ignores most flags on the first mount(2) call; they
	 * take effect only through a second MS_REMOUNT|MS_BIND call. */
	if (m->bind && (m->flags & ~(unsigned long)MS_REMOUNT))
		m->need_remount = true;
	return 0;
}
