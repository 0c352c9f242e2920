/* The network of a VM container: the guest becomes the container's
 * interface (netns/vmtap.h), and the container's /etc/resolv.conf, hosts
 * and hostname (the bind mounts Hull's --net or an engine adds) reach the
 * guest as files in the agent's config. */
#ifndef HULL_BACKEND_VM_NET_H
#define HULL_BACKEND_VM_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/state.h"
#include "vmm/vmm.h"

/* A mount VM mode honours by copying the file into the guest. */
bool vm_net_etc_mount(const struct spec_mount *m);

/* "etcfile DEST CONTENT" lines for the agent config (buf holds max). */
int vm_net_agent_files(const struct spec *s, char *buf, size_t max, struct hull_error *err);

/* In the monitor, already in the container's network namespace, after
 * `start` let it go and before the jail: the tap, its redirects, and
 * cfg->net_*; the guest's addresses are appended to cmdline.  No network
 * namespace of its own, or one with no interface: no NIC, not an error.
 * state_dir gets a note naming the interface when the namespace outlives
 * the container (a path in linux.namespaces), for vm_net_cleanup. */
int vm_net_open(const struct spec *s, const char *state_dir, struct vmm_config *cfg,
		char *cmdline, size_t n, struct hull_error *err);

/* delete / failed create: the redirect off an interface whose namespace
 * outlives the container (the tap went with the monitor). */
void vm_net_cleanup(const char *state_dir);

#endif
