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

#include "vmm/vmm.h"

#ifndef HULL_TEST_GUEST
#error "HULL_TEST_GUEST must name the flat guest binary"
#endif

#define EXPECTED_GUEST_ERRORS 6

static int failures;

static void expect(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failures++;
}

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
	expect(st.guest_errors == EXPECTED_GUEST_ERRORS, "each malformed request rejected once");
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
	/* The jail needs root (namespaces, mounts, setuid). */
	if (geteuid() == 0) {
		run_once(true, true, 1);
		run_once(false, true, 1);
		run_once(true, true, 2);
	} else {
		printf("# skip: jailed runs need root\n");
	}
	if (failures)
		printf("# %d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
