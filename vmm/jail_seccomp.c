/* The monitor's seccomp allow-lists, one per thread kind, default action
 * SECCOMP_RET_KILL_PROCESS (a thread-only kill would leave a VM that
 * hangs instead of one that ends).  Other ABIs (i386, x32) are killed
 * too: libseccomp's bad-architecture action is the default action.
 *
 * What the threads do once the guest runs:
 *   vCPU:  KVM_RUN and the exits it handles: MMIO/PIO into device models
 *          (a queue set up by the guest adds an ioeventfd/irqfd: eventfd2,
 *          KVM_IOEVENTFD/KVM_IRQFD, epoll_ctl), blk requests without
 *          ioeventfd (pread/pwrite/fsync), interrupts (KVM_IRQ_LINE), the
 *          stop kick (tgkill), glibc's malloc.
 *          virtio-fs hands its rings to virtiofsd (sendmsg/recvmsg).
 *   I/O:   the epoll loop: doorbells, console and signal fds, the same
 *          device work, then the teardown (join, munmap, close, stats).
 * Neither may open a path, create a socket other than a unix stream (vsock
 * guest -> host), exec, fork, ptrace, mount or map executable memory.  "setup" is the union plus thread creation and
 * seccomp(2) itself, for the main thread while it starts the vCPUs. */
#include "vmm/jail.h"

#include <errno.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"

static const char *const common_calls[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"preadv2", "pwritev2", "fsync", "fdatasync", "lseek", "close", "fcntl", "fstat",
	"newfstatat", "eventfd2", "epoll_ctl", "futex", "munmap", "madvise", "brk",
	"mremap", "rt_sigreturn", "rt_sigprocmask", "restart_syscall", "clock_gettime",
	"clock_nanosleep", "nanosleep", "sched_yield", "getpid", "gettid", "tgkill", "exit",
	"exit_group", "getrandom",
	/* virtio-vsock's host side: accepting clients on the listening fd
	 * made before the jail, and the streams' data and half-closes;
	 * guest -> host connects (allow_vsock_connect). */
	"accept4", "sendto", "recvfrom", "shutdown", "connect",
	/* virtio-fs: vhost-user messages to virtiofsd on the socket connected
	 * before the jail, eventfds and guest-RAM memfds in SCM_RIGHTS
	 * (vmm/vhost_user.c); the vCPU that sets DRIVER_OK sends them. */
	"sendmsg", "recvmsg",
};
static const char *const io_calls[] = {
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "mincore", "getrusage",
};
static const char *const setup_calls[] = {
	"clone", "clone3", "set_robust_list", "rseq", "seccomp", "sigaltstack",
	"rt_sigaction", "sched_getaffinity",
};

/* ioctl request numbers, by thread kind.  The top 32 bits are ignored:
 * the kernel takes the request as an unsigned int. */
static const unsigned long vcpu_ioctls[] = { KVM_RUN };
static const unsigned long device_ioctls[] = {
	KVM_IOEVENTFD, KVM_IRQFD, KVM_IRQ_LINE, KVM_IRQ_LINE_STATUS, TIOCGWINSZ,
	TUNSETOFFLOAD,  /* virtio-net: the offloads the guest accepted */
};

enum kind { KIND_SETUP, KIND_VCPU, KIND_IO };

static void cleanup_seccomp(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

static int allow_names(scmp_filter_ctx ctx, const char *const *names, size_t n,
		       struct hull_error *err)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		int rc;

		if (nr == __NR_SCMP_ERROR)
			continue;       /* not on this architecture / libseccomp */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0)
			return hull_error_set(err, -rc, "seccomp rule for %s: %s", names[i],
					      strerror(-rc));
	}
	return 0;
}

static int allow_ioctls(scmp_filter_ctx ctx, const unsigned long *req, size_t n,
			struct hull_error *err)
{
	for (size_t i = 0; i < n; i++) {
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					  SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, req[i]));

		if (rc < 0)
			return hull_error_set(err, -rc, "seccomp rule for ioctl %#lx: %s", req[i],
					      strerror(-rc));
	}
	return 0;
}

/* mmap and mprotect, but never PROT_EXEC: the monitor runs no new code. */
static int allow_memory(scmp_filter_ctx ctx, struct hull_error *err)
{
	int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));

	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (rc < 0)
		return hull_error_set(err, -rc, "seccomp rule for mmap: %s", strerror(-rc));
	return 0;
}

/* --- virtio-vsock, guest -> host --- */
/* socket(2) for exactly what vsock_host_connect makes: a non-blocking
 * unix stream socket.  No other family or type, so connect(2) can only
 * reach a unix socket, and the jail's root holds none but the vsock
 * directory (jail.c; Landlock scopes abstract ones where it can). */
static int allow_vsock_connect(scmp_filter_ctx ctx, struct hull_error *err)
{
	int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
				  SCMP_A0(SCMP_CMP_EQ, AF_UNIX),
				  SCMP_A1(SCMP_CMP_EQ, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK));

	if (rc < 0)
		return hull_error_set(err, -rc, "seccomp rule for socket: %s", strerror(-rc));
	return 0;
}
/* --- end virtio-vsock --- */

/* The program as BPF, through a memfd (libseccomp 2.5 exports to fds). */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *out, struct hull_error *err)
{
	autoclose int fd = memfd_create("hull-vm-seccomp", MFD_CLOEXEC);
	off_t size;
	int rc;

	if (fd < 0)
		return hull_error_errno(err, "memfd_create");
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		return hull_error_set(err, -rc, "seccomp_export_bpf: %s", strerror(-rc));
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter) || size > 65536)
		return hull_error_set(err, EINVAL, "seccomp program of %lld bytes", (long long)size);
	out->filter = malloc((size_t)size);
	if (out->filter == NULL)
		return hull_error_errno(err, "malloc");
	out->len = (unsigned short)(size / sizeof(struct sock_filter));
	if (pread(fd, out->filter, (size_t)size, 0) != size) {
		free(out->filter);
		out->filter = NULL;
		return hull_error_errno(err, "reading the seccomp program back");
	}
	return 0;
}

static int build_one(enum kind k, struct sock_fprog *out, struct hull_error *err)
{
	__attribute__((cleanup(cleanup_seccomp))) scmp_filter_ctx ctx =
		seccomp_init(SCMP_ACT_KILL_PROCESS);

	if (ctx == NULL)
		return hull_error_set(err, ENOMEM, "seccomp_init");
	/* We set no_new_privs ourselves, before the first install. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (allow_names(ctx, common_calls, sizeof(common_calls) / sizeof(common_calls[0]), err) < 0 ||
	    allow_memory(ctx, err) < 0 || allow_vsock_connect(ctx, err) < 0 ||
	    allow_ioctls(ctx, device_ioctls, sizeof(device_ioctls) / sizeof(device_ioctls[0]), err) < 0)
		return -1;
	if (k != KIND_IO &&
	    allow_ioctls(ctx, vcpu_ioctls, sizeof(vcpu_ioctls) / sizeof(vcpu_ioctls[0]), err) < 0)
		return -1;
	if (k != KIND_VCPU &&
	    allow_names(ctx, io_calls, sizeof(io_calls) / sizeof(io_calls[0]), err) < 0)
		return -1;
	if (k == KIND_SETUP &&
	    allow_names(ctx, setup_calls, sizeof(setup_calls) / sizeof(setup_calls[0]), err) < 0)
		return -1;
	return export_bpf(ctx, out, err);
}

int vmm_jail_filters_build(struct vmm_jail_filters *f, struct hull_error *err)
{
	memset(f, 0, sizeof(*f));
	if (build_one(KIND_SETUP, &f->setup, err) < 0 || build_one(KIND_VCPU, &f->vcpu, err) < 0 ||
	    build_one(KIND_IO, &f->io, err) < 0) {
		vmm_jail_filters_free(f);
		return hull_error_prefix(err, "jail: seccomp");
	}
	return 0;
}

void vmm_jail_filters_free(struct vmm_jail_filters *f)
{
	free(f->setup.filter);
	free(f->vcpu.filter);
	free(f->io.filter);
	memset(f, 0, sizeof(*f));
}

int vmm_jail_install(const struct sock_fprog *prog, struct hull_error *err)
{
	/* Thread-scoped (no TSYNC): each thread kind installs its own. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
		return hull_error_errno(err, "jail: installing the seccomp filter");
	return 0;
}

void vmm_jail_forbidden_syscall(void)
{
	/* A monitor that opens an inet socket has been taken over: on no
	 * list (only non-blocking unix streams are, for vsock). */
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd >= 0)
		close(fd);
}
