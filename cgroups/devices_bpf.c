/* cgroup v2 device control: the rules become a BPF_PROG_TYPE_CGROUP_DEVICE
 * program, loaded and attached with raw bpf(2) (no libbpf).
 *
 * The kernel calls the program with a struct bpf_cgroup_dev_ctx:
 *   u32 access_type  = (access << 16) | type   (type: 1 block, 2 char;
 *                                              access: 1 mknod, 2 read, 4 write)
 *   u32 major, minor
 * and allows the access when it returns 1.
 *
 * Later rules override earlier ones (OCI semantics), so the rules are
 * emitted last-first and the first match decides.  An allow rule matches
 * when the requested access is a subset of the rule's; a deny rule when
 * the request touches any denied bit (so "deny w" stops an "rw" open).
 * No rule matching means deny. */
#include "cgroups/cgroup_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV_REG(dst, src)    INSN(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm)    INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND_IMM(dst, imm)    INSN(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(dst, imm)    INSN(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, o) INSN(BPF_JMP | BPF_JNE | BPF_K, dst, 0, o, imm)
#define JSET_IMM(dst, imm, o) INSN(BPF_JMP | BPF_JSET | BPF_K, dst, 0, o, imm)
#define JEQ_IMM(dst, imm, o) INSN(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, o, imm)
#define EXIT_INSN()          INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers after the prologue: r2 type, r3 access, r4 major, r5 minor. */
static uint32_t access_bits(const char *access)
{
	uint32_t b = 0;

	if (strchr(access, 'm'))
		b |= BPF_DEVCG_ACC_MKNOD;
	if (strchr(access, 'r'))
		b |= BPF_DEVCG_ACC_READ;
	if (strchr(access, 'w'))
		b |= BPF_DEVCG_ACC_WRITE;
	return b;
}

/* Emits one rule's block into v (NULL: count only); returns its length.
 * Each test jumps past the block's end on mismatch, hence the offsets
 * computed from the remaining length. */
static size_t emit_rule(const struct spec_device_rule *d, struct bpf_insn *v)
{
	struct bpf_insn b[16];
	size_t n = 0, len;
	uint32_t acc = access_bits(d->access);
	size_t type_at = SIZE_MAX, acc_at = SIZE_MAX, maj_at = SIZE_MAX, min_at = SIZE_MAX;

	if (d->type != 'a') {
		type_at = n;
		b[n++] = JNE_IMM(2, d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
	}
	if (acc != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)) {
		acc_at = n;
		if (d->allow) {
			/* request & ~rule != 0 -> not a subset -> skip */
			b[n++] = MOV_REG(1, 3);
			b[n++] = AND_IMM(1, (int32_t)~acc);
			b[n++] = JNE_IMM(1, 0, 0);
		} else {
			/* request & rule == 0 -> touches nothing denied -> skip */
			b[n++] = MOV_REG(1, 3);
			b[n++] = AND_IMM(1, (int32_t)acc);
			b[n++] = JEQ_IMM(1, 0, 0);
		}
		acc_at = n - 1;
	}
	if (d->type != 'a' && d->major >= 0) {
		maj_at = n;
		b[n++] = JNE_IMM(4, (int32_t)d->major, 0);
	}
	if (d->type != 'a' && d->minor >= 0) {
		min_at = n;
		b[n++] = JNE_IMM(5, (int32_t)d->minor, 0);
	}
	b[n++] = MOV_IMM(0, d->allow ? 1 : 0);
	b[n++] = EXIT_INSN();
	len = n;
	/* A jump at index i skipping to the block end: off = len - i - 1. */
	if (type_at != SIZE_MAX)
		b[type_at].off = (int16_t)(len - type_at - 1);
	if (acc_at != SIZE_MAX)
		b[acc_at].off = (int16_t)(len - acc_at - 1);
	if (maj_at != SIZE_MAX)
		b[maj_at].off = (int16_t)(len - maj_at - 1);
	if (min_at != SIZE_MAX)
		b[min_at].off = (int16_t)(len - min_at - 1);
	if (v)
		memcpy(v, b, len * sizeof(*b));
	return len;
}

int cgroup_bpf_build(const struct spec_device_rule *rules, size_t n,
		     struct bpf_insn **insns, size_t *count, struct hull_error *err)
{
	static const struct bpf_insn prologue[] = {
		LDX_W(2, 1, 0),         /* r2 = ctx->access_type */
		AND_IMM(2, 0xffff),     /* r2 = type */
		LDX_W(3, 1, 0),
		RSH_IMM(3, 16),         /* r3 = access */
		LDX_W(4, 1, 4),         /* r4 = major */
		LDX_W(5, 1, 8),         /* r5 = minor */
	};
	size_t np = sizeof(prologue) / sizeof(prologue[0]);
	size_t total = np + 2, k = np;
	struct bpf_insn *v;
	size_t start = 0;
	bool catch_all = false;

	/* The last "a" rule with full access decides everything before it:
	 * skip the dead rules, and the default tail, which the verifier would
	 * reject as unreachable. */
	for (size_t i = n; i-- > 0;)
		if (rules[i].type == 'a' && strcmp(rules[i].access, "rwm") == 0) {
			start = i;
			catch_all = true;
			total -= 2;
			break;
		}
	for (size_t i = start; i < n; i++)
		total += emit_rule(&rules[i], NULL);
	if (total > BPF_MAXINSNS)
		return hull_error_set(err, E2BIG, "device rules: %zu BPF instructions (max %d)",
				      total, BPF_MAXINSNS);
	v = calloc(total, sizeof(*v));
	if (v == NULL)
		return hull_error_errno(err, "calloc");
	memcpy(v, prologue, sizeof(prologue));
	for (size_t i = n; i-- > start;)
		k += emit_rule(&rules[i], v + k);
	if (!catch_all) {
		v[k++] = MOV_IMM(0, 0);
		v[k++] = EXIT_INSN();
	}
	*insns = v;
	*count = k;
	return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int cgroup_bpf_load(const struct bpf_insn *insns, size_t count, struct hull_error *err)
{
	static char log[4096];
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)count;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	log[0] = '\0';
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0 && errno == ENOSPC) {
		/* The verifier log overflowed; the program may be fine. */
		attr.log_buf = 0;
		attr.log_size = 0;
		attr.log_level = 0;
		fd = sys_bpf(BPF_PROG_LOAD, &attr);
	}
	if (fd < 0)
		return hull_error_errno(err, "loading the device BPF program%s%.200s",
					log[0] ? ": " : "", log);
	return fd;
}

int cgroup_bpf_replace(int dir_fd, int prog_fd, struct hull_error *err)
{
	uint32_t ids[64];
	union bpf_attr attr;
	uint32_t n;

	/* What is attached now (from our create, or an earlier update made
	 * by another hull process: we cannot hold its fds, so ask the kernel). */
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)dir_fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = 64;
	if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
		return hull_error_errno(err, "querying device programs");
	n = attr.query.prog_cnt;

	/* Attach the new one first, so there is no window without rules;
	 * ALLOW_MULTI lets both coexist until the old ones go. */
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dir_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return hull_error_errno(err, "attaching the device BPF program");

	for (uint32_t i = 0; i < n && i < 64; i++) {
		autoclose int old = -1;

		memset(&attr, 0, sizeof(attr));
		attr.prog_id = ids[i];
		old = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
		if (old < 0) {
			if (errno == ENOENT)
				continue;
			return hull_error_errno(err, "getting device program %u", ids[i]);
		}
		memset(&attr, 0, sizeof(attr));
		attr.target_fd = (uint32_t)dir_fd;
		attr.attach_bpf_fd = (uint32_t)old;
		attr.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
			return hull_error_errno(err, "detaching device program %u", ids[i]);
	}
	return 0;
}
