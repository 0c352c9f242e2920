/* Warnings: what Hull does other than the config asked, and goes on with,
 * where runc and crun do the same (an ambient capability the kernel cannot
 * raise, a capability this kernel does not know).
 *
 * Code below cli/ never prints: it calls hull_warn(), and cli/ installs the
 * sink that turns the line into a log entry (--log, JSON with --log-format
 * json) or, without --log, "hull: warning: ..." on stderr.  Without a sink
 * (unit tests, the fuzzer) warnings go to stderr.  A forked child may call
 * it too: the sink only writes, it holds no lock. */
#ifndef HULL_WARN_H
#define HULL_WARN_H

typedef void (*hull_warn_sink)(const char *msg, void *data);

void hull_warn_set_sink(hull_warn_sink fn, void *data);
void hull_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
