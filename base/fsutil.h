/* Small file-system helpers shared by the runtime. */
#ifndef HULL_FSUTIL_H
#define HULL_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

int fs_mkdir_p(const char *path, mode_t mode, struct hull_error *err);
/* Writes name in dirfd via a temp file + fsync-less rename (atomic for
 * readers; state is rebuilt from the live process if a crash loses it). */
int fs_write_atomic(int dirfd, const char *name, const char *data, size_t len,
		    mode_t mode, struct hull_error *err);
/* Writes a whole small file (sysctl, proc knobs, cgroup files). */
int fs_write_file(const char *path, const char *data, size_t len,
		  struct hull_error *err);
/* Reads a whole small file into a NUL-terminated heap buffer. */
int fs_read_file(const char *path, char **out, size_t *len,
		 struct hull_error *err);
/* The same from an open fd (path: for the error only). */
int fs_read_fd(int fd, const char *path, char **out, size_t *len,
	       struct hull_error *err);
/* rm -rf that does not cross mount points. */
int fs_remove_tree(const char *path, struct hull_error *err);
/* Writes the decimal pid to path atomically (pid files for engines). */
int fs_write_pid_file(const char *path, pid_t pid, struct hull_error *err);

#endif
