/* virtio-net (device id 1) over a tap fd the caller opened (IFF_TAP |
 * IFF_NO_PI | IFF_VNET_HDR, before any jail): queue 0 receives (tap ->
 * guest), queue 1 transmits (guest -> tap).  One queue pair, no control
 * queue, no mergeable receive buffers.  The guest's 12-byte virtio_net_hdr
 * and the tap's vnet header are the same struct, so frames pass through
 * untouched; checksum and TSO offloads are offered only when the tap takes
 * them (TUNSETOFFLOAD), and the tap is told what the guest accepted. */
#ifndef HULL_VMM_VIRTIO_NET_H
#define HULL_VMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/virtio_mmio.h"

#define VIRTIO_NET_HDR_LEN 12   /* struct virtio_net_hdr_v1 (VERSION_1) */
#define VIRTIO_NET_MAX_FRAME (65536 + 14 + 4)

struct virtio_net {
	struct virtio_mmio t;
	int tap_fd;
	uint8_t mac[6];
	uint16_t mtu;           /* 0: no VIRTIO_NET_F_MTU */
	bool rx_polled;         /* tap_fd is watched for input */
	bool offloads_set;      /* TUNSETOFFLOAD follows the driver's features */
	uint64_t rx_dropped, tx_dropped;
};

/* tap_fd: non-blocking, vnet header on (size set here).  mtu 0: none
 * offered.  no_offloads: offer none even where the tap has them. */
int virtio_net_init(struct virtio_net *n, struct vm *vm, unsigned int index, int tap_fd,
		    const uint8_t mac[6], uint16_t mtu, bool no_offloads, bool use_ioeventfd,
		    struct hull_error *err);
void virtio_net_destroy(struct virtio_net *n);

/* The data path on one queue, exposed for unit tests (a socketpair stands
 * in for the tap).  Each returns the number of frames moved, or -1 with err
 * set when the guest broke the rules (the device goes NEEDS_RESET).
 * virtio_net_rx stops when the queue has no buffer or fd has no frame;
 * *starved says it was for want of a buffer. */
int virtio_net_tx(struct virtq *q, const struct vmm_mem *mem, struct virtq_chain *c,
		  int fd, uint64_t *dropped, struct hull_error *err);
int virtio_net_rx(struct virtq *q, const struct vmm_mem *mem, struct virtq_chain *c,
		  int fd, unsigned int budget, bool *starved, uint64_t *dropped,
		  struct hull_error *err);

#endif
