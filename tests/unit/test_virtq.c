/* Unit tests of the split virtqueue and guest-memory translation against a
 * plain buffer standing in for guest RAM: no KVM needed.  Every rule the
 * device enforces on guest-controlled ring contents gets a case here. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAM_SIZE 0x10000ull
#include "tests/unit/fake_ring.h"

static int failures, checks;

#define CHECK(cond, what) do { \
	checks++; \
	if (cond) printf("ok - %s\n", what); \
	else { printf("not ok - %s (line %d)\n", what, __LINE__); failures++; } \
} while (0)

static int pop(int *code)
{
	struct hull_error err = { 0 };
	int r = virtq_pop(&q, &mem, &chain, &err);

	*code = err.code;
	return r;
}

static void test_mem_ptr(void)
{
	CHECK(vmm_mem_ptr(&mem, RAM_GPA, RAM_SIZE) == ram, "mem: whole region");
	CHECK(vmm_mem_ptr(&mem, RAM_GPA + RAM_SIZE - 1, 1) != NULL, "mem: last byte");
	CHECK(vmm_mem_ptr(&mem, RAM_GPA + RAM_SIZE - 1, 2) == NULL, "mem: straddles the end");
	CHECK(vmm_mem_ptr(&mem, RAM_GPA - 1, 2) == NULL, "mem: straddles the start");
	CHECK(vmm_mem_ptr(&mem, RAM_GPA + RAM_SIZE, 1) == NULL, "mem: just past the end");
	CHECK(vmm_mem_ptr(&mem, RAM_GPA, RAM_SIZE + 1) == NULL, "mem: one byte too long");
	CHECK(vmm_mem_ptr(&mem, UINT64_MAX - 4, 16) == NULL, "mem: gpa + len wraps 2^64");
	CHECK(vmm_mem_ptr(&mem, RAM_GPA + 8, UINT64_MAX) == NULL, "mem: huge length");
	CHECK(vmm_mem_ptr(&mem, 0, 1) == NULL, "mem: address 0 outside");
}

static void test_validate(void)
{
	struct hull_error err = { 0 };

	reset_ring(false);
	CHECK(virtq_validate(&q, &mem, 256, &err) == 0, "validate: good queue");
	q.size = 0;
	hull_error_clear(&err);
	CHECK(virtq_validate(&q, &mem, 256, &err) < 0, "validate: size 0 refused");
	q.size = 6;
	hull_error_clear(&err);
	CHECK(virtq_validate(&q, &mem, 256, &err) < 0, "validate: size not a power of two refused");
	q.size = 512;
	hull_error_clear(&err);
	CHECK(virtq_validate(&q, &mem, 256, &err) < 0, "validate: size above max refused");
	q.size = QSZ;
	q.desc_gpa = DESC + 8;
	hull_error_clear(&err);
	CHECK(virtq_validate(&q, &mem, 256, &err) < 0, "validate: misaligned descriptor table refused");
	q.desc_gpa = RAM_GPA + RAM_SIZE - 64;
	hull_error_clear(&err);
	CHECK(virtq_validate(&q, &mem, 256, &err) < 0, "validate: table running off guest memory refused");
	q.desc_gpa = DESC;
	q.used_gpa = 0xfffffffffffff000ull;
	hull_error_clear(&err);
	CHECK(virtq_validate(&q, &mem, 256, &err) < 0, "validate: used ring at a wrapping address refused");
}

static void test_good_chains(void)
{
	struct hull_error err = { 0 };
	uint8_t out[12];
	uint32_t used[2];
	uint16_t used_idx;
	int code;

	reset_ring(false);
	CHECK(pop(&code) == 0, "pop: empty queue gives nothing");

	memcpy(at(BUF), "headerdata", 10);
	set_desc_in(DESC, 0, BUF, 6, VIRTQ_DESC_F_NEXT, 3);
	set_desc_in(DESC, 3, BUF + 6, 4, VIRTQ_DESC_F_NEXT, 5);
	set_desc_in(DESC, 5, BUF + 0x100, 32, VIRTQ_DESC_F_WRITE, 0);
	publish(0);
	CHECK(pop(&code) == 1 && chain.head == 0 && chain.nseg == 3, "pop: three-descriptor chain");
	CHECK(chain.readable == 10 && chain.writable == 32, "pop: readable/writable totals");
	CHECK(virtq_chain_read(&chain, 4, out, 6) == 6 && memcmp(out, "erdata", 6) == 0,
	      "chain_read gathers across segments from an offset");
	CHECK(virtq_chain_read(&chain, 8, out, 12) == 2, "chain_read stops at the readable end");
	CHECK(virtq_chain_write(&chain, 30, "xyz", 3) == 2 && memcmp(at(BUF + 0x11e), "xy", 2) == 0,
	      "chain_write stops at the writable end");
	CHECK(virtq_push(&q, &mem, chain.head, 17, &err) == 0, "push succeeds");
	memcpy(used, at(USED + 4), 8);
	memcpy(&used_idx, at(USED + 2), 2);
	CHECK(used[0] == 0 && used[1] == 17 && used_idx == 1, "push: used element and idx");
	CHECK(pop(&code) == 0, "pop: queue empty again");

	/* Longest legal chain: every descriptor once. */
	reset_ring(false);
	for (unsigned i = 0; i < QSZ; i++)
		set_desc_in(DESC, i, BUF + 16 * i, 16, i + 1 < QSZ ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	publish(0);
	CHECK(pop(&code) == 1 && chain.nseg == QSZ, "pop: chain of exactly queue-size descriptors");

	/* Indirect table. */
	reset_ring(true);
	set_desc_in(TABLE, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc_in(TABLE, 1, BUF + 16, 512, VIRTQ_DESC_F_WRITE, 0);
	set_desc_in(DESC, 2, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
	publish(2);
	CHECK(pop(&code) == 1 && chain.head == 2 && chain.nseg == 2 && chain.writable == 512,
	      "pop: indirect table");

	/* avail idx wrap-around at 65535 -> 0. */
	reset_ring(false);
	q.last_avail = 0xffff;
	{
		uint16_t idx = 0xffff;

		memcpy(at(AVAIL + 2), &idx, 2);
	}
	set_desc_in(DESC, 1, BUF, 8, 0, 0);
	publish(1);
	CHECK(pop(&code) == 1 && chain.head == 1 && q.last_avail == 0, "pop: avail idx wraps at 2^16");
}

static void expect_reject(const char *what, int want_code)
{
	int code, r = pop(&code);
	char msg[160];

	snprintf(msg, sizeof(msg), "reject: %s", what);
	CHECK(r == -1 && (want_code == 0 || code == want_code), msg);
}

static void test_malformed(void)
{
	reset_ring(false);
	set_desc_in(DESC, 0, 0x7fff00000000ull, 512, 0, 0);
	publish(0);
	expect_reject("buffer beyond guest memory", EFAULT);

	reset_ring(false);
	set_desc_in(DESC, 0, UINT64_MAX - 8, 64, 0, 0);
	publish(0);
	expect_reject("buffer whose end wraps 2^64", EFAULT);

	reset_ring(false);
	set_desc_in(DESC, 0, RAM_GPA + RAM_SIZE - 8, 64, 0, 0);
	publish(0);
	expect_reject("buffer running off the end of memory", EFAULT);

	reset_ring(false);
	set_desc_in(DESC, 0, BUF, 0, 0, 0);
	publish(0);
	expect_reject("zero-length descriptor", EINVAL);

	reset_ring(false);
	set_desc_in(DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc_in(DESC, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
	publish(0);
	expect_reject("two-descriptor loop", ELOOP);

	reset_ring(false);
	set_desc_in(DESC, 4, BUF, 8, VIRTQ_DESC_F_NEXT, 4);
	publish(4);
	expect_reject("descriptor pointing at itself", ELOOP);

	reset_ring(false);
	set_desc_in(DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT, QSZ);
	publish(0);
	expect_reject("next index out of range", EINVAL);

	reset_ring(false);
	publish(QSZ + 3);
	expect_reject("head index out of range", EINVAL);

	reset_ring(false);
	{
		uint16_t idx = QSZ + 1;

		memcpy(at(AVAIL + 2), &idx, 2);
	}
	expect_reject("avail idx more than queue size ahead", EINVAL);

	reset_ring(false);
	set_desc_in(DESC, 0, BUF, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc_in(DESC, 1, BUF, 8, 0, 0);
	publish(0);
	expect_reject("readable descriptor after a writable one", EINVAL);

	reset_ring(false);
	set_desc_in(TABLE, 0, BUF, 8, 0, 0);
	set_desc_in(DESC, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	publish(0);
	expect_reject("indirect descriptor not negotiated", EINVAL);

	reset_ring(true);
	set_desc_in(TABLE, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc_in(TABLE, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
	set_desc_in(DESC, 0, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
	publish(0);
	expect_reject("loop inside an indirect table", ELOOP);

	reset_ring(true);
	set_desc_in(TABLE, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 2);
	set_desc_in(DESC, 0, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
	publish(0);
	expect_reject("indirect next index past the table", EINVAL);

	reset_ring(true);
	set_desc_in(TABLE, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc_in(DESC, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	publish(0);
	expect_reject("nested indirect table", EINVAL);

	reset_ring(true);
	set_desc_in(DESC, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	publish(0);
	expect_reject("indirect descriptor with NEXT", EINVAL);

	reset_ring(true);
	set_desc_in(DESC, 0, TABLE, 20, VIRTQ_DESC_F_INDIRECT, 0);
	publish(0);
	expect_reject("indirect table length not a multiple of 16", EINVAL);

	reset_ring(true);
	set_desc_in(DESC, 0, TABLE, 16 * (QSZ + 1), VIRTQ_DESC_F_INDIRECT, 0);
	publish(0);
	expect_reject("indirect table longer than the queue", E2BIG);

	reset_ring(true);
	set_desc_in(DESC, 0, RAM_GPA + RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	publish(0);
	expect_reject("indirect table outside guest memory", EFAULT);

	reset_ring(false);
	q.ready = false;
	expect_reject("pop from a queue that is not ready", EINVAL);
}

int main(void)
{
	struct hull_error err = { 0 };

	if (vmm_mem_add_buffer(&mem, RAM_GPA, ram, RAM_SIZE, &err) < 0) {
		printf("not ok - setup: %s\n", err.msg);
		return 1;
	}
	test_mem_ptr();
	test_validate();
	test_good_chains();
	test_malformed();
	printf("# %d/%d virtqueue checks passed\n", checks - failures, checks);
	return failures ? 1 : 0;
}
