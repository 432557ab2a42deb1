/* Internet checksum arithmetic (RFC 1071, RFC 1624) and the software
 * completion of PARTIAL checksums.
 *
 * Partial sums are kept as 32-bit values of the sum of big-endian 16-bit
 * words. The hot loop adds native little-endian 32-bit words into a 64-bit
 * accumulator and swaps the folded result: ones-complement sums are byte
 * order independent (RFC 1071 section 2(B)). */
#include "offload/csum.h"

#include <netinet/in.h>
#include <string.h>

#include "core/util.h"

static uint16_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

uint32_t csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t acc = 0;

	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		acc += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		acc += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		acc += w;
		p += 2;
		len -= 2;
	}
	if (len)
		acc += p[0]; /* BE word p[0]<<8 is p[0] in little-endian */
	uint16_t native = fold64(acc);
	uint16_t be = (uint16_t)((native >> 8) | (native << 8));
	return csum_fold(sum + be);
}

uint16_t csum_ip4_header(const void *iph, unsigned ihl_bytes)
{
	return csum_finish(csum_partial(iph, ihl_bytes, 0));
}

uint32_t csum_pseudo4(uint32_t saddr, uint32_t daddr, uint8_t proto,
		      uint32_t len)
{
	uint32_t s = ntohl(saddr), d = ntohl(daddr);
	uint64_t sum = (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) +
		       proto + (len >> 16) + (len & 0xffff);
	return fold64(sum);
}

uint32_t csum_pseudo6(const uint8_t saddr[16], const uint8_t daddr[16],
		      uint8_t proto, uint32_t len)
{
	uint32_t sum = csum_partial(saddr, 16, 0);
	sum = csum_partial(daddr, 16, sum);
	return fold64((uint64_t)sum + proto + (len >> 16) + (len & 0xffff));
}

uint32_t csum_pkt(const struct pkt *p, uint32_t off, uint32_t len,
		  uint32_t sum)
{
	bool odd = false;

	for (; p && len; p = p->next_seg) {
		if (off >= p->len) {
			off -= p->len;
			continue;
		}
		uint32_t n = MIN(len, p->len - off);
		uint32_t s = csum_partial(p->data + off, n, 0);
		if (odd) /* this piece starts at an odd byte: swap its sum */
			s = (uint16_t)((s >> 8) | (s << 8));
		sum = csum_fold(sum + s);
		odd ^= n & 1;
		len -= n;
		off = 0;
	}
	return sum;
}

void csum_replace2(uint8_t *field, uint16_t old_word, uint16_t new_word)
{
	uint16_t hc = get_be16(field);
	uint32_t s = (uint16_t)~hc + (uint16_t)~old_word + new_word;
	put_be16(field, (uint16_t)~csum_fold(s));
}

void csum_replace4(uint8_t *field, uint32_t old_word, uint32_t new_word)
{
	csum_replace2(field, (uint16_t)(old_word >> 16), (uint16_t)(new_word >> 16));
	csum_replace2(field, (uint16_t)old_word, (uint16_t)new_word);
}

int csum_complete_partial(struct pkt *p)
{
	uint32_t start = p->csum_start - pkt_headroom(p); /* from data */
	uint32_t field = start + p->csum_offset;
	uint16_t c;

	if (p->csum_start < pkt_headroom(p) || field + 2 > p->len ||
	    start > p->total_len)
		return -1;
	c = csum_finish(csum_pkt(p, start, p->total_len - start, 0));
	put_be16(p->data + field, c ? c : 0xffff);
	p->csum = PKT_CSUM_NONE;
	return 0;
}

bool csum_l4_ok(const struct pkt *p)
{
	uint32_t l4 = p->l4_off - pkt_headroom(p);
	uint32_t len, sum;

	if (p->csum == PKT_CSUM_UNNECESSARY || p->csum == PKT_CSUM_PARTIAL)
		return true;
	if (l4 > p->total_len)
		return false;
	len = p->total_len - l4;
	if (p->l3_family == AF_INET) {
		const uint8_t *ip = pkt_l3(p);
		uint32_t saddr, daddr;
		if (p->l4_proto == IPPROTO_UDP && len >= 8 &&
		    get_be16(pkt_l4(p) + 6) == 0)
			return true; /* no UDP checksum over IPv4 */
		memcpy(&saddr, ip + 12, 4);
		memcpy(&daddr, ip + 16, 4);
		sum = p->l4_proto == IPPROTO_ICMP
			      ? 0
			      : csum_pseudo4(saddr, daddr, p->l4_proto, len);
	} else {
		const uint8_t *ip6 = pkt_l3(p);
		sum = csum_pseudo6(ip6 + 8, ip6 + 24, p->l4_proto, len);
	}
	return csum_fold(csum_pkt(p, l4, len, sum)) == 0xffff;
}
