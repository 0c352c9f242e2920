#include "base/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void error_vformat(struct hull_error *err, int code, const char *fmt,
			  va_list ap, bool with_errno)
{
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);

	if (with_errno && n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s",
			 strerror(code));
	err->code = code;
	err->set = true;
}

int hull_error_set(struct hull_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->set)
		return -1;
	va_start(ap, fmt);
	error_vformat(err, code, fmt, ap, false);
	va_end(ap);
	return -1;
}

int hull_error_errno(struct hull_error *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (err == NULL || err->set) {
		errno = saved;
		return -1;
	}
	va_start(ap, fmt);
	error_vformat(err, saved, fmt, ap, true);
	va_end(ap);
	errno = saved;
	return -1;
}

int hull_error_prefix(struct hull_error *err, const char *fmt, ...)
{
	char prefix[HULL_ERROR_MSG_MAX];
	char old[HULL_ERROR_MSG_MAX];
	va_list ap;

	if (err == NULL || !err->set)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation keeps the start, the context, which matters most. */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) < 0)
		err->msg[0] = '\0';
	return -1;
}

void hull_error_clear(struct hull_error *err)
{
	err->code = 0;
	err->set = false;
	err->msg[0] = '\0';
}
