#include "base/warn.h"

#include <stdarg.h>
#include <stdio.h>

static hull_warn_sink warn_sink;
static void *warn_data;

void hull_warn_set_sink(hull_warn_sink fn, void *data)
{
	warn_sink = fn;
	warn_data = data;
}

void hull_warn(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (warn_sink)
		warn_sink(msg, warn_data);
	else
		fprintf(stderr, "hull: warning: %s\n", msg);
}
