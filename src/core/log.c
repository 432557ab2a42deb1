/* Logging to stderr with a level prefix. */
#include <stdarg.h>
#include <stdio.h>

#include "core/util.h"

int log_verbosity = LOG_INFO;

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const prefix[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if ((int)lvl > log_verbosity)
		return;
	fprintf(stderr, "usnet: %s: ", prefix[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
