/* Seccomp: the filter is compiled to BPF in the parent (work before fork);
 * the container child only installs the finished program. */
#ifndef HULL_SECCOMP_H
#define HULL_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>

#include "base/error.h"
#include "oci/spec.h"

struct seccomp_prog {
	struct sock_fprog fprog;
	unsigned int flags;         /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
	bool notify;                /* install returns a listener fd */
};

int seccomp_compile(const struct spec_seccomp *s, struct seccomp_prog **out,
		    struct hull_error *err);
/* Installs the program in the calling process; *listener gets the notify
 * fd when p->notify (else -1). */
int seccomp_install(const struct seccomp_prog *p, int *listener,
		    struct hull_error *err);
void seccomp_prog_free(struct seccomp_prog *p);
/* Reads /proc/self/status "Seccomp:" of pid (for tests / state). */

#endif
