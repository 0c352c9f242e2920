/* CVE-2019-5736.  A container process can reach the runtime's binary
 * through /proc/<pid>/exe while the runtime is inside the container's
 * namespaces (or by exec'ing "#!/proc/self/exe"), and could then rewrite
 * it on the host.  Defence: the verbs that enter containers re-execute
 * Hull from a sealed memfd copy of itself, so /proc/self/exe names an
 * anonymous, unwritable file. */
#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "runtime/lifecycle.h"

#define CLONED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

static bool already_cloned(void)
{
	autoclose int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int seals;

	if (fd < 0)
		return false;
	seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & CLONED_SEALS) == CLONED_SEALS;
}

int hull_ensure_cloned_binary(char **argv, struct hull_error *err)
{
	autoclose int src = -1;
	autoclose int mfd = -1;
	struct stat st;
	off_t off = 0;

	if (already_cloned())
		return 0;
	src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0 || fstat(src, &st) < 0)
		return hull_error_errno(err, "opening own binary");
	mfd = memfd_create("hull", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return hull_error_errno(err, "memfd_create");
	while (off < st.st_size) {
		ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return hull_error_errno(err, "copying own binary");
	}
	if (fcntl(mfd, F_ADD_SEALS, CLONED_SEALS) < 0)
		return hull_error_errno(err, "sealing binary copy");
	/* execveat with AT_EMPTY_PATH runs the memfd itself; the copy goes
	 * away when the process exits. */
	syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
	return hull_error_errno(err, "re-executing from sealed copy");
}
