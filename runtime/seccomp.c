#include "runtime/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

static void release_ctx(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* Conditions on the same argument index are ORed by the spec (runc adds one
 * rule per condition then); distinct indexes are ANDed in one rule. */
static bool args_repeat_index(const struct spec_seccomp_rule *r)
{
	for (size_t i = 0; i < r->n_args; i++)
		for (size_t j = i + 1; j < r->n_args; j++)
			if (r->args[i].index == r->args[j].index)
				return true;
	return false;
}

static struct scmp_arg_cmp to_cmp(const struct spec_seccomp_arg *a)
{
	struct scmp_arg_cmp c = {
		.arg = a->index, .op = (enum scmp_compare)a->op,
		.datum_a = a->value, .datum_b = a->value_two,
	};
	return c;
}

static int add_rule(scmp_filter_ctx ctx, const struct spec_seccomp_rule *r,
		    int nr, const char *name, size_t idx, struct hull_error *err)
{
	struct scmp_arg_cmp cmps[6];
	int rc;

	if (r->n_args == 0) {
		rc = seccomp_rule_add(ctx, r->action, nr, 0);
	} else if (!args_repeat_index(r)) {
		if (r->n_args > 6)
			return hull_error_set(err, EINVAL,
					      "linux.seccomp.syscalls[%zu].args: more than 6 conditions", idx);
		for (size_t i = 0; i < r->n_args; i++)
			cmps[i] = to_cmp(&r->args[i]);
		rc = seccomp_rule_add_array(ctx, r->action, nr, (unsigned int)r->n_args, cmps);
	} else {
		rc = 0;
		for (size_t i = 0; i < r->n_args && rc == 0; i++) {
			cmps[0] = to_cmp(&r->args[i]);
			rc = seccomp_rule_add_array(ctx, r->action, nr, 1, cmps);
		}
	}
	if (rc < 0) {
		errno = -rc;
		return hull_error_errno(err, "linux.seccomp.syscalls[%zu]: adding rule for \"%s\"",
					idx, name);
	}
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *out,
		      struct hull_error *err)
{
	autoclose int fd = memfd_create("hull-seccomp", MFD_CLOEXEC);
	off_t size;
	void *buf;
	int rc;

	if (fd < 0)
		return hull_error_errno(err, "memfd_create");
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0) {
		errno = -rc;
		return hull_error_errno(err, "seccomp_export_bpf");
	}
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0)
		return hull_error_set(err, EINVAL, "seccomp: exported program has bad size %lld",
				      (long long)size);
	buf = malloc((size_t)size);
	if (buf == NULL)
		return hull_error_errno(err, "malloc");
	if (pread(fd, buf, (size_t)size, 0) != size) {
		free(buf);
		return hull_error_errno(err, "reading seccomp program");
	}
	out->filter = buf;
	out->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	return 0;
}

int seccomp_compile(const struct spec_seccomp *s, struct seccomp_prog **out,
		    struct hull_error *err)
{
	__attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = NULL;
	struct seccomp_prog *p;
	int rc;

	ctx = seccomp_init(s->default_action);
	if (ctx == NULL)
		return hull_error_set(err, EINVAL, "linux.seccomp.defaultAction: libseccomp rejected it");
	/* The container gets no_new_privs only if the spec asks; the filter
	 * must not set it behind the user's back. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	for (size_t i = 0; i < s->n_architectures; i++) {
		rc = seccomp_arch_add(ctx, s->architectures[i]);
		if (rc < 0 && rc != -EEXIST) {
			errno = -rc;
			return hull_error_errno(err, "linux.seccomp.architectures[%zu]", i);
		}
	}
	for (size_t i = 0; i < s->n_rules; i++) {
		const struct spec_seccomp_rule *r = &s->rules[i];

		/* libseccomp refuses a rule whose action is the default one;
		 * such a rule changes nothing, so skip it. */
		if (r->action == s->default_action)
			continue;
		for (size_t j = 0; j < r->n_names; j++) {
			int nr = seccomp_syscall_resolve_name(r->names[j]);

			/* Profiles list syscalls newer than this libseccomp or
			 * absent on this arch; runc and crun skip them too. */
			if (nr == __NR_SCMP_ERROR)
				continue;
			if (add_rule(ctx, r, nr, r->names[j], i, err) < 0)
				return -1;
		}
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return hull_error_errno(err, "calloc");
	if (export_bpf(ctx, &p->fprog, err) < 0) {
		free(p);
		return -1;
	}
	p->flags = s->flags;
	p->notify = s->uses_notify;
	if (p->notify)
		p->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	*out = p;
	return 0;
}

int seccomp_install(const struct seccomp_prog *p, int *listener,
		    struct hull_error *err)
{
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &p->fprog);

	if (rc < 0)
		return hull_error_errno(err, "installing seccomp filter");
	if (listener)
		*listener = p->notify ? (int)rc : -1;
	return 0;
}

void seccomp_prog_free(struct seccomp_prog *p)
{
	if (p == NULL)
		return;
	free(p->fprog.filter);
	free(p);
}
