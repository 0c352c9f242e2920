/* Unit tests of the vhost-user front-end messages (vmm/vhost_user.c) against
 * a fake back-end on the other end of a socketpair, in the same process:
 * what goes on the wire (header, payload, fds) and which replies are
 * refused.  Also: shared guest memory really is shared through its memfd. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/memory.h"
#include "vmm/vhost_user.h"

static int failures, checks;

#define CHECK(cond, what) do { \
	checks++; \
	if (cond) printf("ok - %s\n", what); \
	else { printf("not ok - %s (line %d)\n", what, __LINE__); failures++; } \
} while (0)

static int fe, be;      /* front-end (tested code) and fake back-end ends */

/* The back-end reads one message; fds received go to fds[] (count *nfds). */
static ssize_t be_read(struct vhost_user_msg *m, int *fds, int *nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(be, &mh, MSG_DONTWAIT);

	*nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n > 0 && c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_type == SCM_RIGHTS) {
			*nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)*nfds);
		}
	return n;
}

static void be_reply(uint32_t req, uint32_t flags, const void *p, uint32_t n)
{
	struct vhost_user_msg m = { .request = req, .flags = flags, .size = n };

	memcpy(m.payload, p, n);
	if (write(be, &m, VHOST_USER_HDR_SIZE + n) < 0)
		perror("write");
}

static void test_simple_requests(void)
{
	struct hull_error err = { 0 };
	struct vhost_user_msg m;
	int fds[8], nfds;
	uint64_t v;

	CHECK(vhost_user_set_u64(fe, VHOST_USER_SET_OWNER, 0, &err) == 0, "SET_OWNER sent");
	CHECK(be_read(&m, fds, &nfds) == VHOST_USER_HDR_SIZE && m.request == 3 && m.flags == 1 &&
	      m.size == 0 && nfds == 0, "SET_OWNER: bare header, version 1, no payload");

	v = 0x140000000ull;
	be_reply(VHOST_USER_GET_FEATURES, 5, &v, 8);    /* queued before the request */
	v = 0;
	CHECK(vhost_user_get_u64(fe, VHOST_USER_GET_FEATURES, &v, &err) == 0 &&
	      v == 0x140000000ull, "GET_FEATURES: reply read");
	CHECK(be_read(&m, fds, &nfds) == VHOST_USER_HDR_SIZE && m.request == 1 && m.size == 0,
	      "GET_FEATURES: request without payload");

	CHECK(vhost_user_set_u64(fe, VHOST_USER_SET_FEATURES, 0x100000000ull, &err) == 0 &&
	      be_read(&m, fds, &nfds) == VHOST_USER_HDR_SIZE + 8 && m.size == 8 &&
	      memcmp(m.payload, &(uint64_t){ 0x100000000ull }, 8) == 0,
	      "SET_FEATURES: the u64 as payload");

	CHECK(vhost_user_set_state(fe, VHOST_USER_SET_VRING_NUM, 1, 128, &err) == 0 &&
	      be_read(&m, fds, &nfds) == VHOST_USER_HDR_SIZE + 8 && m.request == 8 &&
	      memcmp(m.payload, (uint32_t[]){ 1, 128 }, 8) == 0, "SET_VRING_NUM: index, num");

	CHECK(vhost_user_set_addr(fe, 1, 0x1000, 0x3000, 0x2000, &err) == 0 &&
	      be_read(&m, fds, &nfds) == VHOST_USER_HDR_SIZE + 40 && m.request == 9 &&
	      memcmp(m.payload + 8, (uint64_t[]){ 0x1000, 0x3000, 0x2000, 0 }, 32) == 0,
	      "SET_VRING_ADDR: desc, used, avail, no log");
}

static void test_fd_requests(void)
{
	struct hull_error err = { 0 };
	struct vhost_user_msg m;
	int fds[8], nfds, efd = eventfd(0, EFD_CLOEXEC);
	uint64_t one = 1, got = 0;

	CHECK(vhost_user_set_vring_fd(fe, VHOST_USER_SET_VRING_KICK, 1, efd, &err) == 0,
	      "SET_VRING_KICK sent");
	CHECK(be_read(&m, fds, &nfds) == VHOST_USER_HDR_SIZE + 8 && m.request == 12 &&
	      memcmp(m.payload, &(uint64_t){ 1 }, 8) == 0 && nfds == 1,
	      "SET_VRING_KICK: ring index, one fd, no-fd bit clear");
	if (nfds == 1) {
		CHECK(write(fds[0], &one, 8) == 8 && read(efd, &got, 8) == 8 && got == 1,
		      "SET_VRING_KICK: the fd received is the same eventfd");
		close(fds[0]);
	}
	close(efd);
}

static void test_mem_table(void)
{
	struct hull_error err = { 0 };
	struct vmm_mem mem = { .shared = true }, priv = { 0 };
	struct vhost_user_msg m;
	int fds[8], nfds;
	uint64_t reg[4];
	uint32_t len;
	uint8_t *other;

	if (vmm_mem_add(&mem, 0x100000, 2 << 20, false, &err) < 0) {
		printf("not ok - shared memory: %s\n", err.msg);
		failures++;
		return;
	}
	CHECK(mem.regions[0].fd >= 0, "shared guest memory has a memfd");
	CHECK(vhost_user_set_mem_table(fe, &mem, &err) == 0, "SET_MEM_TABLE sent");
	CHECK(be_read(&m, fds, &nfds) == VHOST_USER_HDR_SIZE + 8 + 32 && m.request == 5 &&
	      m.size == 40 && nfds == 1 && memcmp(m.payload, (uint32_t[]){ 1, 0 }, 8) == 0,
	      "SET_MEM_TABLE: one region, one fd, size 8 + 32");
	memcpy(reg, m.payload + 8, sizeof(reg));
	CHECK(reg[0] == 0x100000 && reg[1] == 2 << 20 &&
	      reg[2] == (uint64_t)(uintptr_t)mem.regions[0].host && reg[3] == 0,
	      "SET_MEM_TABLE: guest address, size, our address, offset 0");
	if (nfds == 1) {
		/* What a back-end does with it: map and share the guest's bytes. */
		other = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
		CHECK(other != MAP_FAILED, "the memfd maps in the back-end");
		if (other != MAP_FAILED) {
			other[4096] = 0x5a;
			CHECK(mem.regions[0].host[4096] == 0x5a, "a back-end write is seen by the guest");
			munmap(other, 2 << 20);
		}
		CHECK(ftruncate(fds[0], 4096) < 0, "the back-end cannot shrink guest memory");
		close(fds[0]);
	}
	vmm_mem_free(&mem);

	vmm_mem_add(&priv, 0, 1 << 20, false, &err);
	CHECK(vhost_user_encode_mem_table(&m, &priv, fds, &len, &err) < 0 &&
	      strstr(err.msg, "not shared"), "private guest memory is refused");
	vmm_mem_free(&priv);
}

/* A refused reply stays half read (the connection is then dead to the
 * monitor); the next case starts on a clean stream. */
static void drain_fe(void)
{
	char buf[512];

	while (recv(fe, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static void test_bad_replies(void)
{
	struct hull_error err = { 0 };
	struct vhost_user_msg m;
	int fds[8], nfds;
	uint64_t v = 0;
	uint32_t base;
	uint32_t s[2] = { 7, 0 };

	be_reply(VHOST_USER_GET_FEATURES, 1, &v, 8);    /* reply flag missing */
	CHECK(vhost_user_get_u64(fe, VHOST_USER_GET_FEATURES, &v, &err) < 0 &&
	      strstr(err.msg, "flags"), "a reply without the reply flag is refused");
	be_read(&m, fds, &nfds);
	drain_fe();
	hull_error_clear(&err);

	be_reply(VHOST_USER_SET_FEATURES, 5, &v, 8);    /* answers another request */
	CHECK(vhost_user_get_u64(fe, VHOST_USER_GET_FEATURES, &v, &err) < 0 &&
	      strstr(err.msg, "expected 1"), "a reply to another request is refused");
	be_read(&m, fds, &nfds);
	drain_fe();
	hull_error_clear(&err);

	be_reply(VHOST_USER_GET_FEATURES, 5, &v, 4);    /* short payload */
	CHECK(vhost_user_get_u64(fe, VHOST_USER_GET_FEATURES, &v, &err) < 0 &&
	      strstr(err.msg, "bytes"), "a reply of the wrong size is refused");
	be_read(&m, fds, &nfds);
	drain_fe();
	hull_error_clear(&err);

	be_reply(VHOST_USER_GET_VRING_BASE, 5, s, 8);   /* ring 7, asked 1 */
	CHECK(vhost_user_get_vring_base(fe, 1, &base, &err) < 0 && strstr(err.msg, "ring 7"),
	      "GET_VRING_BASE for another ring is refused");
	be_read(&m, fds, &nfds);
	drain_fe();
	hull_error_clear(&err);

	m.size = 0xffffffffu;
	CHECK(vhost_user_check_reply(&m, 4, 1, 8, &err) < 0, "a reply shorter than a header is refused");

	close(be);
	CHECK(vhost_user_get_u64(fe, VHOST_USER_GET_FEATURES, &v, &err) < 0,
	      "a back-end that went away is an error, not a signal");
}

int main(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		return 1;
	}
	fe = sv[0];
	be = sv[1];
	test_simple_requests();
	test_fd_requests();
	test_mem_table();
	test_bad_replies();
	printf("# %d/%d vhost-user checks passed\n", checks - failures, checks);
	return failures ? 1 : 0;
}
