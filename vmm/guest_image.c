/* Initramfs (newc cpio) and root-disk images for container VMs. */
#include "vmm/guest_image.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"

static int cpio_entry(FILE *f, const char *name, unsigned int mode, const void *data,
		      size_t len)
{
	static unsigned int ino = 1;
	size_t namelen = strlen(name) + 1;
	static const char zeros[4];

	/* newc header: 110 bytes of "070701" + 13 8-digit hex fields. */
	if (fprintf(f, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
		    ino++, mode, 0u, 0u, 1u, 0u, len, 0u, 0u, 0u, 0u, namelen, 0u) != 110 ||
	    fwrite(name, 1, namelen, f) != namelen ||
	    fwrite(zeros, 1, (4 - (110 + namelen) % 4) % 4, f) != (4 - (110 + namelen) % 4) % 4)
		return -1;
	if (len && fwrite(data, 1, len, f) != len)
		return -1;
	if (fwrite(zeros, 1, (4 - len % 4) % 4, f) != (4 - len % 4) % 4)
		return -1;
	return 0;
}

int vmm_initramfs_write(const char *out, const char *agent, const char *config,
			size_t config_len, struct hull_error *err)
{
	return vmm_initramfs_write_seccomp(out, agent, config, config_len, NULL, 0, err);
}

int vmm_initramfs_write_seccomp(const char *out, const char *agent, const char *config,
				size_t config_len, const void *bpf, size_t bpf_len,
				struct hull_error *err)
{
	autofree uint8_t *bin = NULL;
	autofclose FILE *f = NULL;
	autoclose int fd = open(agent, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t done = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		return hull_error_errno(err, "agent %s", agent);
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > (64 << 20))
		return hull_error_set(err, EINVAL, "agent %s: not a plausible binary", agent);
	bin = malloc((size_t)st.st_size);
	if (bin == NULL)
		return hull_error_errno(err, "malloc");
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, bin + done, (size_t)st.st_size - done);

		if (r <= 0)
			return hull_error_errno(err, "reading agent %s", agent);
		done += (size_t)r;
	}
	f = fopen(out, "wxe");
	if (f == NULL)
		return hull_error_errno(err, "create %s", out);
	if (cpio_entry(f, "hull", 040755, NULL, 0) < 0 ||
	    cpio_entry(f, "hull/config", 0100644, config, config_len) < 0 ||
	    (bpf && cpio_entry(f, "hull/seccomp", 0100644, bpf, bpf_len) < 0) ||
	    cpio_entry(f, "init", 0100755, bin, done) < 0 ||
	    cpio_entry(f, "TRAILER!!!", 0, NULL, 0) < 0 || fflush(f) != 0)
		return hull_error_errno(err, "writing %s", out);
	return 0;
}

static uint64_t tree_bytes;

static int count_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	/* Data rounded up to blocks plus an inode's worth per entry. */
	tree_bytes += ((uint64_t)st->st_size + 4095) / 4096 * 4096 + 512;
	return 0;
}

int vmm_rootfs_image(const char *rootfs, const char *out, struct hull_error *err)
{
	char size[32];
	pid_t pid;
	int st;

	tree_bytes = 0;
	if (nftw(rootfs, count_entry, 32, FTW_PHYS) < 0)
		return hull_error_errno(err, "walking %s", rootfs);
	/* Headroom for ext4 metadata and the journal, and room to write. */
	snprintf(size, sizeof(size), "%lluk",
		 (unsigned long long)((tree_bytes * 5 / 4) / 1024 + 64 * 1024));
	pid = fork();
	if (pid < 0)
		return hull_error_errno(err, "fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execlp("mkfs.ext4", "mkfs.ext4", "-q", "-F", "-E", "root_owner=0:0", "-d", rootfs,
		       out, size, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return hull_error_errno(err, "waitpid mkfs.ext4");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return hull_error_set(err, EIO, "mkfs.ext4 -d %s failed (status %d%s)", rootfs,
				      WIFEXITED(st) ? WEXITSTATUS(st) : -1,
				      WIFEXITED(st) && WEXITSTATUS(st) == 127 ? ": is e2fsprogs installed?" : "");
	return 0;
}

static bool is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int vmm_find_agent(char *out, size_t n, struct hull_error *err)
{
	static const char *const fixed[] = {
		"/usr/local/lib/hull/hull-agent", "/usr/lib/hull/hull-agent",
	};
	const char *env = getenv("HULL_VM_AGENT");

	if (env && *env) {
		if (!is_file(env) || strlen(env) >= n)
			return hull_error_set(err, ENOENT, "HULL_VM_AGENT=%s: not a file", env);
		strcpy(out, env);
		return 0;
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (is_file(fixed[i]) && strlen(fixed[i]) < n) {
			strcpy(out, fixed[i]);
			return 0;
		}
	/* A hull running from its build tree.  Not found through
	 * /proc/self/exe: create and run re-execute from a sealed memfd
	 * (runtime/cloned_binary.c), which has no directory. */
#ifdef HULL_BUILD_AGENT
	if (is_file(HULL_BUILD_AGENT) && strlen(HULL_BUILD_AGENT) < n) {
		strcpy(out, HULL_BUILD_AGENT);
		return 0;
	}
#endif
	return hull_error_set(err, ENOENT, "no guest agent: set HULL_VM_AGENT, install "
			      "/usr/lib/hull/hull-agent, or run `make vm-agent`");
}

int vmm_agent_escape(char *buf, size_t n, const char *s)
{
	size_t used = strlen(buf);

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int r;

		if (ch <= ' ' || ch == '%' || ch >= 0x7f)
			r = snprintf(buf + used, n - used, "%%%02X", ch);
		else
			r = snprintf(buf + used, n - used, "%c", ch);
		if (r < 0 || (size_t)r >= n - used)
			return -1;
		used += (size_t)r;
	}
	return 0;
}
