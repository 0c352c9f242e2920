/* Files a container VM boots from, made on the host before the VM starts:
 * the agent's initramfs (agent as /init + its config) and the root disk. */
#ifndef HULL_VMM_GUEST_IMAGE_H
#define HULL_VMM_GUEST_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* Write a newc cpio archive to `out` holding `agent` as /init (mode 0755)
 * and `config` (config_len bytes) as /hull/config. */
int vmm_initramfs_write(const char *out, const char *agent, const char *config,
			size_t config_len, struct hull_error *err);
/* Same, plus the container's compiled seccomp program (struct
 * sock_filter[]) as /hull/seccomp; bpf NULL: none. */
int vmm_initramfs_write_seccomp(const char *out, const char *agent, const char *config,
				size_t config_len, const void *bpf, size_t bpf_len,
				struct hull_error *err);

/* Make an ext4 image of directory `rootfs` at `out` (mkfs.ext4 -d), sized
 * for the tree plus headroom. */
int vmm_rootfs_image(const char *rootfs, const char *out, struct hull_error *err);

/* The read-only root disk for directory `rootfs`, from the disk cache in
 * directory `cache` (made with vmm_rootfs_image on a miss): its path goes
 * to out.  Keyed by a SHA-256 of the tree's metadata, ctime included, so
 * any change to the tree makes a new disk (see disk_cache.c). */
#define VMM_DISK_CACHE "/var/cache/hull/disks"
int vmm_rootfs_cached(const char *rootfs, const char *cache, char *out, size_t n,
		      struct hull_error *err);

/* The agent binary: $HULL_VM_AGENT, /usr/local/lib/hull/hull-agent,
 * /usr/lib/hull/hull-agent, or build/vmm/guest/hull-agent next to a hull
 * binary running from the build tree. */
int vmm_find_agent(char *out, size_t n, struct hull_error *err);

/* Append `s` to buf percent-encoded for the agent config (space, newline,
 * percent and non-printables become %XX). */
int vmm_agent_escape(char *buf, size_t n, const char *s);

#endif
