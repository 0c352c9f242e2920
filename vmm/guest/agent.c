/* hull-agent: PID 1 of Hull's microVM guest.  Static, no libraries beyond
 * libc.  It mounts the essentials, mounts the container's root disk and
 * switches into it, applies the process settings from its config file,
 * runs the process with stdio on the virtio console (/dev/hvc0), reports
 * the exit status to the monitor on the control channel and powers off.
 *
 * The control channel: the monitor gives the guest a second virtio
 * console (/dev/hvc1).  Host -> guest, each byte 1..255 is a signal number
 * that the agent sends to the process, as `kill` would to a container's
 * init; byte 0 and a little-endian u64 N say that the container's stdin
 * ended after N bytes.  A console cannot carry end-of-file, so with a
 * control channel the process's stdin is a pipe that the agent feeds
 * from /dev/hvc0 and closes after N bytes.  Guest -> host, 'R' says the
 * consoles are open (input may flow) and 'S' + a little-endian u32 is the
 * exit status (the VM stops).  No port I/O: the guest kernel has no
 * iopl/ioperm, so the workload cannot reach the monitor's ports either.
 *
 * Config (default /hull/config in the initramfs; `hull.config=PATH` on the
 * kernel command line overrides), one setting per line, values
 * percent-encoded (%20 space, %0A newline, %25 percent):
 *
 *   root DEVICE FSTYPE ro|rw     container root disk, e.g. /dev/vda ext4 ro
 *   arg VALUE                    argv, in order (at least one)
 *   env KEY=VALUE                environment, in order
 *   cwd PATH                     working directory (default /)
 *   user UID GID [GID,GID...]    credentials and supplementary groups
 *   rlimit RESOURCE SOFT HARD    RLIMIT_* number; -1 means unlimited
 *   hostname NAME
 *   domainname NAME
 *   terminal                     the console is the process's terminal:
 *                                cooked, its controlling tty, no stdin pipe
 *   caps BND EFF PRM INH AMB     the five capability sets, hex masks
 *                                (absent: keep root's, as the Linux backend)
 *   nonewprivs                   PR_SET_NO_NEW_PRIVS before exec
 *   umask OCTAL
 *   sysctl KEY VALUE             written to /proc/sys before the paths below
 *   masked PATH                  /dev/null (files) or an empty read-only
 *                                tmpfs (directories) over PATH
 *   readonly PATH                PATH bind-mounted read-only
 *   etcfile DEST CONTENT         DEST gets CONTENT (agent_net.c)
 *   seccomp FLAGS                install /hull/seccomp (struct sock_filter[],
 *                                compiled on the host) with these
 *                                SECCOMP_FILTER_FLAG_*s: just before exec
 *                                with nonewprivs, else before the capability
 *                                sets change (it needs CAP_SYS_ADMIN then)
 *   fs TAG                       virtio-fs tree of shared mounts (agent_fs.c)
 *   bind N FLAGS DEST            its entry N bind-mounted on DEST (agent_fs.c)
 *
 * Exit status: the process's, or 128+N if killed by signal N; 255 when the
 * agent itself fails before the process runs. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <signal.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

void agent_exec_start(void);   /* agent_exec.c */
const char *agent_exec_confine(uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
			       bool no_new_privs);
const char *agent_exec_confine_last(bool no_new_privs);
void agent_fs_tag(char *t);                                   /* agent_fs.c */
int agent_fs_bind(const char *entry, const char *flags, char *dest);
const char *agent_fs_mount(const char *root);
void agent_net_up(void);        /* agent_net.c */
void agent_net_drain(void);
void agent_net_etcfile(const char *dest, const char *content);
void agent_net_etc_apply(bool root_ro);

#define MAX_ARGS 256
#define MAX_ENV 512
#define MAX_RLIMITS 16
#define MAX_GROUPS 64
#define MAX_PATHS 128
#define MAX_SYSCTL 64
#define SECCOMP_PATH "/hull/seccomp"

struct agent_config {
	char *root_dev, *root_fstype;
	bool root_ro;
	char *argv[MAX_ARGS + 1];
	int argc;
	char *envp[MAX_ENV + 1];
	int envc;
	char *cwd, *hostname, *domainname;
	bool terminal;
	bool has_user;
	uid_t uid;
	gid_t gid;
	gid_t groups[MAX_GROUPS];
	int ngroups;
	struct { int resource; struct rlimit lim; } rlimits[MAX_RLIMITS];
	int nrlimits;
	bool has_caps;
	uint64_t caps[5];       /* bounding, effective, permitted, inheritable, ambient */
	bool no_new_privs;
	bool has_umask;
	mode_t umask;
	char *sysctl_key[MAX_SYSCTL], *sysctl_value[MAX_SYSCTL];
	int nsysctl;
	char *masked[MAX_PATHS], *readonly[MAX_PATHS];
	int nmasked, nreadonly;
	bool has_seccomp;
	unsigned int seccomp_flags;
	struct sock_fprog seccomp;
};

static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("hull-agent: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* /dev/hvc1 for writing, opened on first use (power_off may come before
 * main opened anything); -1 when the monitor gave us no control channel. */
static int control_out = -2;

static void control_send(const void *msg, size_t n)
{
	if (control_out == -2) {
		struct termios t;

		control_out = open("/dev/hvc1", O_WRONLY | O_NOCTTY | O_CLOEXEC);
		/* Bytes, not text: no "\n" -> "\r\n" on the way out. */
		if (control_out >= 0 && tcgetattr(control_out, &t) == 0) {
			cfmakeraw(&t);
			tcsetattr(control_out, TCSANOW, &t);
		}
	}
	if (control_out < 0 || write(control_out, msg, n) != (ssize_t)n)
		return;
	/* The virtio console's write returns once the monitor has taken the
	 * buffer; tcdrain makes sure nothing is left in the tty layer. */
	tcdrain(control_out);
}

static __attribute__((noreturn)) void power_off(int status)
{
	uint8_t msg[5] = { 'S', (uint8_t)status, (uint8_t)(status >> 8),
			   (uint8_t)(status >> 16), (uint8_t)(status >> 24) };

	sync();
	/* Tell the monitor the status; this stops the VM.  Without a control
	 * channel the reboot below still stops it (reboot=k), without one. */
	control_send(msg, sizeof(msg));
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static __attribute__((noreturn)) void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("hull-agent: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s%s\n", errno ? ": " : "", errno ? strerror(errno) : "");
	power_off(255);
}

/* Decode %XX in place. */
static char *unescape(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (r[0] == '%' && r[1] && r[2]) {
			char hex[3] = { r[1], r[2], 0 };

			*w++ = (char)strtol(hex, NULL, 16);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return s;
}

static long parse_num(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s ? s : "", &end, 10);
	if (s == NULL || *s == '\0' || *end || errno)
		fail("config: bad number for %s", what);
	return v;
}

static void parse_line(struct agent_config *c, char *line)
{
	char *key = strtok(line, " ");
	char *a = strtok(NULL, " "), *b = strtok(NULL, " "), *d = strtok(NULL, " ");

	errno = 0;
	if (key == NULL || key[0] == '#')
		return;
	if (strcmp(key, "arg") == 0 && a && c->argc < MAX_ARGS)
		c->argv[c->argc++] = unescape(a);
	else if (strcmp(key, "env") == 0 && a && c->envc < MAX_ENV)
		c->envp[c->envc++] = unescape(a);
	else if (strcmp(key, "cwd") == 0 && a)
		c->cwd = unescape(a);
	else if (strcmp(key, "hostname") == 0 && a)
		c->hostname = unescape(a);
	else if (strcmp(key, "domainname") == 0 && a)
		c->domainname = unescape(a);
	else if (strcmp(key, "terminal") == 0)
		c->terminal = true;
	else if (strcmp(key, "nonewprivs") == 0)
		c->no_new_privs = true;
	else if (strcmp(key, "umask") == 0 && a) {
		c->has_umask = true;
		c->umask = (mode_t)strtoul(a, NULL, 8) & 07777;
	} else if (strcmp(key, "caps") == 0 && a && b && d) {
		char *e = strtok(NULL, " "), *f = strtok(NULL, " ");
		char *v[5] = { a, b, d, e, f };

		if (e == NULL || f == NULL)
			fail("config: caps needs five masks");
		c->has_caps = true;
		for (int i = 0; i < 5; i++)
			c->caps[i] = strtoull(v[i], NULL, 16);
	} else if (strcmp(key, "sysctl") == 0 && a && b && c->nsysctl < MAX_SYSCTL) {
		c->sysctl_key[c->nsysctl] = unescape(a);
		c->sysctl_value[c->nsysctl++] = unescape(b);
	} else if (strcmp(key, "masked") == 0 && a && c->nmasked < MAX_PATHS)
		c->masked[c->nmasked++] = unescape(a);
	else if (strcmp(key, "readonly") == 0 && a && c->nreadonly < MAX_PATHS)
		c->readonly[c->nreadonly++] = unescape(a);
	else if (strcmp(key, "fs") == 0 && a)
		agent_fs_tag(unescape(a));
	else if (strcmp(key, "bind") == 0 && a && b && d) {
		if (agent_fs_bind(a, b, unescape(d)) < 0)
			fail("config: bad bind line");
	} else if (strcmp(key, "seccomp") == 0 && a) {
		c->has_seccomp = true;
		c->seccomp_flags = (unsigned int)parse_num(a, "seccomp flags");
	}
	else if (strcmp(key, "root") == 0 && a && b) {
		c->root_dev = unescape(a);
		c->root_fstype = unescape(b);
		c->root_ro = d == NULL || strcmp(d, "rw") != 0;
	} else if (strcmp(key, "etcfile") == 0 && a && b)
		agent_net_etcfile(unescape(a), unescape(b));
	else if (strcmp(key, "user") == 0 && a && b) {
		c->has_user = true;
		c->uid = (uid_t)parse_num(a, "uid");
		c->gid = (gid_t)parse_num(b, "gid");
		for (char *g = d ? strtok(d, ",") : NULL; g && c->ngroups < MAX_GROUPS; g = strtok(NULL, ","))
			c->groups[c->ngroups++] = (gid_t)parse_num(g, "group");
	} else if (strcmp(key, "rlimit") == 0 && a && b && d && c->nrlimits < MAX_RLIMITS) {
		long soft = parse_num(b, "rlimit"), hard = parse_num(d, "rlimit");

		c->rlimits[c->nrlimits].resource = (int)parse_num(a, "rlimit resource");
		c->rlimits[c->nrlimits].lim.rlim_cur = soft < 0 ? RLIM_INFINITY : (rlim_t)soft;
		c->rlimits[c->nrlimits].lim.rlim_max = hard < 0 ? RLIM_INFINITY : (rlim_t)hard;
		c->nrlimits++;
	} else
		fail("config: cannot use line starting \"%s\"", key);
}

/* The filter the host compiled: read now, while the initramfs is still
 * reachable (enter_root hides it). */
static void read_seccomp(struct agent_config *c)
{
	static struct sock_filter prog[BPF_MAXINSNS];
	int fd = open(SECCOMP_PATH, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		fail("open %s", SECCOMP_PATH);
	n = read(fd, prog, sizeof(prog));
	close(fd);
	errno = 0;
	if (n <= 0 || n % (ssize_t)sizeof(prog[0]) != 0)
		fail("%s: not a BPF program", SECCOMP_PATH);
	c->seccomp.filter = prog;
	c->seccomp.len = (unsigned short)(n / (ssize_t)sizeof(prog[0]));
}

static void read_config(struct agent_config *c, const char *path)
{
	static char buf[256 * 1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char *save = NULL;

	if (fd < 0)
		fail("open config %s", path);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		fail("read config %s", path);
	close(fd);
	buf[n] = '\0';
	/* Lines first (strtok_r), fields inside parse_line (strtok). */
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		parse_line(c, line);
	errno = 0;
	if (c->argc == 0)
		fail("config %s: no \"arg\" lines", path);
	if (c->has_seccomp)
		read_seccomp(c);
}

static const char *config_path(void)
{
	static char cmdline[4096], path[512] = "/hull/config";
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, cmdline, sizeof(cmdline) - 1) : -1;
	char *p;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return path;
	cmdline[n] = '\0';
	p = strstr(cmdline, "hull.config=");
	if (p && sscanf(p + strlen("hull.config="), "%511s", path) != 1)
		strcpy(path, "/hull/config");
	return path;
}

static void mount_essentials(const char *root)
{
	char p[512];
	static const struct { const char *src, *dir, *type; unsigned long flags; } m[] = {
		{ "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "sysfs", "sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "devtmpfs", "dev", "devtmpfs", MS_NOSUID },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, m[i].dir);
		mkdir(p, 0755);
		/* EBUSY: the kernel already mounted devtmpfs there. */
		if (mount(m[i].src, p, m[i].type, m[i].flags, NULL) < 0 && errno != EBUSY)
			fail("mount %s", p);
	}
}

/* Mount the root disk on /newroot and make it / (switch_root style: an
 * initramfs cannot be pivot_root'ed away). */
static void enter_root(const struct agent_config *c)
{
	unsigned long flags = c->root_ro ? MS_RDONLY : 0;

	if (c->root_dev == NULL)
		return;         /* run from the initramfs itself */
	mkdir("/newroot", 0755);
	if (mount(c->root_dev, "/newroot", c->root_fstype, flags, NULL) < 0)
		fail("mount %s (%s) on /newroot", c->root_dev, c->root_fstype);
	mount_essentials("/newroot");
	{
		const char *e = agent_fs_mount("/newroot");

		if (e)
			fail("%s", e);
	}
	if (chdir("/newroot") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		fail("switching to the root disk");
}

/* The control channel, if the monitor gave us one; -1 otherwise. */
static int open_control(void)
{
	int fd = open("/dev/hvc1", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	struct termios t;

	if (fd < 0)
		return -1;
	/* Signal numbers are bytes: no line discipline may eat one. */
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

static void open_console(bool terminal)
{
	int fd = open("/dev/hvc0", O_RDWR | O_NOCTTY);
	struct termios t;

	if (fd < 0) {
		say("no /dev/hvc0 (%s); keeping the kernel console", strerror(errno));
		return;
	}
	/* Without "terminal" the container's stdio is a byte stream: raw
	 * mode, so input is not echoed back and "\n" is not turned into
	 * "\r\n".  Decided before input may flow (below), so no byte is
	 * taken in the wrong mode. */
	if (!terminal && tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	/* Now input can no longer be lost: tell the monitor to send it. */
	control_send("R", 1);
}

/* linux.sysctl, then maskedPaths and readonlyPaths, once for the whole
 * guest (PID 1, before the process exists).  sysctl first: the usual
 * readonly paths include /proc/sys.  Paths that do not exist are skipped,
 * as runc does. */
static void apply_sysctls(const struct agent_config *c)
{
	for (int i = 0; i < c->nsysctl; i++) {
		char path[512];
		int fd, n = snprintf(path, sizeof(path), "/proc/sys/%s", c->sysctl_key[i]);

		for (char *p = path + strlen("/proc/sys/"); n > 0 && *p; p++)
			if (*p == '.')
				*p = '/';
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, c->sysctl_value[i], strlen(c->sysctl_value[i])) < 0)
			fail("linux.sysctl: %s", c->sysctl_key[i]);
		close(fd);
	}
}

/* The MS_* flags a mount has now, from statvfs. */
static unsigned long mount_flags(const struct statvfs *v)
{
	unsigned long f = 0;

	if (v->f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (v->f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (v->f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (v->f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (v->f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (v->f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

static void apply_paths(const struct agent_config *c)
{
	struct statvfs vfs;
	struct stat st;

	for (int i = 0; i < c->nmasked; i++) {
		const char *p = c->masked[i];

		if (stat(p, &st) < 0) {
			if (errno == ENOENT)
				continue;
			fail("linux.maskedPaths: %s", p);
		}
		if (S_ISDIR(st.st_mode) ?
		    mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "mode=0555") < 0 :
		    mount("/dev/null", p, NULL, MS_BIND, NULL) < 0)
			fail("linux.maskedPaths: mount over %s", p);
	}
	for (int i = 0; i < c->nreadonly; i++) {
		const char *p = c->readonly[i];

		if (stat(p, &st) < 0) {
			if (errno == ENOENT)
				continue;
			fail("linux.readonlyPaths: %s", p);
		}
		/* A bind mount takes MS_RDONLY only on a remount of itself, which
		 * must repeat the flags it has (nodev on /dev would make its
		 * devices unusable; a remount may not drop nosuid/nodev/noexec). */
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0 || statvfs(p, &vfs) < 0 ||
		    mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | mount_flags(&vfs),
			  NULL) < 0)
			fail("linux.readonlyPaths: %s", p);
	}
}

static void install_seccomp(const struct agent_config *c)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, c->seccomp_flags, &c->seccomp) < 0)
		fail("linux.seccomp: installing the filter");
}

/* Capabilities and credentials, as runtime/process_apply.c does on the
 * host: bounding set while CAP_SETPCAP is still ours, KEEPCAPS across the
 * uid change, then the three sets by capset and the ambient ones.  Returns
 * what failed (errno set), or NULL: the process's path makes that fatal,
 * an exec's (agent_exec.c) reports it to the host. */
static const char *confine_identity(const struct agent_config *c)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return "PR_SET_KEEPCAPS";
	for (int i = 0; c->has_caps && i < 64; i++)
		if (!(c->caps[0] & (1ULL << i)) && prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			return "process.capabilities.bounding: drop";
	if (c->has_user &&
	    (setgroups((size_t)c->ngroups, c->groups) < 0 ||
	     setresgid(c->gid, c->gid, c->gid) < 0 || setresuid(c->uid, c->uid, c->uid) < 0))
		return "switching uid/gid";
	if (c->has_seccomp && !c->no_new_privs &&
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, c->seccomp_flags, &c->seccomp) < 0)
		return "linux.seccomp: installing the filter";
	if (c->has_caps) {
		memset(d, 0, sizeof(d));
		for (int k = 0; k < 2; k++) {
			d[k].effective = (uint32_t)(c->caps[1] >> (32 * k));
			d[k].permitted = (uint32_t)(c->caps[2] >> (32 * k));
			d[k].inheritable = (uint32_t)(c->caps[3] >> (32 * k));
		}
		if (syscall(SYS_capset, &h, d) < 0)
			return "process.capabilities: capset";
		for (int i = 0; i < 64; i++)
			if ((c->caps[4] & (1ULL << i)) &&
			    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
				return "process.capabilities.ambient: raise";
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return "PR_SET_KEEPCAPS";
	if (c->has_umask)
		umask(c->umask);
	return NULL;
}

static void apply_identity(const struct agent_config *c)
{
	const char *what = confine_identity(c);

	if (what)
		fail("%s", what);
}

/* `hull exec` gets the container's confinement, not its own: the same
 * capability sets, umask and seccomp filter as the process, with the
 * exec's user.  One code path with the process's, so an exec cannot lose
 * the filter.  The exec server is forked from main after read_config, so
 * exec_policy stays valid in it. */
static const struct agent_config *exec_policy;

const char *agent_exec_confine(uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
			       bool no_new_privs)
{
	static struct agent_config c;   /* large; one exec child at a time */

	if (exec_policy == NULL)
		return "no container policy";
	c = *exec_policy;
	c.has_user = true;
	c.uid = uid;
	c.gid = gid;
	c.ngroups = ngroups < MAX_GROUPS ? ngroups : MAX_GROUPS;
	memcpy(c.groups, groups, (size_t)c.ngroups * sizeof(gid_t));
	c.no_new_privs = c.no_new_privs || no_new_privs;
	return confine_identity(&c);
}

/* The last step before execve, as for the process: no_new_privs, then a
 * filter that needed it. */
const char *agent_exec_confine_last(bool no_new_privs)
{
	bool nnp = no_new_privs || (exec_policy && exec_policy->no_new_privs);

	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return "no_new_privs";
	if (nnp && exec_policy && exec_policy->has_seccomp &&
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, exec_policy->seccomp_flags,
		    &exec_policy->seccomp) < 0)
		return "linux.seccomp: installing the filter";
	return NULL;
}

/* In the child: apply settings, then exec.  Order: rlimits and hostname
 * need privileges, so they go before dropping to the user. */
static __attribute__((noreturn)) void run_process(const struct agent_config *c, int stdin_fd)
{
	extern char **environ;
	sigset_t none;

	if (stdin_fd >= 0 && dup2(stdin_fd, 0) < 0)
		fail("stdin");
	/* The agent blocks SIGCHLD for its signalfd; the process starts clean. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	/* A terminal process owns the console: ^C and job control work. */
	if (c->terminal && ioctl(0, TIOCSCTTY, 0) < 0)
		fail("TIOCSCTTY on the console");
	for (int i = 0; i < c->nrlimits; i++)
		if (setrlimit(c->rlimits[i].resource, &c->rlimits[i].lim) < 0)
			fail("setrlimit %d", c->rlimits[i].resource);
	if (c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0)
		fail("sethostname");
	if (c->domainname && setdomainname(c->domainname, strlen(c->domainname)) < 0)
		fail("setdomainname");
	apply_identity(c);
	if (chdir(c->cwd ? c->cwd : "/") < 0)
		fail("chdir %s", c->cwd);
	if (c->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail("process.noNewPrivileges");
	/* Last, so the filter need not allow the agent's own calls: only
	 * execve, which any workable profile allows. */
	if (c->has_seccomp && c->no_new_privs)
		install_seccomp(c);
	/* execvpe searches the PATH of *our* environment: install theirs. */
	environ = (char **)c->envp;
	execvpe(c->argv[0], c->argv, (char **)c->envp);
	fail("exec %s", c->argv[0]);
}

/* What flows between the consoles and the process, in main's loop. */
struct relay {
	pid_t child;
	int ctl;                /* /dev/hvc1, or -1 */
	int in;                 /* /dev/hvc0 for reading, or -1 when done */
	int out;                /* the process's stdin pipe, or -1 when closed */
	uint8_t buf[4096];
	size_t off, len;
	uint64_t relayed;       /* bytes written to the pipe (or dropped) */
	int64_t eof_at;         /* -1 until the monitor says where stdin ends */
	uint8_t msg[9];         /* a control message being read */
	size_t msg_len;
};

static void relay_close_stdin(struct relay *r)
{
	if (r->out >= 0)
		close(r->out);
	if (r->in >= 0)
		close(r->in);
	r->out = r->in = -1;
}

/* Control bytes: signals go to the process at once; 0 starts a 9-byte
 * end-of-file message. */
static void relay_control(struct relay *r)
{
	uint8_t b[64];
	ssize_t n;

	while ((n = read(r->ctl, b, sizeof(b))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (r->msg_len > 0 || b[i] == 0) {
				r->msg[r->msg_len++] = b[i];
				if (r->msg_len < sizeof(r->msg))
					continue;
				r->eof_at = 0;
				for (int k = 7; k >= 0; k--)
					r->eof_at = (r->eof_at << 8) | r->msg[1 + k];
				r->msg_len = 0;
			} else if (b[i] < NSIG) {
				kill(r->child, b[i]);
			}
		}
	}
}

/* hvc0 -> pipe, never blocking: signals must get through while the
 * process does not read its stdin. */
static void relay_stdin(struct relay *r, bool readable, bool writable)
{
	if (r->out < 0)
		return;
	if (readable && r->len == 0) {
		ssize_t n = read(r->in, r->buf, sizeof(r->buf));

		if (n > 0) {
			r->off = 0;
			r->len = (size_t)n;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			/* The console went away: nothing more can come. */
			relay_close_stdin(r);
			return;
		}
	}
	if (writable && r->len > 0) {
		ssize_t n = write(r->out, r->buf + r->off, r->len);

		if (n < 0 && errno == EPIPE) {
			/* The process closed its stdin: drop the rest. */
			r->relayed += r->len;
			r->len = 0;
			relay_close_stdin(r);
			return;
		}
		if (n > 0) {
			r->off += (size_t)n;
			r->len -= (size_t)n;
			r->relayed += (uint64_t)n;
		}
	}
	if (r->len == 0 && r->eof_at >= 0 && r->relayed >= (uint64_t)r->eof_at)
		relay_close_stdin(r);
}

/* Reap children until ours is gone; -1 while it still runs.  As PID 1
 * we also reap orphans, but only our child's status counts. */
static int reap(pid_t child)
{
	int st;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == child)
			return WIFEXITED(st) ? WEXITSTATUS(st) :
			       WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
	return -1;
}

int main(void)
{
	static struct agent_config cfg;
	static struct relay r = { .ctl = -1, .in = -1, .out = -1, .eof_at = -1 };
	int status = -1, sfd, pipefd[2] = { -1, -1 };
	sigset_t chld;

	if (getpid() != 1)
		say("warning: not PID 1");
	mount_essentials("");
	/* The config says how to set up the console (its errors reach the
	 * kernel's console meanwhile); the control channel opens before the
	 * console because open_console tells the monitor that input may flow
	 * on both. */
	read_config(&cfg, config_path());
	r.ctl = open_control();
	open_console(cfg.terminal);
	agent_net_up();
	enter_root(&cfg);
	agent_net_etc_apply(cfg.root_ro);
	apply_sysctls(&cfg);
	apply_paths(&cfg);
	/* `hull exec` (agent_exec.c): a vsock server in the container's root,
	 * forked before SIGCHLD is blocked for our own child below. */
	exec_policy = &cfg;
	agent_exec_start();
	if (r.ctl >= 0 && !cfg.terminal) {
		/* After enter_root: /dev is the root disk's devtmpfs now. */
		r.in = open("/dev/hvc0", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (r.in < 0 || pipe2(pipefd, O_CLOEXEC) < 0)
			fail("stdin relay");
		r.out = pipefd[1];
		fcntl(r.out, F_SETFL, O_NONBLOCK);
		/* A process that closes its stdin must not kill PID 1. */
		signal(SIGPIPE, SIG_IGN);
	}
	/* SIGCHLD through a signalfd, so one poll waits for the process's
	 * exit, signals from the host and stdin; blocked before fork so that
	 * an early exit is not missed. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		fail("signalfd");
	r.child = fork();
	if (r.child < 0)
		fail("fork");
	if (r.child == 0) {
		signal(SIGPIPE, SIG_DFL);
		run_process(&cfg, pipefd[0]);
	}
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	while (status < 0) {
		struct pollfd p[4] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = r.ctl, .events = POLLIN },
			{ .fd = r.out >= 0 && r.len == 0 ? r.in : -1, .events = POLLIN },
			{ .fd = r.out >= 0 && r.len > 0 ? r.out : -1, .events = POLLOUT },
		};
		struct signalfd_siginfo si;

		if (poll(p, 4, -1) < 0 && errno != EINTR)
			fail("poll");
		while (read(sfd, &si, sizeof(si)) == sizeof(si))
			;
		if (p[1].revents & POLLIN)
			relay_control(&r);
		relay_stdin(&r, p[2].revents & (POLLIN | POLLHUP | POLLERR),
			    p[3].revents & (POLLOUT | POLLERR));
		status = reap(r.child);
	}
	/* Let the sockets and the console drain before the VM stops. */
	agent_net_drain();
	tcdrain(1);
	power_off(status);
}
