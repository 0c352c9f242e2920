/* vhost-user front-end messages (vmm/vhost_user.h).  All multi-byte fields
 * are little-endian on the wire; x86 is, so they are copied as they are. */
#include "vmm/vhost_user.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static uint32_t encode(struct vhost_user_msg *msg, uint32_t req, const void *p, uint32_t n)
{
	memset(msg, 0, VHOST_USER_HDR_SIZE);
	msg->request = req;
	msg->flags = VHOST_USER_VERSION;
	msg->size = n;
	if (n)
		memcpy(msg->payload, p, n);
	return VHOST_USER_HDR_SIZE + n;
}

uint32_t vhost_user_encode_u64(struct vhost_user_msg *msg, uint32_t req, uint64_t v)
{
	/* GET_* requests carry no payload; SET_FEATURES carries the u64. */
	return encode(msg, req, &v, req == VHOST_USER_GET_FEATURES ? 0 : sizeof(v));
}

uint32_t vhost_user_encode_state(struct vhost_user_msg *msg, uint32_t req, uint32_t index,
				 uint32_t num)
{
	uint32_t s[2] = { index, num };         /* struct vhost_vring_state */

	return encode(msg, req, s, sizeof(s));
}

uint32_t vhost_user_encode_addr(struct vhost_user_msg *msg, uint32_t index, uint64_t desc,
				uint64_t used, uint64_t avail)
{
	/* struct vhost_vring_addr: index, flags (no logging), then the
	 * rings as addresses in OUR address space; the back-end turns them
	 * into its own through the memory table's userspace_addr. */
	struct __attribute__((packed)) {
		uint32_t index, flags;
		uint64_t desc, used, avail, log;
	} a = { index, 0, desc, used, avail, 0 };

	return encode(msg, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a));
}

int vhost_user_encode_mem_table(struct vhost_user_msg *msg, const struct vmm_mem *mem,
				int *fds, uint32_t *len, struct hull_error *err)
{
	uint8_t p[VHOST_USER_MAX_PAYLOAD] = { 0 };
	uint32_t n = mem->nr;

	if (n == 0 || n > VHOST_USER_MAX_REGIONS)
		return hull_error_set(err, EINVAL, "vhost-user: %u memory regions", n);
	memcpy(p, &n, 4);       /* nregions, then 4 bytes of padding */
	for (uint32_t i = 0; i < n; i++) {
		const struct vmm_mem_region *r = &mem->regions[i];
		/* VhostUserMemoryRegion: guest address, size, where WE map it
		 * (our ring addresses are given in this space), offset in the fd. */
		uint64_t reg[4] = { r->gpa, r->size, (uint64_t)(uintptr_t)r->host, 0 };

		if (r->fd < 0)
			return hull_error_set(err, EINVAL, "vhost-user: guest memory at 0x%llx is not "
					      "shared (no memfd)", (unsigned long long)r->gpa);
		memcpy(p + 8 + 32 * i, reg, sizeof(reg));
		fds[i] = r->fd;
	}
	*len = encode(msg, VHOST_USER_SET_MEM_TABLE, p, 8 + 32 * n);
	return 0;
}

int vhost_user_check_reply(const struct vhost_user_msg *msg, uint32_t got, uint32_t req,
			   uint32_t want, struct hull_error *err)
{
	if (got < VHOST_USER_HDR_SIZE)
		return hull_error_set(err, EPROTO, "vhost-user: short reply (%u bytes)", got);
	if ((msg->flags & 3u) != VHOST_USER_VERSION || !(msg->flags & VHOST_USER_REPLY_FLAG))
		return hull_error_set(err, EPROTO, "vhost-user: reply with flags %#x", msg->flags);
	if (msg->request != req)
		return hull_error_set(err, EPROTO, "vhost-user: reply to request %u, expected %u",
				      msg->request, req);
	if (msg->size != want || got != VHOST_USER_HDR_SIZE + want)
		return hull_error_set(err, EPROTO, "vhost-user: reply to request %u has %u bytes, "
				      "expected %u", req, msg->size, want);
	return 0;
}

int vhost_user_send(int sock, const struct vhost_user_msg *msg, uint32_t len,
		    const int *fds, unsigned int nfds, struct hull_error *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_REGIONS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > VHOST_USER_MAX_REGIONS)
		return hull_error_set(err, EINVAL, "vhost-user: %u fds", nfds);
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	/* One message, header and payload together, so that the back-end
	 * reads the fds with the header (it expects them there).  NOSIGNAL:
	 * a back-end that died is an error here, not a SIGPIPE. */
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return hull_error_errno(err, "vhost-user: sending request %u", msg->request);
	if ((uint32_t)n != len)
		return hull_error_set(err, EIO, "vhost-user: request %u sent short", msg->request);
	return 0;
}

/* Read exactly n bytes (a back-end may write header and payload with
 * separate calls: libvhost-user does). */
static int read_full(int sock, uint8_t *p, size_t n, uint32_t req, struct hull_error *err)
{
	while (n > 0) {
		ssize_t r = read(sock, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return hull_error_errno(err, "vhost-user: waiting for the reply to request %u",
						req);
		if (r == 0)
			return hull_error_set(err, EPIPE, "vhost-user: back-end closed the connection");
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Receive one reply of exactly `want` payload bytes: the header first
 * (recvmsg, for any fds that come with it), then the payload it
 * announces, but never more than `want` (the size is the back-end's
 * word).  A reply never carries fds for the requests used here: any that
 * arrive are closed (MSG_CMSG_CLOEXEC keeps them out of children
 * meanwhile). */
static int recv_reply(int sock, uint32_t req, struct vhost_user_msg *msg, uint32_t want,
		      struct hull_error *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_REGIONS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = msg, .iov_len = VHOST_USER_HDR_SIZE };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n >= 0 && c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				close(fd);
			}
	if (n < 0)
		return hull_error_errno(err, "vhost-user: waiting for the reply to request %u", req);
	if (n == 0)
		return hull_error_set(err, EPIPE, "vhost-user: back-end closed the connection");
	if (read_full(sock, (uint8_t *)msg + n, VHOST_USER_HDR_SIZE - (size_t)n, req, err) < 0)
		return -1;
	/* Check the header before reading what it announces. */
	if (vhost_user_check_reply(msg, VHOST_USER_HDR_SIZE + (msg->size == want ? want : 0),
				   req, want, err) < 0)
		return -1;
	return read_full(sock, msg->payload, want, req, err);
}

int vhost_user_get_u64(int sock, uint32_t req, uint64_t *v, struct hull_error *err)
{
	struct vhost_user_msg msg;
	uint32_t len = vhost_user_encode_u64(&msg, req, 0);

	if (vhost_user_send(sock, &msg, len, NULL, 0, err) < 0 ||
	    recv_reply(sock, req, &msg, sizeof(*v), err) < 0)
		return -1;
	memcpy(v, msg.payload, sizeof(*v));
	return 0;
}

int vhost_user_set_u64(int sock, uint32_t req, uint64_t v, struct hull_error *err)
{
	struct vhost_user_msg msg;
	uint32_t len = vhost_user_encode_u64(&msg, req, v);

	/* SET_OWNER has no payload at all. */
	if (req == VHOST_USER_SET_OWNER)
		len = encode(&msg, req, NULL, 0);
	return vhost_user_send(sock, &msg, len, NULL, 0, err);
}

int vhost_user_set_mem_table(int sock, const struct vmm_mem *mem, struct hull_error *err)
{
	struct vhost_user_msg msg;
	int fds[VHOST_USER_MAX_REGIONS];
	uint32_t len;

	if (vhost_user_encode_mem_table(&msg, mem, fds, &len, err) < 0)
		return -1;
	return vhost_user_send(sock, &msg, len, fds, mem->nr, err);
}

int vhost_user_set_state(int sock, uint32_t req, uint32_t index, uint32_t num,
			 struct hull_error *err)
{
	struct vhost_user_msg msg;
	uint32_t len = vhost_user_encode_state(&msg, req, index, num);

	return vhost_user_send(sock, &msg, len, NULL, 0, err);
}

int vhost_user_set_addr(int sock, uint32_t index, uint64_t desc, uint64_t used,
			uint64_t avail, struct hull_error *err)
{
	struct vhost_user_msg msg;
	uint32_t len = vhost_user_encode_addr(&msg, index, desc, used, avail);

	return vhost_user_send(sock, &msg, len, NULL, 0, err);
}

int vhost_user_set_vring_fd(int sock, uint32_t req, uint32_t index, int fd,
			    struct hull_error *err)
{
	struct vhost_user_msg msg;
	/* u64: bits 0-7 the ring, bit 8 set would mean "no fd" (polling). */
	uint32_t len = vhost_user_encode_u64(&msg, req, index & 0xffu);

	return vhost_user_send(sock, &msg, len, &fd, 1, err);
}

int vhost_user_get_vring_base(int sock, uint32_t index, uint32_t *base, struct hull_error *err)
{
	struct vhost_user_msg msg;
	uint32_t len = vhost_user_encode_state(&msg, VHOST_USER_GET_VRING_BASE, index, 0);
	uint32_t s[2];

	if (vhost_user_send(sock, &msg, len, NULL, 0, err) < 0 ||
	    recv_reply(sock, VHOST_USER_GET_VRING_BASE, &msg, sizeof(s), err) < 0)
		return -1;
	memcpy(s, msg.payload, sizeof(s));
	if (s[0] != index)
		return hull_error_set(err, EPROTO, "vhost-user: vring base for ring %u, asked %u",
				      s[0], index);
	*base = s[1];
	return 0;
}
