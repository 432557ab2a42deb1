/* Command output: a growing text buffer that is either plain text (iproute2
 * style) or JSON (`-j`). Show commands write structured values through the
 * out_* calls; in text mode out_text() lines are used instead, so every
 * command decides its own text layout while JSON stays well formed.
 * Control thread. */
#ifndef USNET_CTL_OUT_H
#define USNET_CTL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OUT_DEPTH_MAX 16

struct ctl_out {
	bool json;
	char *buf;
	size_t len, cap;
	int depth;
	bool first[OUT_DEPTH_MAX]; /* no member written yet at this depth */
	bool oom;
};

void out_init(struct ctl_out *o, bool json);
void out_fini(struct ctl_out *o);
void out_reset(struct ctl_out *o);

/* Text mode only (ignored in JSON mode). */
void out_text(struct ctl_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* JSON mode only (ignored in text mode). key is NULL inside arrays. */
void out_obj_begin(struct ctl_out *o, const char *key);
void out_obj_end(struct ctl_out *o);
void out_arr_begin(struct ctl_out *o, const char *key);
void out_arr_end(struct ctl_out *o);
void out_str(struct ctl_out *o, const char *key, const char *val);
void out_u64(struct ctl_out *o, const char *key, uint64_t val);
void out_i64(struct ctl_out *o, const char *key, int64_t val);
void out_bool(struct ctl_out *o, const char *key, bool val);

/* Format an address (family AF_INET/AF_INET6) into buf (>= 46 bytes). */
const char *out_addr(int family, const void *addr, char *buf);
const char *out_mac(const uint8_t mac[6], char *buf); /* buf >= 18 */

#endif
