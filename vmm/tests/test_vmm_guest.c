/* Runs the flat test guest (vmm/tests/guest.c) under the real monitor on
 * /dev/kvm, twice: with ioeventfd doorbells and with the MMIO-exit
 * fallback.  Works on PVM hosts too (no Linux involved).  Checks the
 * guest's verdict, the disk contents, the console output, and that every
 * malformed request was counted as a rejected guest error. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/virtio_vsock.h"
#include "vmm/vmm.h"

#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#ifndef HULL_TEST_GUEST
#error "HULL_TEST_GUEST must name the flat guest binary"
#endif

/* blk: 6 malformed chains; vsock: a truncated header and a len beyond
 * its buffer. */
#define EXPECTED_GUEST_ERRORS 8

static int failures;

static void expect(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failures++;
}

/* --- virtio-vsock host side (the guest half is test_vsock in guest.c) --- */
struct vsock_peer {
	char uds[108];
	int l5000;              /* listening on <uds>_5000 */
	const char *failed;     /* the first step that went wrong, or NULL */
	bool done;
};

/* Read exactly n bytes with a bound on the wait (a broken device must
 * fail the test, not hang it). */
static bool read_n(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 30000) <= 0)
			return false;
		r = read(fd, buf + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

static void *vsock_peer_main(void *arg)
{
	struct vsock_peer *p = arg;
	struct pollfd pf = { .fd = p->l5000, .events = POLLIN };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[64];
	unsigned int port = 0;
	int fd;

	/* guest -> host: accept on <uds>_5000, "ping" in, "pong" out, EOF. */
	p->failed = "accept on <uds>_5000";
	if (poll(&pf, 1, 60000) <= 0 || (fd = accept(p->l5000, NULL, NULL)) < 0)
		return NULL;
	p->failed = "read ping";
	if (!read_n(fd, buf, 4) || memcmp(buf, "ping", 4) != 0)
		return NULL;
	p->failed = "write pong";
	if (write(fd, "pong", 4) != 4)
		return NULL;
	p->failed = "EOF after the guest's SHUTDOWN";
	if (read_n(fd, buf, 1))
		return NULL;
	close(fd);

	/* host -> guest: the Firecracker handshake, then "hello"/"world". */
	p->failed = "connect to the vsock socket";
	memcpy(sa.sun_path, p->uds, sizeof(p->uds));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return NULL;
	p->failed = "CONNECT 1234 answered by OK <port>";
	if (write(fd, "CONNECT 1234\n", 13) != 13)
		return NULL;
	memset(buf, 0, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf) - 1; i++)
		if (!read_n(fd, buf + i, 1) || buf[i] == '\n')
			break;
	if (sscanf(buf, "OK %u\n", &port) != 1 || port < (1u << 30))
		return NULL;
	p->failed = "hello out, world in";
	if (write(fd, "hello", 5) != 5 || !read_n(fd, buf, 5) || memcmp(buf, "world", 5) != 0)
		return NULL;
	close(fd);
	p->failed = NULL;
	p->done = true;
	return NULL;
}

/* jailed: the monitor connects to <uds>_5000 as the jail's uid, from a
 * root that shows the directory at /vsock; it may search the directory
 * and connect to the listener, as a user of a jailed Hull must allow. */
static int vsock_peer_start(struct vsock_peer *p, pthread_t *t, int *listen_fd, bool jailed)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct hull_error err = { 0 };
	char dir[] = "/tmp/hull-vsock.XXXXXX";

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(p->uds, sizeof(p->uds), "%s/v.sock", dir);
	*listen_fd = vsock_host_listen(p->uds, &err);
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_5000", p->uds) >= (int)sizeof(sa.sun_path))
		return -1;
	p->l5000 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*listen_fd < 0 || p->l5000 < 0 || bind(p->l5000, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(p->l5000, 4) < 0 ||
	    (jailed && (chmod(dir, 0711) < 0 || chmod(sa.sun_path, 0777) < 0))) {
		printf("# vsock test setup: %s\n", err.set ? err.msg : strerror(errno));
		return -1;
	}
	return pthread_create(t, NULL, vsock_peer_main, p) == 0 ? 0 : -1;
}

static void vsock_peer_finish(struct vsock_peer *p, pthread_t t, int listen_fd)
{
	char path[160];

	pthread_join(t, NULL);
	if (p->failed)
		printf("# vsock host side failed at: %s\n", p->failed);
	expect(p->done, "vsock: host side saw ping/EOF and completed CONNECT/OK/hello/world");
	close(listen_fd);
	close(p->l5000);
	unlink(p->uds);
	snprintf(path, sizeof(path), "%s_5000", p->uds);
	unlink(path);
	*strrchr(p->uds, '/') = '\0';
	rmdir(p->uds);
}
/* --- end virtio-vsock --- */

/* What a jailed run sends back to the test: the jail is for good, so it
 * runs in a child. */
struct jailed_result {
	int r, status;
	struct vmm_stats st;
	struct hull_error err;
};

static int run_vmm(const struct vmm_config *cfg, int *status, struct vmm_stats *st,
		   struct hull_error *err, int *wstatus)
{
	struct jailed_result res;
	int p[2];
	pid_t pid;

	*wstatus = 0;
	if (!cfg->jail.enabled)
		return vmm_run(cfg, status, st, err);
	if (pipe(p) < 0 || (pid = fork()) < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		memset(&res, 0, sizeof(res));
		res.r = vmm_run(cfg, &res.status, &res.st, &res.err);
		if (write(p[1], &res, sizeof(res)) != sizeof(res))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	memset(&res, 0, sizeof(res));
	res.r = -1;
	if (read(p[0], &res, sizeof(res)) != sizeof(res))
		snprintf(res.err.msg, sizeof(res.err.msg), "jailed monitor sent no result");
	close(p[0]);
	waitpid(pid, wstatus, 0);
	*status = res.status;
	*st = res.st;
	*err = res.err;
	return res.r;
}

static void run_once(bool ioeventfd, bool tolerate, int jail)
{
	char jail_dir[] = "/tmp/hull-vmm-jail.XXXXXX";
	int wstatus;
	char disk[] = "/tmp/hull-vmm-disk.XXXXXX";
	char out[] = "/tmp/hull-vmm-out.XXXXXX";
	struct vmm_config cfg;
	struct vmm_stats st;
	struct hull_error err = { 0 };
	int in_pipe[2], disk_fd, out_fd, status = -2, r;
	char buf[4096] = { 0 };
	unsigned char sector[512];
	int pattern_ok = 1;
	struct vsock_peer peer = { .l5000 = -1 };
	pthread_t peer_thread;
	int vsock_fd = -1;

	disk_fd = mkstemp(disk);
	out_fd = mkstemp(out);
	if (disk_fd < 0 || out_fd < 0 || ftruncate(disk_fd, 1 << 20) < 0 || pipe(in_pipe) < 0) {
		perror("test setup");
		exit(1);
	}
	if (write(in_pipe[1], "ping\n", 5) != 5)
		exit(1);

	vmm_config_init(&cfg);
	cfg.kernel = HULL_TEST_GUEST;
	cfg.boot = VMM_BOOT_FLAT;
	cfg.flat_addr = 0x100000;
	cfg.mem_mib = 64;
	cfg.disks[0] = (struct vmm_disk){ .path = disk, .read_only = false };
	cfg.ndisks = 1;
	cfg.console_in = in_pipe[0];
	cfg.console_out = out_fd;
	cfg.debug_fd = STDOUT_FILENO;
	cfg.tolerate_guest_errors = tolerate;
	cfg.no_ioeventfd = !ioeventfd;
	if (jail) {
		if (mkdtemp(jail_dir) == NULL) {
			perror("mkdtemp");
			exit(1);
		}
		cfg.jail = (struct vmm_jail){ .enabled = true, .mount_point = jail_dir,
					      .uid = 0x48000000u + (unsigned int)getpid(),
					      .gid = 0x48000000u + (unsigned int)getpid(),
					      .forbidden_syscall_selftest = jail > 1 };
	}
	/* The vsock part runs only when guest errors are tolerated (otherwise
	 * the VM stops at the first malformed blk chain, before it), and not
	 * in the selftest (the monitor dies before the guest runs).  Jailed,
	 * the guest -> host connection goes through the jail's /vsock. */
	if (tolerate && jail < 2) {
		if (vsock_peer_start(&peer, &peer_thread, &vsock_fd, jail == 1) < 0)
			exit(1);
		cfg.vsock_listen_fd = vsock_fd;
		cfg.vsock_uds = peer.uds;
	}

	printf("# run with %s%s%s\n", ioeventfd ? "ioeventfd doorbells" : "MMIO-exit doorbells",
	       tolerate ? "" : ", guest errors fatal",
	       jail > 1 ? ", jailed, forbidden-syscall selftest" : jail ? ", jailed" : "");
	fflush(stdout);
	r = run_vmm(&cfg, &status, &st, &err, &wstatus);
	if (jail)
		rmdir(jail_dir);
	if (jail > 1) {
		expect(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGSYS,
		       "jail: a forbidden system call kills the monitor (SIGSYS)");
		goto out;
	}
	if (!tolerate) {
		/* Default policy: the first malformed request stops the VM with
		 * an error that names the device; the good requests before it
		 * were served. */
		printf("# vmm_run: %s\n", err.msg);
		expect(r < 0 && strstr(err.msg, "guest error in virtio-blk") != NULL,
		       "a malformed request stops the VM with an error naming the device");
		expect(st.guest_errors == 1, "the VM stopped at the first malformed request");
		goto out;
	}
	if (r < 0)
		printf("# vmm_run: %s\n", err.msg);
	expect(r == 0, "vmm_run returns 0");
	expect(status == 0, "guest reports all checks passed (status 0)");
	/* Without the vsock device (jailed runs) its two malformed packets
	 * are not sent. */
	expect(st.guest_errors == EXPECTED_GUEST_ERRORS - (vsock_fd >= 0 ? 0 : 2),
	       "each malformed request rejected once");
	printf("# exits %llu (pio %llu, mmio %llu), guest errors %llu, %.1f ms\n",
	       (unsigned long long)st.exits, (unsigned long long)st.pio_exits,
	       (unsigned long long)st.mmio_exits, (unsigned long long)st.guest_errors,
	       st.run_ns / 1e6);

	if (pread(out_fd, buf, sizeof(buf) - 1, 0) < 0)
		buf[0] = '\0';
	expect(strstr(buf, "hello from the hull test guest\n") != NULL, "console output reached the host");
	if (pread(disk_fd, sector, sizeof(sector), 512) != sizeof(sector))
		pattern_ok = 0;
	for (unsigned i = 0; i < 512 && pattern_ok; i++)
		if (sector[i] != (unsigned char)(i * 7 + 3))
			pattern_ok = 0;
	expect(pattern_ok, "guest's write landed in disk sector 1");
out:
	if (vsock_fd >= 0)
		vsock_peer_finish(&peer, peer_thread, vsock_fd);
	close(in_pipe[0]);
	close(in_pipe[1]);
	close(disk_fd);
	close(out_fd);
	unlink(disk);
	unlink(out);
}

int main(void)
{
	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		printf("# skip: /dev/kvm not usable (%s)\n", strerror(errno));
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	run_once(true, true, 0);
	run_once(false, true, 0);
	run_once(true, false, 0);
	/* The jail needs root (namespaces, mounts, setuid).  Under ASan the
	 * sanitizer's own runtime makes system calls (its allocator's mmaps,
	 * /proc/self/maps at exit) that the monitor's allow-list rightly
	 * kills, so the jailed runs belong to the plain build only. */
#if defined(__SANITIZE_ADDRESS__)
	const char *no_jail = "jailed runs under ASan (the sanitizer's syscalls are outside the allow-list)";
#else
	const char *no_jail = geteuid() == 0 ? NULL : "jailed runs need root";
#endif
	if (no_jail == NULL) {
		run_once(true, true, 1);
		run_once(false, true, 1);
		run_once(true, true, 2);
	} else {
		printf("# skip: %s\n", no_jail);
	}
	if (failures)
		printf("# %d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
