/* Command output buffer: plain text lines (iproute2 style) or one JSON
 * document built through nested begin/end calls.
 *
 * Design note. The buffer is always NUL terminated. JSON strings are escaped
 * per RFC 8259; bytes that are not valid UTF-8 become U+FFFD so the document
 * stays well formed whatever a name contains. A failure (out of memory, more
 * than OUT_DEPTH_MAX levels, an end without a begin) sets `oom`, after which
 * nothing more is written: the caller reports the command as failed instead
 * of printing a broken document. */
#include "ctl/out.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void out_init(struct ctl_out *o, bool json)
{
	memset(o, 0, sizeof(*o));
	o->json = json;
	o->first[0] = true;
}

void out_fini(struct ctl_out *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

void out_reset(struct ctl_out *o)
{
	bool json = o->json;
	char *buf = o->buf;
	size_t cap = o->cap;

	out_init(o, json);
	o->buf = buf;
	o->cap = cap;
	if (buf)
		buf[0] = '\0';
}

/* Make room for n more bytes plus the terminating NUL. */
static bool out_reserve(struct ctl_out *o, size_t n)
{
	size_t need, cap;
	char *nb;

	if (o->oom)
		return false;
	if (n > ((size_t)-1) / 4 - o->len) {
		o->oom = true;
		return false;
	}
	need = o->len + n + 1;
	if (need <= o->cap)
		return true;
	cap = o->cap ? o->cap : 256;
	while (cap < need)
		cap *= 2;
	nb = realloc(o->buf, cap);
	if (!nb) {
		o->oom = true;
		return false;
	}
	o->buf = nb;
	o->cap = cap;
	return true;
}

static void out_put(struct ctl_out *o, const char *s, size_t n)
{
	if (!out_reserve(o, n))
		return;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void out_putc(struct ctl_out *o, char c)
{
	out_put(o, &c, 1);
}

__attribute__((format(printf, 2, 0)))
static void out_vprintf(struct ctl_out *o, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		o->oom = true;
		return;
	}
	if (!out_reserve(o, (size_t)n))
		return;
	vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap);
	o->len += (size_t)n;
}

void out_text(struct ctl_out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->json)
		return;
	va_start(ap, fmt);
	out_vprintf(o, fmt, ap);
	va_end(ap);
}

/* Length of the valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void out_json_string(struct ctl_out *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p);
	char esc[8];

	out_putc(o, '"');
	while (n > 0) {
		size_t l = utf8_seq_len(p, n);

		if (l == 0) {
			out_put(o, "\\ufffd", 6);
			l = 1;
		} else if (*p == '"' || *p == '\\') {
			out_putc(o, '\\');
			out_putc(o, (char)*p);
		} else if (*p == '\n') {
			out_put(o, "\\n", 2);
		} else if (*p == '\t') {
			out_put(o, "\\t", 2);
		} else if (*p == '\r') {
			out_put(o, "\\r", 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			out_put(o, esc, 6);
		} else {
			out_put(o, (const char *)p, l);
		}
		p += l;
		n -= l;
	}
	out_putc(o, '"');
}

/* Separator and key before a JSON value at the current depth. A second
 * top-level value would make two documents: refused (sets oom). */
static bool out_member(struct ctl_out *o, const char *key)
{
	if (!o->first[o->depth]) {
		if (o->depth == 0) {
			o->oom = true;
			return false;
		}
		out_putc(o, ',');
	}
	o->first[o->depth] = false;
	if (key && o->depth > 0) {
		out_json_string(o, key);
		out_putc(o, ':');
	}
	return !o->oom;
}

static void out_open(struct ctl_out *o, const char *key, char c)
{
	if (!o->json || o->oom)
		return;
	if (o->depth + 1 >= OUT_DEPTH_MAX) {
		o->oom = true;
		return;
	}
	if (!out_member(o, key))
		return;
	out_putc(o, c);
	o->depth++;
	o->first[o->depth] = true;
}

static void out_close(struct ctl_out *o, char c)
{
	if (!o->json || o->oom)
		return;
	if (o->depth == 0) {
		o->oom = true;
		return;
	}
	o->depth--;
	out_putc(o, c);
}

void out_obj_begin(struct ctl_out *o, const char *key)
{
	out_open(o, key, '{');
}

void out_obj_end(struct ctl_out *o)
{
	out_close(o, '}');
}

void out_arr_begin(struct ctl_out *o, const char *key)
{
	out_open(o, key, '[');
}

void out_arr_end(struct ctl_out *o)
{
	out_close(o, ']');
}

void out_str(struct ctl_out *o, const char *key, const char *val)
{
	if (!o->json || o->oom)
		return;
	if (out_member(o, key))
		out_json_string(o, val);
}

static void out_number(struct ctl_out *o, const char *key, const char *num)
{
	if (!o->json || o->oom)
		return;
	if (out_member(o, key))
		out_put(o, num, strlen(num));
}

void out_u64(struct ctl_out *o, const char *key, uint64_t val)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)val);
	out_number(o, key, num);
}

void out_i64(struct ctl_out *o, const char *key, int64_t val)
{
	char num[24];

	snprintf(num, sizeof(num), "%lld", (long long)val);
	out_number(o, key, num);
}

void out_bool(struct ctl_out *o, const char *key, bool val)
{
	out_number(o, key, val ? "true" : "false");
}

const char *out_addr(int family, const void *addr, char *buf)
{
	if (!inet_ntop(family, addr, buf, INET6_ADDRSTRLEN))
		snprintf(buf, INET6_ADDRSTRLEN, "?");
	return buf;
}

const char *out_mac(const uint8_t mac[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
