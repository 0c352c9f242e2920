/* process.capabilities: names to bits, and fitting the sets to the kernel.
 *
 * The runtime-spec says a runtime MUST error on a name it does not know, and
 * SHOULD only warn about a known name that the running kernel lacks (an
 * engine's default list written for a newer kernel).  Hull's own table of
 * names, rather than libcap's, decides what is "known", so the answer does
 * not change with the libcap version Hull was built against. */
#include "oci/spec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/cleanup.h"
#include "base/fsutil.h"
#include "base/warn.h"

/* Index = capability number (linux/capability.h). */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};
#define CAP_NAMES_COUNT ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

int spec_cap_from_name(const char *name)
{
	/* Case-insensitive like runc; "CAP_" is required (runc requires it). */
	for (int i = 0; i < CAP_NAMES_COUNT; i++)
		if (strcasecmp(name, cap_names[i]) == 0)
			return i;
	return -1;
}

const char *spec_cap_name(int cap)
{
	return cap >= 0 && cap < CAP_NAMES_COUNT ? cap_names[cap] : NULL;
}

int spec_cap_last_known(void)
{
	return CAP_NAMES_COUNT - 1;
}

static int parse_cap_set(const json_node *caps, const char *key,
			 uint64_t *out, struct hull_error *err)
{
	char **names = NULL;
	size_t n = 0;
	int r = json_get_string_array(caps, key, "process.capabilities", &names, &n, err);

	if (r <= 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		int c = spec_cap_from_name(names[i]);

		if (c < 0) {
			hull_error_set(err, EINVAL,
				       "process.capabilities.%s[%zu]: unknown capability \"%s\"",
				       key, i, names[i]);
			strv_free(names);
			return -1;
		}
		*out |= 1ULL << c;
	}
	strv_free(names);
	return 0;
}

int spec_parse_caps(const json_node *proc, const char *path,
		    struct spec_caps *caps, struct hull_error *err)
{
	const json_node *c;
	int r = json_get_object(proc, "capabilities", path, &c, err);

	if (r <= 0)
		return r;
	caps->set = true;
	if (parse_cap_set(c, "bounding", &caps->bounding, err) < 0 ||
	    parse_cap_set(c, "effective", &caps->effective, err) < 0 ||
	    parse_cap_set(c, "inheritable", &caps->inheritable, err) < 0 ||
	    parse_cap_set(c, "permitted", &caps->permitted, err) < 0 ||
	    parse_cap_set(c, "ambient", &caps->ambient, err) < 0)
		return -1;
	return 0;
}

int spec_caps_kernel_last(void)
{
	autofree char *buf = NULL;
	size_t len = 0;
	struct hull_error ignored = { 0 };
	int v;

	/* Without /proc (it cannot happen on the host), assume every cap we
	 * know exists: capset then reports what the kernel refuses. */
	if (fs_read_file("/proc/sys/kernel/cap_last_cap", &buf, &len, &ignored) < 0 ||
	    sscanf(buf, "%d", &v) != 1 || v < 0)
		return spec_cap_last_known();
	return v;
}

static void names_of(uint64_t mask, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < 64 && used < size; i++)
		if (mask & (1ULL << i)) {
			const char *n = spec_cap_name(i);
			int w = n ? snprintf(out + used, size - used, "%s%s", used ? ", " : "", n)
				  : snprintf(out + used, size - used, "%s%d", used ? ", " : "", i);

			if (w < 0)
				break;
			used += (size_t)w;
		}
}

void spec_caps_fit_kernel(struct spec_caps *c, int kernel_last_cap)
{
	uint64_t have = kernel_last_cap >= 63 ? ~0ULL : (1ULL << (kernel_last_cap + 1)) - 1;
	uint64_t lacking = (c->bounding | c->effective | c->inheritable | c->permitted |
			    c->ambient) & ~have;
	uint64_t unraisable;
	char names[512];

	if (!c->set)
		return;
	if (lacking) {
		names_of(lacking, names, sizeof(names));
		hull_warn("process.capabilities: this kernel does not have %s; left out", names);
		c->bounding &= have;
		c->effective &= have;
		c->inheritable &= have;
		c->permitted &= have;
		c->ambient &= have;
	}
	/* The kernel raises an ambient capability only if it is both
	 * permitted and inheritable.  `runc spec` and `crun spec` list
	 * ambient caps that are not inheritable; runc and crun warn and go
	 * on, and so do we (the raise would fail with EPERM). */
	unraisable = c->ambient & ~(c->permitted & c->inheritable);
	if (unraisable) {
		names_of(unraisable, names, sizeof(names));
		hull_warn("process.capabilities.ambient: %s not both permitted and inheritable; not raised",
			  names);
		c->ambient &= ~unraisable;
	}
}
