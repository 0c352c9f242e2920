/* Hull's one error convention.
 *
 * A fallible function returns a negative value (usually -1) and fills a
 * `struct hull_error` owned by the caller: the errno that caused it (0 when
 * the failure is not a syscall's) and a human message.  A caller that passes
 * the error up may prepend context with hull_error_prefix(), so the message
 * reads outermost-first: "creating cgroup /x: mkdir: Permission denied".
 *
 * Only cli/ turns an error into text on stderr (or a JSON log line) and an
 * exit code.  The struct is a fixed-size value with no heap pointers so that
 * it can be filled in a forked child and written whole down a pipe to the
 * parent.  The first error wins: setting an error that is already set keeps
 * the first one, so cleanup paths cannot hide the original cause.
 */
#ifndef HULL_ERROR_H
#define HULL_ERROR_H

#include <stdbool.h>

#define HULL_ERROR_MSG_MAX 1024

struct hull_error {
	int code;                       /* errno, or 0 */
	bool set;
	char msg[HULL_ERROR_MSG_MAX];
};

/* Record an error: message from fmt; returns -1 so callers can
 * `return hull_error_set(err, 0, "...")`.  No-op (still -1) if already set. */
int hull_error_set(struct hull_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like hull_error_set, with ": strerror(errno)" appended and errno saved. */
int hull_error_errno(struct hull_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prepend "context: " to an error that is set; returns -1. */
int hull_error_prefix(struct hull_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void hull_error_clear(struct hull_error *err);

#endif
