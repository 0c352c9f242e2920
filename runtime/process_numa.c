/* linux.memoryPolicy applied: set_mempolicy(2) in the container child
 * before execve; the policy is inherited across execve and by the
 * process's children.  oci/spec_mempolicy.c validated mode, flags and node
 * list; whether the nodes exist here is the kernel's answer. */
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/launch.h"

int process_apply_memory_policy(const struct spec_linux *l, struct hull_error *err)
{
	bool any = false;

	if (!l->has_memory_policy)
		return 0;
	for (size_t i = 0; i < SPEC_MPOL_NODES / 64; i++)
		any |= l->mempolicy_nodes[i] != 0;
	/* maxnode is one more than the bits passed: the kernel's get_nodes()
	 * starts with --maxnode. */
	if (syscall(SYS_set_mempolicy, l->mempolicy_mode, any ? l->mempolicy_nodes : NULL,
		    any ? SPEC_MPOL_NODES + 1 : 0) < 0)
		return hull_error_errno(err, "linux.memoryPolicy: set_mempolicy%s",
					errno == EINVAL ? " (are the nodes online on this host?)" : "");
	return 0;
}
