/* Device rules -> BPF_PROG_TYPE_CGROUP_DEVICE program: shape and size,
 * and (as root, where the kernel allows) a real load through the
 * verifier.  The program is also run here by a tiny interpreter for the
 * few opcodes it uses, to check the decisions themselves. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/cgroup_internal.h"

static int failures, n;

#define CHECK(cond, ...) do { \
	n++; \
	if (cond) { printf("ok %d - ", n); printf(__VA_ARGS__); printf("\n"); } \
	else { failures++; printf("not ok %d - ", n); printf(__VA_ARGS__); printf("  (%s:%d)\n", __FILE__, __LINE__); } \
} while (0)

/* Runs the program on one request; returns r0, or -1 on an opcode the
 * generator should never emit. */
static int run(const struct bpf_insn *p, size_t cnt, int type, int access,
	       uint32_t major, uint32_t minor)
{
	uint32_t ctx[3] = { (uint32_t)(access << 16) | (uint32_t)type, major, minor };
	uint64_t r[11] = { 0 };

	for (size_t pc = 0; pc < cnt; pc++) {
		const struct bpf_insn *i = &p[pc];

		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			r[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU64 | BPF_MOV | BPF_X: r[i->dst_reg] = r[i->src_reg]; break;
		case BPF_ALU64 | BPF_MOV | BPF_K: r[i->dst_reg] = (uint64_t)(int64_t)i->imm; break;
		case BPF_ALU64 | BPF_AND | BPF_K: r[i->dst_reg] &= (uint64_t)(int64_t)i->imm; break;
		case BPF_ALU64 | BPF_RSH | BPF_K: r[i->dst_reg] >>= i->imm; break;
		case BPF_JMP | BPF_JNE | BPF_K:
			if (r[i->dst_reg] != (uint64_t)(int64_t)i->imm)
				pc += (size_t)i->off;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			if (r[i->dst_reg] == (uint64_t)(int64_t)i->imm)
				pc += (size_t)i->off;
			break;
		case BPF_JMP | BPF_EXIT: return (int)r[0];
		default: return -1;
		}
	}
	return -1;
}

#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define M BPF_DEVCG_ACC_MKNOD
#define C BPF_DEVCG_DEV_CHAR
#define B BPF_DEVCG_DEV_BLOCK

int main(void)
{
	struct hull_error err = { 0 };
	struct bpf_insn *p = NULL;
	size_t cnt = 0;
	struct spec_device_rule rules[] = {
		{ false, 'a', -1, -1, "rwm" },
		{ true, 'c', 1, 3, "rwm" },
		{ true, 'c', 136, -1, "rw" },
		{ true, 'b', 8, 0, "r" },
		{ false, 'c', 1, 3, "w" },
	};

	CHECK(cgroup_bpf_build(rules, 5, &p, &cnt, &err) == 0, "builds (%s)", err.msg);
	/* prologue 6 + rules (c 1:3 deny w: 1+3+1+1+2=8, b 8:0 r: 8, c 136:* rw: 7,
	 * c 1:3 rwm: 5, deny-all: 2, which ends the program: no default tail) */
	CHECK(cnt == 6 + 8 + 8 + 7 + 5 + 2, "instruction count %zu", cnt);
	CHECK(p[0].code == (BPF_LDX | BPF_MEM | BPF_W) && p[cnt - 1].code == (BPF_JMP | BPF_EXIT),
	      "starts with a context load, ends with exit");
	CHECK(run(p, cnt, C, R, 1, 3) == 1, "read /dev/null allowed");
	CHECK(run(p, cnt, C, R | W, 1, 3) == 0, "write /dev/null denied by a later rule");
	CHECK(run(p, cnt, C, R | W, 136, 4) == 1, "pty rw allowed (wildcard minor)");
	CHECK(run(p, cnt, C, M, 136, 4) == 0, "pty mknod not in rule access");
	CHECK(run(p, cnt, B, R, 8, 0) == 1, "sda read allowed");
	CHECK(run(p, cnt, B, W, 8, 0) == 0, "sda write denied");
	CHECK(run(p, cnt, C, R, 1, 5) == 0, "/dev/zero denied (not listed)");
	free(p);

	{
		struct spec_device_rule all[] = { { true, 'a', -1, -1, "rwm" } };

		CHECK(cgroup_bpf_build(all, 1, &p, &cnt, &err) == 0 && run(p, cnt, B, W, 8, 0) == 1,
		      "allow-all program allows (%zu insns)", cnt);
		free(p);
	}
	{
		struct cgroup_manager m = { 0 };
		struct spec_device_rule *eff = NULL;
		size_t ne = 0;

		CHECK(cgroup_device_rules(&m, NULL, &eff, &ne, &err) == 0 && ne > 5 &&
		      !eff[0].allow && eff[0].type == 'a', "effective rules start with deny-all");
		CHECK(cgroup_bpf_build(eff, ne, &p, &cnt, &err) == 0 &&
		      run(p, cnt, C, R | W, 1, 3) == 1 && run(p, cnt, C, R, 1, 9) == 1 &&
		      run(p, cnt, B, R, 8, 0) == 0 && run(p, cnt, B, M, 8, 0) == 1,
		      "defaults: null/urandom usable, disks not, mknod allowed");
		if (geteuid() != 0) {
			printf("ok %d - # SKIP real load: needs root\n", ++n);
		} else {
			int fd = cgroup_bpf_load(p, cnt, &err);

			if (fd < 0 && (err.code == EPERM || err.code == ENOSYS))
				printf("ok %d - # SKIP real load: kernel refuses (%s)\n", ++n, err.msg);
			else
				CHECK(fd >= 0, "verifier accepts the program (%s)", err.msg);
			if (fd >= 0)
				close(fd);
		}
		free(p);
		free(eff);
	}
	printf("1..%d\n", n);
	return failures ? 1 : 0;
}
