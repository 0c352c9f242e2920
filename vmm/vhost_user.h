/* vhost-user front-end (the monitor's side of the protocol, "Vhost-user
 * Protocol" in QEMU's docs/interop/vhost-user.rst): messages on a connected
 * unix stream socket, fds in SCM_RIGHTS.  Only what a virtio device whose
 * queues a back-end process serves needs: features, owner, the memory
 * table, and the vring set-up and stop messages.  No protocol features are
 * negotiated, so every request but GET_* has no reply and rings are
 * enabled as soon as they are kicked (spec: "Ring states"). */
#ifndef HULL_VMM_VHOST_USER_H
#define HULL_VMM_VHOST_USER_H

#include <stdint.h>

#include "base/error.h"
#include "vmm/memory.h"

enum vhost_user_request {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
};

#define VHOST_USER_VERSION     0x1u     /* header flags bits 0-1 */
#define VHOST_USER_REPLY_FLAG  0x4u
#define VHOST_USER_HDR_SIZE    12u
#define VHOST_USER_MAX_REGIONS 8u
#define VHOST_USER_MAX_PAYLOAD (8u + VHOST_USER_MAX_REGIONS * 32u)
#define VHOST_USER_F_PROTOCOL_FEATURES (1ull << 30)

struct vhost_user_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;                  /* payload bytes that follow */
	uint8_t payload[VHOST_USER_MAX_PAYLOAD];
} __attribute__((packed));

/* Encoding, pure (unit-tested): fill msg, return the bytes to send. */
uint32_t vhost_user_encode_u64(struct vhost_user_msg *msg, uint32_t req, uint64_t v);
uint32_t vhost_user_encode_state(struct vhost_user_msg *msg, uint32_t req, uint32_t index,
				 uint32_t num);
uint32_t vhost_user_encode_addr(struct vhost_user_msg *msg, uint32_t index, uint64_t desc,
				uint64_t used, uint64_t avail);
/* One region per guest-memory region, each backed by its memfd (the
 * caller sends those fds in the same order).  -1 if one is not shared. */
int vhost_user_encode_mem_table(struct vhost_user_msg *msg, const struct vmm_mem *mem,
				int *fds, uint32_t *len, struct hull_error *err);
/* Check a reply the back-end sent to `req`: version, reply flag, request
 * and exactly `want` payload bytes.  The back-end is another process:
 * nothing in its header is trusted. */
int vhost_user_check_reply(const struct vhost_user_msg *msg, uint32_t got, uint32_t req,
			   uint32_t want, struct hull_error *err);

/* I/O on the socket (blocking, with the socket's own timeouts). */
int vhost_user_send(int sock, const struct vhost_user_msg *msg, uint32_t len,
		    const int *fds, unsigned int nfds, struct hull_error *err);
int vhost_user_get_u64(int sock, uint32_t req, uint64_t *v, struct hull_error *err);
int vhost_user_set_u64(int sock, uint32_t req, uint64_t v, struct hull_error *err);
int vhost_user_set_mem_table(int sock, const struct vmm_mem *mem, struct hull_error *err);
int vhost_user_set_state(int sock, uint32_t req, uint32_t index, uint32_t num,
			 struct hull_error *err);
int vhost_user_set_addr(int sock, uint32_t index, uint64_t desc, uint64_t used,
			uint64_t avail, struct hull_error *err);
/* SET_VRING_KICK / SET_VRING_CALL: the eventfd travels in SCM_RIGHTS. */
int vhost_user_set_vring_fd(int sock, uint32_t req, uint32_t index, int fd,
			    struct hull_error *err);
/* Stops ring `index` in the back-end; *base gets its next avail index. */
int vhost_user_get_vring_base(int sock, uint32_t index, uint32_t *base, struct hull_error *err);

#endif
