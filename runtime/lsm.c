#include "runtime/lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dlib.h"
#include "base/fsutil.h"

static DLIB_PTR(security_check_context);
static const struct dlib_sym selinux_syms[] = { DLIB_SYM(security_check_context) };
static struct dlib selinux_lib = { "libselinux.so.1", "libselinux1", NULL };

/* The module may be built in but off (parameters/enabled "N"), and
 * securityfs shows it only when it is the active LSM. */
static bool apparmor_enabled(void)
{
	struct hull_error ignored = { 0 };
	autofree char *data = NULL;
	size_t len = 0;

	if (fs_read_file("/sys/module/apparmor/parameters/enabled", &data, &len, &ignored) < 0)
		return false;
	return len > 0 && data[0] == 'Y' && access("/sys/kernel/security/apparmor", F_OK) == 0;
}

/* Whether the profile is loaded: /sys/kernel/security/apparmor/profiles
 * lists "NAME (MODE)" a line.  Checked before anything is created, so a
 * missing profile is create's error, not the process's at `start`. */
static bool apparmor_profile_loaded(const char *name)
{
	struct hull_error ignored = { 0 };
	autofree char *data = NULL;
	size_t len = 0, n = strlen(name);

	if (fs_read_file("/sys/kernel/security/apparmor/profiles", &data, &len, &ignored) < 0)
		return false;
	for (char *line = data; line && *line; ) {
		char *nl = strchr(line, '\n');

		if (strncmp(line, name, n) == 0 && strncmp(line + n, " (", 2) == 0)
			return true;
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

static bool selinux_enabled(void)
{
	return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

int lsm_prepare(struct launch *l, const struct spec_process *p, struct hull_error *err)
{
	l->lsm.apparmor_profile = NULL;
	l->lsm.selinux_label = NULL;
	if (p->apparmor_profile && p->apparmor_profile[0]) {
		if (!apparmor_enabled())
			return hull_error_set(err, ENOTSUP,
					      "process.apparmorProfile: AppArmor is not enabled on this host, cannot apply profile \"%s\"",
					      p->apparmor_profile);
		/* "unconfined" is what the process is without a profile. */
		if (strcmp(p->apparmor_profile, "unconfined") != 0) {
			if (!apparmor_profile_loaded(p->apparmor_profile))
				return hull_error_set(err, ENOENT,
						      "process.apparmorProfile: profile \"%s\" is not loaded (apparmor_parser -r it first)",
						      p->apparmor_profile);
			l->lsm.apparmor_profile = p->apparmor_profile;
		}
	}
	/* Without SELinux a label means nothing: ignored, as crun does. */
	if (p->selinux_label && p->selinux_label[0] && selinux_enabled()) {
		/* Checked against the loaded policy now, so a typo fails
		 * before anything is created rather than at execve. */
		if (dlib_load(&selinux_lib, selinux_syms, DLIB_COUNT(selinux_syms), err) < 0)
			return hull_error_prefix(err, "process.selinuxLabel");
		if (sym_security_check_context(p->selinux_label) < 0)
			return hull_error_set(err, EINVAL,
					      "process.selinuxLabel: \"%s\" is not a valid context in the loaded policy",
					      p->selinux_label);
		l->lsm.selinux_label = p->selinux_label;
	}
	return 0;
}

const char *lsm_mount_label(const struct spec *s)
{
	const char *label = s->linux.mount_label;

	return label && label[0] && selinux_enabled() ? label : NULL;
}

/* Writes one of our own /proc/thread-self/attr files through the host
 * /proc fd, and checks that what it opened is procfs. */
static int write_attr(int proc_fd, const char *file, const char *fallback,
		      const char *data, struct hull_error *err)
{
	autoclose int fd = openat(proc_fd, file, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	struct statfs sf;
	size_t len = strlen(data);

	if (fd < 0 && errno == ENOENT && fallback)
		fd = openat(proc_fd, fallback, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return hull_error_errno(err, "open /proc/%s", file);
	if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
		return hull_error_set(err, EINVAL, "/proc/%s is not on procfs", file);
	if (write(fd, data, len) != (ssize_t)len)
		return hull_error_errno(err, "write /proc/%s", file);
	return 0;
}

int lsm_apply_exec(const struct launch *l, struct hull_error *err)
{
	if (l->lsm.apparmor_profile) {
		char buf[4096];

		snprintf(buf, sizeof(buf), "exec %s", l->lsm.apparmor_profile);
		/* attr/apparmor/exec since 5.8 (stacking); attr/exec before. */
		if (write_attr(l->proc_fd, "thread-self/attr/apparmor/exec", "thread-self/attr/exec",
			       buf, err) < 0)
			return hull_error_prefix(err, "process.apparmorProfile \"%s\"",
						 l->lsm.apparmor_profile);
	}
	/* What libselinux's setexeccon writes, written by us through the
	 * verified procfs (libselinux would open the container's /proc). */
	if (l->lsm.selinux_label &&
	    write_attr(l->proc_fd, "thread-self/attr/exec", NULL, l->lsm.selinux_label, err) < 0)
		return hull_error_prefix(err, "process.selinuxLabel \"%s\"", l->lsm.selinux_label);
	return 0;
}
