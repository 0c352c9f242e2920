/* checker: runs inside a container and reports what the process sees, as
 * "key=value" lines, so tests assert on the container's own view rather
 * than on shell output.  Static, no dependencies beyond libc.
 *
 *   checker ids | caps | seccomp | nnp | rlimits | ns | fds | cwd | env KEY
 *   checker mounts | hostname | umask | oom | sched | personality
 *   checker open PATH r|w | stat PATH | write PATH TEXT | mkdir PATH
 *   checker exit N | sleep S | spin S | mem MIB [hold] | fork N | kill-self SIG
 *   checker syscall unshare|mount|chroot|getpid|ptrace
 *   checker exe (what /proc/self/exe names, and whether it opens for write)
 *   checker mountinfo PATH (fstype, options, propagation of the mount at PATH)
 *   checker read PATH | ls PATH | ioprio | sched | write-exe PID TEXT
 *   checker grab-exe SECONDS (CVE-2019-5736: grab every /proc/PID/exe, try to write it)
 *   checker mkdir-mode PATH OCTAL (mkdir(2) with that mode argument)
 *   checker notify MSG (one datagram to $NOTIFY_SOCKET, as sd_notify)
 *   checker ioport (iopl(3) and ioperm on Hull's VM control port: errno names)
 *   checker winsize (stdin's terminal size, ROWSxCOLS)
 *   checker vsock-echo PORT (microVM: echo every connection on vsock PORT)
 *   checker vsock-send PORT MSG (microVM: MSG to host port PORT, print the reply)
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void status_field(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[512];
	size_t n = strlen(name);

	if (!f) {
		printf("%s=unknown\n", name);
		return;
	}
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			char *v = line + n + 1;

			while (*v == ' ' || *v == '\t')
				v++;
			v[strcspn(v, "\n")] = 0;
			printf("%s=%s\n", name, v);
		}
	fclose(f);
}

static int cmd_ids(void)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	printf("uid=%u\neuid=%u\ngid=%u\negid=%u\ngroups=", getuid(), geteuid(), getgid(), getegid());
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", groups[i]);
	printf("\n");
	return 0;
}

static int cmd_rlimits(void)
{
	static const struct { const char *n; int r; } t[] = {
		{ "NOFILE", RLIMIT_NOFILE }, { "NPROC", RLIMIT_NPROC }, { "CORE", RLIMIT_CORE },
		{ "STACK", RLIMIT_STACK }, { "AS", RLIMIT_AS }, { "CPU", RLIMIT_CPU },
		{ "MEMLOCK", RLIMIT_MEMLOCK }, { "FSIZE", RLIMIT_FSIZE },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct rlimit rl;

		getrlimit(t[i].r, &rl);
		printf("%s=", t[i].n);
		if (rl.rlim_cur == RLIM_INFINITY) printf("unlimited:"); else printf("%llu:", (unsigned long long)rl.rlim_cur);
		if (rl.rlim_max == RLIM_INFINITY) printf("unlimited\n"); else printf("%llu\n", (unsigned long long)rl.rlim_max);
	}
	return 0;
}

static int cmd_ns(void)
{
	static const char *const ns[] = { "cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts" };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		char p[64], t[128];
		ssize_t n;

		snprintf(p, sizeof(p), "/proc/self/ns/%s", ns[i]);
		n = readlink(p, t, sizeof(t) - 1);
		t[n > 0 ? n : 0] = 0;
		printf("%s=%s\n", ns[i], n > 0 ? t : "none");
	}
	printf("pid=%d\n", getpid());
	return 0;
}

static int cmd_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self = d ? dirfd(d) : -1;

	if (!d) {
		/* No /proc: probe fds directly. */
		for (int fd = 0; fd < 1024; fd++)
			if (fcntl(fd, F_GETFD) >= 0)
				printf("fd=%d\n", fd);
		return 0;
	}
	while ((e = readdir(d))) {
		char p[300], t[512];
		ssize_t n;
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd == self)
			continue;
		snprintf(p, sizeof(p), "/proc/self/fd/%s", e->d_name);
		n = readlink(p, t, sizeof(t) - 1);
		t[n > 0 ? n : 0] = 0;
		printf("fd=%d:%s\n", fd, t);
	}
	closedir(d);
	return 0;
}

static const char *errname(int e)
{
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case EROFS: return "EROFS";
	case EINVAL: return "EINVAL";
	case ETXTBSY: return "ETXTBSY";
	case EAGAIN: return "EAGAIN";
	case ENOSYS: return "ENOSYS";
	case EEXIST: return "EEXIST";
	case ENOTDIR: return "ENOTDIR";
	case ENXIO: return "ENXIO";
	case EXDEV: return "EXDEV";
	case ENOTSUP: return "ENOTSUP";
	case ELOOP: return "ELOOP";
	case EOVERFLOW: return "EOVERFLOW";
	default: return strerror(e);
	}
}

static int cmd_open(const char *path, const char *mode)
{
	int fd = open(path, (mode && mode[0] == 'w') ? O_WRONLY : O_RDONLY);

	printf("open=%s\n", errname(fd < 0 ? errno : 0));
	if (fd >= 0)
		close(fd);
	return 0;
}

static int cmd_syscall(const char *name)
{
	long r = -1;

	errno = 0;
	if (strcmp(name, "unshare") == 0)
		r = unshare(CLONE_NEWUTS);
	else if (strcmp(name, "mount") == 0)
		r = mount("none", "/tmp", "tmpfs", 0, NULL);
	else if (strcmp(name, "chroot") == 0)
		r = chroot("/");
	else if (strcmp(name, "getpid") == 0)
		r = getpid();
	else if (strcmp(name, "mkdir") == 0)
		r = mkdir("/tmp/checker-mkdir", 0755);
	else if (strcmp(name, "sethostname") == 0)
		r = sethostname("x", 1);
	else {
		fprintf(stderr, "unknown syscall %s\n", name);
		return 2;
	}
	printf("%s=%s\n", name, errname(r < 0 ? errno : 0));
	return 0;
}

static int cmd_exe(void)
{
	char t[512];
	ssize_t n = readlink("/proc/self/exe", t, sizeof(t) - 1);
	int fd;

	t[n > 0 ? n : 0] = 0;
	printf("exe=%s\n", t);
	fd = open("/proc/self/exe", O_WRONLY);
	printf("exe_write=%s\n", errname(fd < 0 ? errno : 0));
	if (fd >= 0)
		close(fd);
	return 0;
}

/* MIB of anonymous memory, every page touched; with hold, kept until the
 * process is killed. */
static int cmd_mem(long mib, bool hold)
{
	size_t n = (size_t)mib << 20;
	char *p = malloc(n);

	if (!p) {
		printf("mem=ENOMEM\n");
		return 1;
	}
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	printf("mem=ok\n");
	fflush(stdout);
	while (hold)
		pause();
	return 0;
}

static int cmd_fork(int n)
{
	int ok = 0, fail = 0;

	for (int i = 0; i < n; i++) {
		pid_t p = fork();

		if (p == 0) {
			sleep(2);
			_exit(0);
		}
		if (p < 0)
			fail++;
		else
			ok++;
	}
	printf("forked=%d\nfork_failed=%d\n", ok, fail);
	fflush(stdout);
	while (wait(NULL) > 0)
		;
	return 0;
}

static int cmd_spin(int secs)
{
	time_t end = time(NULL) + secs;
	volatile unsigned long x = 0;

	while (time(NULL) < end)
		x++;
	printf("spun=%lu\n", (unsigned long)x);
	return 0;
}

/* The last mountinfo entry whose mount point is exactly PATH (the one on
 * top): fstype, per-mount and superblock options, propagation fields. */
static int cmd_mountinfo(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096], found[4096] = "";

	if (!f) {
		printf("mountinfo=%s\n", errname(errno));
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char copy[4096], *save = NULL, *tok;
		int i = 0;

		snprintf(copy, sizeof(copy), "%s", line);
		for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save), i++)
			if (i == 4) {
				if (strcmp(tok, path) == 0)
					snprintf(found, sizeof(found), "%s", line);
				break;
			}
	}
	fclose(f);
	if (!found[0]) {
		printf("mountinfo=none\n");
		return 0;
	}
	/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
	{
		char *save = NULL, *tok, prop[512] = "";
		int i = 0, after_dash = 0;

		found[strcspn(found, "\n")] = 0;
		printf("mountinfo=ok\n");
		for (tok = strtok_r(found, " ", &save); tok; tok = strtok_r(NULL, " ", &save), i++) {
			if (i == 3)
				printf("root=%s\n", tok);
			else if (i == 5)
				printf("opts=%s\n", tok);
			else if (i > 5 && !after_dash) {
				if (strcmp(tok, "-") == 0) {
					after_dash = 1;
					printf("propagation=%s\n", prop[0] ? prop : "private");
				} else {
					size_t l = strlen(prop);
					snprintf(prop + l, sizeof(prop) - l, "%s%s", l ? "," : "", tok);
				}
			} else if (after_dash == 1) {
				printf("fstype=%s\n", tok);
				after_dash = 2;
			} else if (after_dash == 2) {
				printf("source=%s\n", tok);
				after_dash = 3;
			} else if (after_dash == 3) {
				printf("superopts=%s\n", tok);
				after_dash = 4;
			}
		}
	}
	return 0;
}

static int cmd_read(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n, total = 0;

	if (fd < 0) {
		printf("read=%s\n", errname(errno));
		return 0;
	}
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		if (total == 0) {
			buf[n] = 0;
			buf[strcspn(buf, "\n")] = 0;
			printf("first_line=%s\n", buf);
		}
		total += n;
	}
	printf("read=%s\nbytes=%zd\n", n < 0 ? errname(errno) : "ok", total);
	close(fd);
	return 0;
}

static int cmd_ls(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d) {
		printf("ls=%s\n", errname(errno));
		return 0;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	printf("ls=ok\nentries=%d\n", n);
	return 0;
}

static int cmd_sched(void)
{
	struct sched_param sp;
	int pol = sched_getscheduler(0);

	sched_getparam(0, &sp);
	errno = 0;
	printf("policy=%d\npriority=%d\nnice=%d\n", pol, sp.sched_priority, getpriority(PRIO_PROCESS, 0));
	return 0;
}

/* Tries to overwrite whatever /proc/self/exe names (CVE-2019-5736's
 * write side), reporting the errno. */
static int cmd_write_exe(const char *pid, const char *text)
{
	char p[64];
	int fd;

	snprintf(p, sizeof(p), "/proc/%s/exe", pid);
	fd = open(p, O_WRONLY);
	if (fd < 0) {
		printf("write_exe=%s\n", errname(errno));
		return 0;
	}
	printf("write_exe=%s\n", write(fd, text, strlen(text)) < 0 ? errname(errno) : "ok");
	close(fd);
	return 0;
}

static int cmd_notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (path == NULL || strlen(path) >= sizeof(sa.sun_path)) {
		printf("notify=no-socket\n");
		return 1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("notify=%s\n", errname(errno));
		return 1;
	}
	close(fd);
	printf("notify=ok\n");
	return 0;
}

/* CVE-2019-5736 the way the exploit does it: for SECONDS, grab an O_PATH
 * fd on /proc/PID/exe of every other process that appears, and keep trying
 * to reopen each grabbed binary for writing through /proc/self/fd (which
 * works once the process has exited and ETXTBSY no longer applies, if the
 * binary is a writable host file).  Prints each grabbed exe once
 * (grabbed=TARGET) and write_exe=ok if any write went through. */
static int cmd_grab_exe(int seconds)
{
	int fds[256], nfd = 0, wrote = 0;
	pid_t pids[256];
	time_t end = time(NULL) + seconds;

	while (time(NULL) < end) {
		DIR *d = opendir("/proc");
		struct dirent *e;

		while (d && (e = readdir(d)) != NULL && nfd < 256) {
			pid_t pid = (pid_t)atoi(e->d_name);
			char p[64], target[256];
			ssize_t n;
			int i, seen = 0;

			if (pid <= 0 || pid == getpid())
				continue;
			for (i = 0; i < nfd; i++)
				seen |= pids[i] == pid;
			if (seen)
				continue;
			snprintf(p, sizeof(p), "/proc/%d/exe", pid);
			n = readlink(p, target, sizeof(target) - 1);
			if (n < 0)
				continue;
			target[n] = '\0';
			fds[nfd] = open(p, O_PATH | O_CLOEXEC);
			if (fds[nfd] < 0)
				continue;
			pids[nfd++] = pid;
			printf("grabbed=%s\n", target);
		}
		if (d)
			closedir(d);
		for (int i = 0; i < nfd; i++) {
			char p[64];
			int w;

			snprintf(p, sizeof(p), "/proc/self/fd/%d", fds[i]);
			w = open(p, O_WRONLY | O_CLOEXEC);
			if (w >= 0) {
				if (write(w, "#!/bin/sh\n", 10) == 10)
					wrote = 1;
				close(w);
			}
		}
		usleep(1000);
	}
	printf("write_exe=%s\n", wrote ? "ok" : "denied");
	return 0;
}

/* --- netns (issue 9): a tiny TCP/UDP echo of the client's address --- */
#include <arpa/inet.h>
#include <stdbool.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* "peer=<address>" for each client (v4 clients without the ::ffff: prefix). */
static void net_peer(const struct sockaddr_in6 *sa, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	/* vmnet: an IPv4-only server's peers are sockaddr_in. */
	if (sa->sin6_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, a, sizeof(a));
	else
		inet_ntop(AF_INET6, &sa->sin6_addr, a, sizeof(a));
	snprintf(buf, size, "peer=%s\n", strncmp(a, "::ffff:", 7) == 0 && strchr(a, '.') ? a + 7 : a);
}

/* net-serve tcp|udp PORT [COUNT]: answers COUNT clients (0: forever). */
static int cmd_net_serve(const char *proto, int port, int count)
{
	bool udp = strcmp(proto, "udp") == 0;
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	int fd = socket(AF_INET6, udp ? SOCK_DGRAM : SOCK_STREAM, 0), one = 1, zero = 0;
	char msg[128], buf[256];
	/* vmnet: a kernel without IPv6 (Hull's microVM guest) serves IPv4. */
	struct sockaddr_in sa4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	bool v4 = fd < 0 && errno == EAFNOSUPPORT;

	if (v4)
		fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (fd < 0 || bind(fd, v4 ? (struct sockaddr *)&sa4 : (struct sockaddr *)&sa,
			   v4 ? sizeof(sa4) : sizeof(sa)) < 0 || (!udp && listen(fd, 64) < 0)) {
		printf("serve=%s\n", errname(errno));
		return 1;
	}
	printf("serving=%s/%d\n", proto, port);
	for (int n = 0; count == 0 || n < count; n++) {
		struct sockaddr_in6 peer;
		socklen_t len = sizeof(peer);

		if (udp) {
			if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len) < 0)
				return 1;
			net_peer(&peer, msg, sizeof(msg));
			sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&peer, len);
		} else {
			int c = accept(fd, (struct sockaddr *)&peer, &len);

			if (c < 0)
				return 1;
			net_peer(&peer, msg, sizeof(msg));
			if (write(c, msg, strlen(msg)) < 0)
				perror("write");
			close(c);
		}
	}
	return 0;
}

/* net-ask tcp|udp HOST PORT: prints the server's answer (5 s timeout). */
static int cmd_net_ask(const char *proto, const char *host, int port)
{
	bool udp = strcmp(proto, "udp") == 0, v6 = strchr(host, ':') != NULL;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(v6 ? AF_INET6 : AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	char buf[256];
	ssize_t n;

	if ((v6 ? inet_pton(AF_INET6, host, &s6.sin6_addr) : inet_pton(AF_INET, host, &s4.sin_addr)) != 1) {
		printf("ask=bad-address\n");
		return 2;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, v6 ? (struct sockaddr *)&s6 : (struct sockaddr *)&s4,
		    v6 ? sizeof(s6) : sizeof(s4)) < 0 || (udp && send(fd, "hi", 2, 0) < 0)) {
		printf("ask=%s\n", errname(errno));
		return 1;
	}
	if ((n = read(fd, buf, sizeof(buf) - 1)) <= 0) {
		printf("ask=%s\n", n < 0 ? errname(errno) : "eof");
		return 1;
	}
	buf[n] = '\0';
	fputs(buf, stdout);
	return 0;
}
/* --- end netns --- */

/* --- vmnet: TCP throughput (bench/vm-net.sh), IPv4 only --- */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* net-sink PORT: takes one TCP connection on 0.0.0.0:PORT, reads to EOF,
 * prints "mbit=N bytes=N" (megabits per second over the transfer). */
static int cmd_net_sink(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, c;
	static char buf[1 << 16];
	unsigned long long total = 0;
	double t0;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		printf("sink=%s\n", errname(errno));
		return 1;
	}
	printf("serving=tcp/%d\n", port);
	fflush(stdout);
	if ((c = accept(fd, NULL, NULL)) < 0)
		return 1;
	t0 = now_s();
	while ((n = read(c, buf, sizeof(buf))) > 0)
		total += (unsigned long long)n;
	printf("mbit=%.0f bytes=%llu\n", total * 8 / 1e6 / (now_s() - t0), total);
	return 0;
}

/* net-blast HOST PORT MIB: connects and writes MIB mebibytes. */
static int cmd_net_blast(const char *host, int port, int mib)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	static char buf[1 << 16];

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("blast=%s\n", errname(errno));
		return 1;
	}
	for (long long left = (long long)mib << 20; left > 0;) {
		ssize_t n = write(fd, buf, left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf));

		if (n <= 0) {
			printf("blast=%s\n", errname(errno));
			return 1;
		}
		left -= n;
	}
	close(fd);
	printf("sent=%d\n", mib);
	return 0;
}
/* --- end vmnet --- */

/* vmjail: can the process reach x86 I/O ports directly? */
static int cmd_ioport(void)
{
	long r = syscall(SYS_iopl, 3);

	printf("iopl=%s\n", errname(r < 0 ? errno : 0));
	r = syscall(SYS_ioperm, 0x600UL, 4UL, 1);
	printf("ioperm=%s\n", errname(r < 0 ? errno : 0));
	return 0;
}
/* --- vsock (issue 12): a guest-side server and client for vm.bats --- */
#include <linux/vm_sockets.h>
#include <sys/socket.h>

static int cmd_vsock_echo(unsigned int port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port };
	int l = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 4) < 0) {
		printf("vsock_echo=%s\n", errname(errno));
		return 1;
	}
	printf("listening=%u\n", port);
	for (;;) {
		char buf[4096];
		ssize_t n;
		int c = accept(l, NULL, NULL);

		if (c < 0)
			continue;
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, (size_t)n) != n)
				break;
		close(c);
	}
}

static int cmd_vsock_send(unsigned int port, const char *msg)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = port };
	char buf[4096];
	ssize_t n;
	int s = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("vsock_send=%s\n", errname(errno));
		return 1;
	}
	if (write(s, msg, strlen(msg)) < 0 || shutdown(s, SHUT_WR) < 0) {
		printf("vsock_send=%s\n", errname(errno));
		return 1;
	}
	printf("reply=");
	while ((n = read(s, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	printf("\n");
	return 0;
}
/* --- end vsock --- */

/* --- vmfs: a file read through, timed (bench/vm-fs-bench.sh) --- */
static int cmd_read_rate(const char *path)
{
	static char buf[1 << 20];
	struct timespec t0, t1;
	long long total = 0, ns;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		printf("read_rate=%s\n", errname(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	printf("bytes=%lld ns=%lld\n", total, ns);
	return n < 0;
}
/* --- end vmfs --- */

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	const char *a = argc > 2 ? argv[2] : NULL;
	const char *b = argc > 3 ? argv[3] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(c, "ids")) return cmd_ids();
	if (!strcmp(c, "caps")) {
		status_field("CapInh"); status_field("CapPrm"); status_field("CapEff");
		status_field("CapBnd"); status_field("CapAmb");
		return 0;
	}
	if (!strcmp(c, "seccomp")) { status_field("Seccomp"); return 0; }
	if (!strcmp(c, "nnp")) { status_field("NoNewPrivs"); return 0; }
	if (!strcmp(c, "rlimits")) return cmd_rlimits();
	if (!strcmp(c, "ns")) return cmd_ns();
	if (!strcmp(c, "fds")) return cmd_fds();
	if (!strcmp(c, "cwd")) { char buf[4096]; printf("cwd=%s\n", getcwd(buf, sizeof(buf)) ? buf : "error"); return 0; }
	if (!strcmp(c, "env") && a) { const char *v = getenv(a); printf("%s=%s\n", a, v ? v : "(unset)"); return 0; }
	if (!strcmp(c, "hostname")) { struct utsname u; uname(&u); printf("hostname=%s\ndomainname=%s\n", u.nodename, u.domainname); return 0; }
	if (!strcmp(c, "umask")) { mode_t m = umask(0); printf("umask=%04o\n", m); return 0; }
	if (!strcmp(c, "oom")) { FILE *f = fopen("/proc/self/oom_score_adj", "r"); int v = 0; if (f) { if (fscanf(f, "%d", &v) != 1) v = 0; fclose(f); } printf("oom_score_adj=%d\n", v); return 0; }
	if (!strcmp(c, "personality")) { printf("personality=%#x\n", personality(0xffffffff)); return 0; }
	if (!strcmp(c, "mounts")) { FILE *f = fopen("/proc/self/mountinfo", "r"); char l[1024]; while (f && fgets(l, sizeof(l), f)) fputs(l, stdout); if (f) fclose(f); return 0; }
	if (!strcmp(c, "open") && a) return cmd_open(a, b);
	if (!strcmp(c, "stat") && a) { struct stat st; if (lstat(a, &st) < 0) { printf("stat=%s\n", errname(errno)); return 0; } printf("stat=ok\nmode=%o\nuid=%u\ngid=%u\nrdev=%u:%u\n", st.st_mode, st.st_uid, st.st_gid, major(st.st_rdev), minor(st.st_rdev)); return 0; }
	if (!strcmp(c, "write") && a && b) { int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644); if (fd < 0) { printf("write=%s\n", errname(errno)); return 0; } printf("write=%s\n", write(fd, b, strlen(b)) < 0 ? errname(errno) : "ok"); close(fd); return 0; }
	if (!strcmp(c, "notify") && a) return cmd_notify(a);
	if (!strcmp(c, "mkdir-mode") && a && b) { printf("mkdir=%s\n", errname(syscall(SYS_mkdir, a, (mode_t)strtoul(b, NULL, 8)) < 0 ? errno : 0)); return 0; }
	if (!strcmp(c, "mkdir") && a) { printf("mkdir=%s\n", errname(mkdir(a, 0755) < 0 ? errno : 0)); return 0; }
	if (!strcmp(c, "exit") && a) return atoi(a);
	if (!strcmp(c, "sleep") && a) { sleep((unsigned)atoi(a)); return 0; }
	if (!strcmp(c, "spin") && a) return cmd_spin(atoi(a));
	if (!strcmp(c, "mem") && a) return cmd_mem(atol(a), b && !strcmp(b, "hold"));
	if (!strcmp(c, "fork") && a) return cmd_fork(atoi(a));
	if (!strcmp(c, "kill-self") && a) { kill(getpid(), atoi(a)); pause(); return 0; }
	if (!strcmp(c, "syscall") && a) return cmd_syscall(a);
	if (!strcmp(c, "exe")) return cmd_exe();
	if (!strcmp(c, "mountinfo") && a) return cmd_mountinfo(a);
	if (!strcmp(c, "read") && a) return cmd_read(a);
	if (!strcmp(c, "ls") && a) return cmd_ls(a);
	if (!strcmp(c, "sched")) return cmd_sched();
	if (!strcmp(c, "ioprio")) { long v = syscall(SYS_ioprio_get, 1, 0); printf("ioprio_class=%ld\nioprio_level=%ld\n", v < 0 ? -1 : v >> 13, v < 0 ? -1 : v & 0x1fff); return 0; }
	if (!strcmp(c, "write-exe") && a && b) return cmd_write_exe(a, b);
	if (!strcmp(c, "grab-exe") && a) return cmd_grab_exe(atoi(a));
	/* compat (issue 8): the NUMA memory policy, mode with its flags. */
	if (!strcmp(c, "mempolicy")) { int mode = -1; unsigned long nodes[16] = { 0 }; long r = syscall(SYS_get_mempolicy, &mode, nodes, 1025, NULL, 0); printf("mempolicy=%s\nmode=%d\nnodes=%#lx\n", r < 0 ? errname(errno) : "ok", mode, nodes[0]); return 0; }
	/* netns (issue 9) */
	if (!strcmp(c, "net-serve") && a && b) return cmd_net_serve(a, atoi(b), argc > 4 ? atoi(argv[4]) : 0);
	if (!strcmp(c, "net-ask") && a && b && argc > 4) return cmd_net_ask(a, b, atoi(argv[4]));
	/* --- vmnet --- */
	if (!strcmp(c, "net-sink") && a) return cmd_net_sink(atoi(a));
	if (!strcmp(c, "net-blast") && a && b && argc > 4) return cmd_net_blast(a, atoi(b), atoi(argv[4]));
	/* --- end vmnet --- */
	if (!strcmp(c, "ioport")) return cmd_ioport();
	if (!strcmp(c, "winsize")) { struct winsize ws; if (ioctl(0, TIOCGWINSZ, &ws) < 0) { printf("winsize=%s\n", errname(errno)); return 0; } printf("winsize=%ux%u\n", ws.ws_row, ws.ws_col); return 0; }
	/* vsock (issue 12) */
	if (!strcmp(c, "vsock-echo") && a) return cmd_vsock_echo((unsigned int)atoi(a));
	if (!strcmp(c, "vsock-send") && a && b) return cmd_vsock_send((unsigned int)atoi(a), b);
	/* vmfs (issue 12) */
	if (!strcmp(c, "read-rate") && a) return cmd_read_rate(a);
	fprintf(stderr, "checker: unknown command \"%s\"\n", c);
	return 2;
}
