/* A strict little JSON (RFC 8259) validator for the ctl tests: true when
 * the whole string is exactly one well-formed JSON value (whitespace
 * around it allowed). Header-only, static functions. */
#ifndef USNET_TESTS_CTL_JSON_CHECK_H
#define USNET_TESTS_CTL_JSON_CHECK_H

#include <stdbool.h>
#include <string.h>

static const char *jc_value(const char *s, int depth);

static const char *jc_ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

static bool jc_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static const char *jc_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	while (*s != '"') {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			s++;
			if (*s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!jc_hex(s[i]))
						return NULL;
				s += 5;
				continue;
			}
			if (!*s || !strchr("\"\\/bfnrt", *s))
				return NULL;
		}
		s++;
	}
	return s + 1;
}

static const char *jc_number(const char *s)
{
	const char *start;

	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return NULL;
	if (*s == '.') {
		start = ++s;
		while (*s >= '0' && *s <= '9')
			s++;
		if (s == start)
			return NULL;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		start = s;
		while (*s >= '0' && *s <= '9')
			s++;
		if (s == start)
			return NULL;
	}
	return s;
}

static const char *jc_container(const char *s, int depth, char close,
				bool keyed)
{
	s = jc_ws(s + 1);
	if (*s == close)
		return s + 1;
	for (;;) {
		if (keyed) {
			s = jc_string(s);
			if (!s)
				return NULL;
			s = jc_ws(s);
			if (*s++ != ':')
				return NULL;
		}
		s = jc_value(s, depth + 1);
		if (!s)
			return NULL;
		s = jc_ws(s);
		if (*s == close)
			return s + 1;
		if (*s++ != ',')
			return NULL;
		s = jc_ws(s);
	}
}

static const char *jc_value(const char *s, int depth)
{
	if (depth > 64)
		return NULL;
	s = jc_ws(s);
	switch (*s) {
	case '{':
		return jc_container(s, depth, '}', true);
	case '[':
		return jc_container(s, depth, ']', false);
	case '"':
		return jc_string(s);
	case 't':
		return strncmp(s, "true", 4) ? NULL : s + 4;
	case 'f':
		return strncmp(s, "false", 5) ? NULL : s + 5;
	case 'n':
		return strncmp(s, "null", 4) ? NULL : s + 4;
	default:
		return jc_number(s);
	}
}

static inline bool json_valid(const char *s)
{
	const char *e = jc_value(s, 0);

	return e && *jc_ws(e) == '\0';
}

#endif
