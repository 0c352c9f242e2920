/* hull-agent's network: eth0 as the monitor describes it on the kernel
 * command line, and the container's /etc files from the config.
 *
 *   hull.ip=A.B.C.D/P   an address of eth0 (repeatable; IPv4)
 *   hull.gw=A.B.C.D     the default route's gateway
 * eth0's MAC and MTU come with the virtio-net device itself.
 *
 *   etcfile DEST CONTENT   (config line) DEST in the container's root gets
 *                          CONTENT, bind-mounted over it as runc would
 *                          bind the engine's file.
 *
 * And, when the workload has exited, the guest's TCP send queues drained
 * before the VM stops (agent_net_drain). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

void agent_net_up(void);
void agent_net_drain(void);
void agent_net_etcfile(const char *dest, const char *content);
void agent_net_etc_apply(bool root_ro);

#define MAX_ETC 8

static struct { char dest[256]; int fd; } etc[MAX_ETC];
static int netc;
static int tcp_fd = -1;         /* /proc/net/tcp, opened while /proc is there */

static void warn(const char *what)
{
	dprintf(2, "hull-agent: network: %s: %s\n", what, strerror(errno));
}

static int if_flags_up(int s, const char *name)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static void sin_set(struct sockaddr *sa, in_addr_t a)
{
	struct sockaddr_in *in = (struct sockaddr_in *)sa;

	memset(in, 0, sizeof(*in));
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = a;
}

/* The first address with SIOCSIFADDR/NETMASK, further ones as "eth0:N"
 * aliases (the ioctl interface's way to hold several). */
static void add_addr(int s, int nth, const char *cidr)
{
	char ip[32], *slash;
	struct ifreq ifr = { 0 };
	struct in_addr a;
	long p;

	snprintf(ip, sizeof(ip), "%s", cidr);
	slash = strchr(ip, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	p = strtol(slash + 1, NULL, 10);
	if (inet_pton(AF_INET, ip, &a) != 1 || p < 0 || p > 32)
		return;
	if (nth == 0)
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
	else
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0:%d", nth);
	sin_set(&ifr.ifr_addr, a.s_addr);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		warn(cidr);
	sin_set(&ifr.ifr_netmask, p == 0 ? 0 : htonl(~0u << (32 - p)));
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		warn("netmask");
}

void agent_net_up(void)
{
	static char cmdline[4096];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC), s, naddr = 0;
	ssize_t n = fd >= 0 ? read(fd, cmdline, sizeof(cmdline) - 1) : -1;
	char *save = NULL, *gw = NULL;

	if (fd >= 0)
		close(fd);
	tcp_fd = open("/proc/net/tcp", O_RDONLY | O_CLOEXEC);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		warn("socket");
		return;
	}
	/* Loopback always, as a container's namespace has it. */
	if (if_flags_up(s, "lo") < 0)
		warn("lo up");
	if (n > 0) {
		cmdline[n] = '\0';
		for (char *w = strtok_r(cmdline, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
			if (strncmp(w, "hull.ip=", 8) == 0)
				add_addr(s, naddr++, w + 8);
			else if (strncmp(w, "hull.gw=", 8) == 0)
				gw = w + 8;
		}
	}
	if (naddr > 0 && if_flags_up(s, "eth0") < 0)
		warn("eth0 up");
	if (naddr > 0 && gw) {
		struct rtentry rt = { 0 };
		struct in_addr g;

		if (inet_pton(AF_INET, gw, &g) == 1) {
			sin_set(&rt.rt_dst, 0);
			sin_set(&rt.rt_genmask, 0);
			sin_set(&rt.rt_gateway, g.s_addr);
			rt.rt_flags = RTF_UP | RTF_GATEWAY;
			rt.rt_dev = (char *)"eth0";
			if (ioctl(s, SIOCADDRT, &rt) < 0)
				warn("default route");
		}
	}
	close(s);
}

/* Bytes (FINs included) the guest's TCP connections still have to get
 * acknowledged: the sum of tx_queue (write_seq - snd_una) over every
 * socket past its handshake (a listener's field means something else). */
static long long tcp_unacked(void)
{
	char line[256];
	long long sum = 0;
	unsigned int st;
	unsigned long long txq;
	int d = tcp_fd >= 0 ? dup(tcp_fd) : -1;
	FILE *f;

	if (d < 0 || lseek(d, 0, SEEK_SET) < 0 || (f = fdopen(d, "r")) == NULL) {
		if (d >= 0)
			close(d);
		return 0;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*u: %*[0-9A-Fa-f:] %*[0-9A-Fa-f:] %x %llx:", &st, &txq) == 2 &&
		    st != 0x0A && st != 0x02 && st != 0x03)
			sum += (long long)txq;
	fclose(f);
	return sum;
}

#define DRAIN_STEP_MS 20
#define DRAIN_IDLE_MS 3000      /* no progress for this long: peer gone */
#define DRAIN_MAX_MS 30000

/* close() returns while the data is still in the kernel's send queue, and
 * a process's exit closes its sockets the same way; in a container the
 * host kernel goes on sending it after the process is gone.  A VM that
 * stopped now would take those bytes and the FIN with it, and the peer
 * would wait for them forever (bench/vm-net.sh's "stall": net-blast's last
 * megabytes, seen with the offloads off, where the queue drains slowest).
 * So the guest keeps running while the queues still shrink: at most
 * DRAIN_MAX_MS, and not after DRAIN_IDLE_MS without progress.  kill and
 * delete --force stop the monitor without waiting for this. */
void agent_net_drain(void)
{
	long long left = tcp_unacked(), prev;
	int idle = 0;

	for (int ms = 0; left > 0 && ms < DRAIN_MAX_MS && idle < DRAIN_IDLE_MS; ms += DRAIN_STEP_MS) {
		usleep(DRAIN_STEP_MS * 1000);
		prev = left;
		left = tcp_unacked();
		idle = left < prev ? 0 : idle + DRAIN_STEP_MS;
	}
}

/* While the initramfs is still /: the content goes into a file there,
 * held open so it can be bound over DEST once the root disk is /. */
void agent_net_etcfile(const char *dest, const char *content)
{
	char path[64];
	size_t len = strlen(content);
	int fd;

	if (netc == MAX_ETC || dest[0] != '/' || strlen(dest) >= sizeof(etc[0].dest))
		return;
	mkdir("/hull", 0755);
	snprintf(path, sizeof(path), "/hull/etc-%d", netc);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, content, len) != (ssize_t)len) {
		warn(path);
		if (fd >= 0)
			close(fd);
		return;
	}
	snprintf(etc[netc].dest, sizeof(etc[netc].dest), "%s", dest);
	etc[netc++].fd = fd;
}

void agent_net_etc_apply(bool root_ro)
{
	char src[64];

	for (int i = 0; i < netc; i++) {
		struct stat st;

		/* A writable root gets a missing target created (as runc
		 * creates a bind mount's target); a read-only one cannot. */
		if (lstat(etc[i].dest, &st) < 0 && !root_ro) {
			int t = open(etc[i].dest, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

			if (t >= 0)
				close(t);
		}
		snprintf(src, sizeof(src), "/proc/self/fd/%d", etc[i].fd);
		if (mount(src, etc[i].dest, NULL, MS_BIND, NULL) < 0)
			warn(etc[i].dest);
		close(etc[i].fd);
	}
	netc = 0;
}
