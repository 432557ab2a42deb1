/* Names of drop reasons, generated from the same X-macro table as the enum. */
#include "core/drop.h"

#include <string.h>

static const char *const drop_names[DROP_MAX] = {
#define DROP_NAME(id, name) [DROP_##id] = name,
	DROP_REASONS(DROP_NAME)
#undef DROP_NAME
};

const char *drop_name(enum drop_reason r)
{
	return (unsigned)r < DROP_MAX ? drop_names[r] : "invalid";
}

enum drop_reason drop_from_name(const char *name)
{
	for (unsigned i = 0; i < DROP_MAX; i++)
		if (strcmp(drop_names[i], name) == 0)
			return (enum drop_reason)i;
	return DROP_MAX;
}
