/* Unpacking one layer (a tar stream, optionally gzip or zstd compressed)
 * into its own directory, safely, in overlayfs format.
 *
 * Safety: every entry is created relative to the layer root: parents are
 * opened with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) and the
 * leaf with *at() calls on that fd, so no name, symlink or hardlink can
 * reach outside.  Deliberate choices, each an error or a counted skip:
 *   - absolute names and names with a ".." component: error;
 *   - an entry for the root itself ("." or "./") that is not a directory
 *     (umoci CVE-2021-29136): error; a directory entry sets the root's mode;
 *   - hardlinks whose target is absolute, has "..", is a directory, or is
 *     not in this layer: error;
 *   - character and block devices: skipped and counted (the runtime makes
 *     /dev; a device node from an image is a way around the device cgroup);
 *     fifos are created; sockets skipped;
 *   - setuid/setgid/sticky bits are kept as in the image (the store is 0700,
 *     so no host user can reach them), applied after chown, which clears them;
 *   - owners are applied when running as root, else left as the caller;
 *   - xattrs: user.*, security.capability and POSIX ACLs are applied;
 *     trusted.* (which would forge overlayfs whiteouts, opaque dirs and
 *     redirects) and security.selinux (labels are the runtime's job) are
 *     skipped and counted;
 *   - OCI whiteouts: ".wh.NAME" becomes a 0:0 character device NAME and
 *     ".wh..wh..opq" sets trusted.overlay.opaque=y on its directory;
 *   - decompressed size is bounded (a gzip bomb stops with an error) and a
 *     truncated stream is an error;
 *   - the uncompressed stream's SHA-256 is computed while it streams, and
 *     must equal diff_id. */
#ifndef HULL_IMAGES_UNPACK_H
#define HULL_IMAGES_UNPACK_H

#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

struct unpack_stats {
	uint64_t entries;
	uint64_t bytes_in;         /* compressed bytes read */
	uint64_t bytes_out;        /* uncompressed tar bytes */
	unsigned skipped_devices;
	unsigned skipped_xattrs;
};

struct unpack_opts {
	const char *diff_id;       /* expected "sha256:..." of the tar, or NULL */
	uint64_t max_bytes;        /* 0: 256 x compressed size + 100 MiB */
	uint64_t compressed_size;  /* for the default bound */
};

/* Reads the layer from fd (compression detected from its bytes) into the
 * directory rootfd.  On error the directory holds a partial tree: callers
 * unpack into a temporary directory and rename it on success. */
int layer_unpack(int fd, int rootfd, const struct unpack_opts *o,
		 struct unpack_stats *st, struct hull_error *err);

/* The same from any byte source (a download in progress): read returns
 * up to len bytes, 0 at the end, -1 to fail.  Several may run at once, in
 * threads, once layer_unpack_init (libarchive, the umask) has run in the
 * process's single-threaded part. */
typedef ssize_t (*layer_read_fn)(void *data, void *buf, size_t len);
int layer_unpack_init(struct hull_error *err);
int layer_unpack_stream(layer_read_fn read, void *rdata, int rootfd, const struct unpack_opts *o,
			struct unpack_stats *st, struct hull_error *err);

/* The name checks alone (for unit tests and the fuzzer): splits a tar
 * entry name into components; returns the count (0 for the root itself)
 * or -1 with an error for absolute names, "..", or too long ones. */
int unpack_split_name(const char *name, char comps[][256], int max,
		      struct hull_error *err);

/* Decompresses a layer blob (gzip, zstd or plain) from in_fd to out_fd;
 * *len gets the uncompressed size.  For `hull save` to docker-archive. */
int layer_decompress(int in_fd, int out_fd, uint64_t *len, struct hull_error *err);

#endif
