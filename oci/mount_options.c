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
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
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
	{ "nosymfollow", false, MS_NOSYMFOLLOW }, { "symfollow", true, MS_NOSYMFOLLOW },
};

static const struct mount_opt prop_opts[] = {
	{ "shared", false, MS_SHARED },          { "rshared", false, MS_SHARED | MS_REC },
	{ "slave", false, MS_SLAVE },            { "rslave", false, MS_SLAVE | MS_REC },
	{ "private", false, MS_PRIVATE },        { "rprivate", false, MS_PRIVATE | MS_REC },
	{ "unbindable", false, MS_UNBINDABLE },  { "runbindable", false, MS_UNBINDABLE | MS_REC },
};

/* Recursive attributes, applied with mount_setattr(AT_RECURSIVE) to the
 * mount and every mount below it (runc's and crun's names).  The atime
 * modes share one field: the kernel takes a new mode only with all of
 * MOUNT_ATTR__ATIME in attr_clr, so those set the mode, never clear it. */
struct rec_attr_opt {
	const char *name;
	bool clear;
	uint64_t attr;
};

static const struct rec_attr_opt rec_attr_opts[] = {
	{ "rro", false, MOUNT_ATTR_RDONLY },         { "rrw", true, MOUNT_ATTR_RDONLY },
	{ "rnosuid", false, MOUNT_ATTR_NOSUID },     { "rsuid", true, MOUNT_ATTR_NOSUID },
	{ "rnodev", false, MOUNT_ATTR_NODEV },       { "rdev", true, MOUNT_ATTR_NODEV },
	{ "rnoexec", false, MOUNT_ATTR_NOEXEC },     { "rexec", true, MOUNT_ATTR_NOEXEC },
	{ "rnodiratime", false, MOUNT_ATTR_NODIRATIME }, { "rdiratime", true, MOUNT_ATTR_NODIRATIME },
	{ "rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW }, { "rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW },
	/* atime modes (see above): */
	{ "rnoatime", false, MOUNT_ATTR_NOATIME },   { "ratime", false, MOUNT_ATTR_RELATIME },
	{ "rrelatime", false, MOUNT_ATTR_RELATIME }, { "rnorelatime", false, MOUNT_ATTR_STRICTATIME },
	{ "rstrictatime", false, MOUNT_ATTR_STRICTATIME },
	{ "rnostrictatime", false, MOUNT_ATTR_RELATIME },
};

static bool rec_attr_option(struct spec_mount *m, const char *o)
{
	for (size_t i = 0; i < sizeof(rec_attr_opts) / sizeof(rec_attr_opts[0]); i++) {
		const struct rec_attr_opt *r = &rec_attr_opts[i];

		if (strcmp(o, r->name) != 0)
			continue;
		if (strstr(o, "atime") && strcmp(o, "rnodiratime") != 0 && strcmp(o, "rdiratime") != 0) {
			m->rec_attr_clr |= MOUNT_ATTR__ATIME;
			m->rec_attr_set = (m->rec_attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | r->attr;
		} else if (r->clear) {
			m->rec_attr_clr |= r->attr;
			m->rec_attr_set &= ~r->attr;
		} else {
			m->rec_attr_set |= r->attr;
			m->rec_attr_clr &= ~r->attr;
		}
		return true;
	}
	return false;
}

/* Options that change nothing: notmpcopyup is the default. */
static const char *const noop_opts[] = { "notmpcopyup", NULL };

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

static bool is_bind_type(const char *type)
{
	return type && (strcmp(type, "bind") == 0 || strcmp(type, "rbind") == 0);
}

int spec_parse_mount_options(struct spec_mount *m, const char *path,
			     struct hull_error *err)
{
	if (is_bind_type(m->type)) {
		m->bind = true;
		if (strcmp(m->type, "rbind") == 0)
			m->recursive = true;
	}
	/* First pass: whether this is a bind mount decides below what an
	 * unknown option is. */
	for (size_t i = 0; i < m->n_options; i++) {
		if (strcmp(m->options[i], "bind") == 0)
			m->bind = true;
		else if (strcmp(m->options[i], "rbind") == 0)
			m->bind = m->recursive = true;
	}
	for (size_t i = 0; i < m->n_options; i++) {
		const char *o = m->options[i];
		const struct mount_opt *mo;
		bool noop = false;

		if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0)
			continue;
		if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0) {
			m->idmap = true;
			m->idmap_recursive |= o[0] == 'r';
			continue;
		}
		if (strcmp(o, "tmpcopyup") == 0) {
			m->tmpcopyup = true;
			continue;
		}
		for (size_t j = 0; noop_opts[j]; j++)
			if (strcmp(o, noop_opts[j]) == 0)
				noop = true;
		if (noop || rec_attr_option(m, o))
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
		/* A bind mount passes no data to any filesystem: an option we
		 * do not know would be dropped without a word (rro was, and
		 * left the mount writable).  Other types hand the rest to
		 * their filesystem (tmpfs size=, devpts newinstance), which
		 * refuses what it does not know. */
		if (m->bind)
			return hull_error_set(err, EINVAL,
					      "%s.options[%zu]: unknown mount option \"%s\"", path, i, o);
		if (append_data(&m->data, o) < 0)
			return hull_error_errno(err, "%s.options", path);
	}
	/* Mappings on a mount make it idmapped even without the option
	 * (runc): the spec says options SHOULD name idmap then. */
	if (m->n_uid_mappings || m->n_gid_mappings)
		m->idmap = true;
	if (m->tmpcopyup && (m->bind || m->type == NULL || strcmp(m->type, "tmpfs") != 0))
		return hull_error_set(err, EINVAL,
				      "%s.options: tmpcopyup applies to tmpfs mounts only", path);
	if (m->idmap && !m->bind)
		return hull_error_set(err, EINVAL,
				      "%s.options: idmapped mounts apply to bind mounts only", path);
	/* A bind mount ignores most flags on the first mount(2) call; they
	 * take effect only through a second MS_REMOUNT|MS_BIND call. */
	if (m->bind && (m->flags & ~(unsigned long)MS_REMOUNT))
		m->need_remount = true;
	return 0;
}

int spec_check_mounts(const struct spec *s, struct hull_error *err)
{
	const struct spec_linux *l = &s->linux;

	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];

		if (!m->idmap)
			continue;
		if (!m->n_uid_mappings != !m->n_gid_mappings)
			return hull_error_set(err, EINVAL,
					      "mounts[%zu]: an idmapped mount needs both uidMappings and gidMappings",
					      i);
		/* Without its own mappings, an idmapped mount maps as the
		 * container's user namespace does (runc, crun). */
		if (m->n_uid_mappings == 0 &&
		    (!l->ns[NS_USER].enabled || l->n_uid_mappings == 0 || l->n_gid_mappings == 0))
			return hull_error_set(err, EINVAL,
					      "mounts[%zu]: idmap without uidMappings/gidMappings needs a new user namespace with linux.uidMappings and gidMappings",
					      i);
	}
	return 0;
}

const char *const *spec_mount_option_names(void)
{
#define N_OPTS(t) (sizeof(t) / sizeof((t)[0]))
	static const char *names[N_OPTS(flag_opts) + N_OPTS(prop_opts) + N_OPTS(rec_attr_opts) + 7];
	static const char *const extra[] = {
		"bind", "rbind", "idmap", "ridmap", "tmpcopyup", "notmpcopyup",
	};
	size_t n = 0;

	if (names[0])
		return names;
	for (size_t i = 0; i < N_OPTS(flag_opts); i++)
		names[n++] = flag_opts[i].name;
	for (size_t i = 0; i < N_OPTS(prop_opts); i++)
		names[n++] = prop_opts[i].name;
	for (size_t i = 0; i < N_OPTS(rec_attr_opts); i++)
		names[n++] = rec_attr_opts[i].name;
	for (size_t i = 0; i < N_OPTS(extra); i++)
		names[n++] = extra[i];
	names[n] = NULL;
	return names;
#undef N_OPTS
}
