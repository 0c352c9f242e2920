/* HOME for a process whose environment lacks it: the home directory of
 * process.user.uid in the container's own /etc/passwd, or "/" (what runc
 * and crun do; Go's and crun's lookups read the file, not NSS).
 *
 * Runs in the container child after pivot_root (or after joining the
 * container's mount namespace for exec), before the uid switch and before
 * any seccomp filter: the file is the container's, so it is untrusted input
 * read with a size cap, and only a regular file is read (a FIFO planted at
 * /etc/passwd must not block the runtime). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "runtime/launch.h"

#define PASSWD_MAX (4 << 20)

/* The home field of the first line whose uid field is `uid`, copied to
 * out; 0 if found, -1 if not.  Lines are name:pw:uid:gid:gecos:home:shell. */
int process_passwd_home(const char *data, size_t len, uid_t uid, char *out, size_t size)
{
	const char *line = data, *end = data + len;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		const char *f[7];
		size_t nf = 0;

		f[nf++] = line;
		for (const char *c = line; c < le && nf < 7; c++)
			if (*c == ':')
				f[nf++] = c + 1;
		if (nf == 7 && line[0] != '#') {
			char num[16];
			size_t ulen = (size_t)(f[3] - f[2] - 1);
			const char *hend = f[6] - 1;
			size_t hlen = (size_t)(hend - f[5]);
			char *stop;
			unsigned long v;

			if (ulen > 0 && ulen < sizeof(num)) {
				memcpy(num, f[2], ulen);
				num[ulen] = '\0';
				errno = 0;
				v = strtoul(num, &stop, 10);
				if (errno == 0 && *stop == '\0' && v == uid && hlen > 0 && hlen < size) {
					memcpy(out, f[5], hlen);
					out[hlen] = '\0';
					return 0;
				}
			}
		}
		line = le + 1;
	}
	return -1;
}

static bool env_has(char **env, const char *key)
{
	size_t n = strlen(key);

	for (char **e = env; e && *e; e++)
		if (strncmp(*e, key, n) == 0 && (*e)[n] == '=')
			return true;
	return false;
}

static void read_home(uid_t uid, char *home, size_t size)
{
	autoclose int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	autofree char *buf = NULL;
	struct stat st;
	size_t len = 0;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > PASSWD_MAX)
		return;
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		return;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	process_passwd_home(buf, len, uid, home, size);
}

int process_env_add_home(char ***env, uid_t uid, struct hull_error *err)
{
	char home[4096] = "/";
	char *entry, **nv;
	size_t n = 0;

	if (env_has(*env, "HOME"))
		return 0;
	read_home(uid, home, sizeof(home));
	if (asprintf(&entry, "HOME=%s", home) < 0)
		return hull_error_errno(err, "setting HOME");
	for (char **e = *env; e && *e; e++)
		n++;
	nv = realloc(*env, (n + 2) * sizeof(char *));
	if (nv == NULL) {
		free(entry);
		return hull_error_errno(err, "setting HOME");
	}
	nv[n] = entry;
	nv[n + 1] = NULL;
	*env = nv;
	return 0;
}
