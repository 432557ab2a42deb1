/* Drop reasons: one X-macro table yields the enum and the names shown by
 * `usnetctl stats`. Every packet usnet discards is counted under one of these. */
#ifndef USNET_CORE_DROP_H
#define USNET_CORE_DROP_H

#define DROP_REASONS(X)                                                        \
	X(NONE, "none")                                                        \
	X(NOMEM, "nomem")                                                      \
	X(DEV_DOWN, "dev_down")                                                \
	X(RX_TRUNCATED, "rx_truncated")                                        \
	X(RX_RING_FULL, "rx_ring_full")                                        \
	X(RX_BAD_VNET_HDR, "rx_bad_vnet_hdr")                                  \
	X(ETH_TRUNCATED, "eth_truncated")                                      \
	X(ETH_OTHERHOST, "eth_otherhost")                                      \
	X(ETH_BAD_SRC, "eth_bad_src")                                          \
	X(ETH_UNKNOWN_PROTO, "eth_unknown_proto")                              \
	X(ETH_VLAN_NO_DEV, "eth_vlan_no_device")                               \
	X(BOND_INACTIVE_SLAVE, "bond_inactive_slave")                          \
	X(BOND_NO_SLAVE, "bond_no_active_slave")                               \
	X(BOND_OWN_SRC, "bond_own_src")                                        \
	X(FWD_L2_NOT_HOST, "fwd_l2_not_host")                                  \
	X(IP6_MCAST_NOT_JOINED, "ip6_mcast_not_joined")                        \
	X(IP6_SCOPE, "ip6_beyond_scope")                                       \
	X(L3_NOT_HANDLED, "l3_bcast_mcast_local")                              \
	X(ARP_MALFORMED, "arp_malformed")                                      \
	X(ARP_NOT_FOR_US, "arp_not_for_us")                                    \
	X(IP4_TRUNCATED, "ip4_truncated")                                      \
	X(IP4_BAD_VERSION, "ip4_bad_version")                                  \
	X(IP4_BAD_IHL, "ip4_bad_ihl")                                          \
	X(IP4_BAD_CSUM, "ip4_bad_csum")                                        \
	X(IP4_BAD_LEN, "ip4_bad_total_len")                                    \
	X(IP4_MARTIAN_SRC, "ip4_martian_src")                                  \
	X(IP4_MARTIAN_DST, "ip4_martian_dst")                                  \
	X(IP4_TTL_EXPIRED, "ip4_ttl_expired")                                  \
	X(IP4_NO_ROUTE, "ip4_no_route")                                        \
	X(IP4_FRAG_NEEDED, "ip4_frag_needed")                                  \
	X(IP4_FRAG_FAILED, "ip4_frag_failed")                                  \
	X(REASM_FAILED, "reasm_failed")                                        \
	X(REASM_TIMEOUT, "reasm_timeout")                                      \
	X(REASM_OVERLAP, "reasm_overlap")                                      \
	X(IP6_TRUNCATED, "ip6_truncated")                                      \
	X(IP6_BAD_VERSION, "ip6_bad_version")                                  \
	X(IP6_BAD_PLEN, "ip6_bad_payload_len")                                 \
	X(IP6_MARTIAN_SRC, "ip6_martian_src")                                  \
	X(IP6_MARTIAN_DST, "ip6_martian_dst")                                  \
	X(IP6_HOPLIMIT_EXPIRED, "ip6_hop_limit_expired")                       \
	X(IP6_NO_ROUTE, "ip6_no_route")                                        \
	X(IP6_TOO_BIG, "ip6_packet_too_big")                                   \
	X(IP6_BAD_EXTHDR, "ip6_bad_ext_header")                                \
	X(IP6_FRAG_FAILED, "ip6_frag_failed")                                  \
	X(ROUTE_BLACKHOLE, "route_blackhole")                                  \
	X(ROUTE_UNREACHABLE, "route_unreachable")                              \
	X(ROUTE_PROHIBIT, "route_prohibit")                                    \
	X(ICMP_MALFORMED, "icmp_malformed")                                    \
	X(ICMP_BAD_CSUM, "icmp_bad_csum")                                      \
	X(ICMP_UNHANDLED, "icmp_unhandled_type")                               \
	X(ND_MALFORMED, "nd_malformed")                                        \
	X(L4_BAD_CSUM, "l4_bad_csum")                                          \
	X(L4_NO_LISTENER, "l4_no_listener")                                    \
	X(NEIGH_QUEUE_FULL, "neigh_queue_full")                                \
	X(NEIGH_FAILED, "neigh_failed")                                        \
	X(NEIGH_NO_ENTRY, "neigh_no_entry")                                    \
	X(TX_RING_FULL, "tx_ring_full")                                        \
	X(TX_ERROR, "tx_error")                                                \
	X(TX_TOO_BIG, "tx_too_big")                                            \
	X(TX_CSUM_FAILED, "tx_csum_failed")                                    \
	X(GSO_FAILED, "gso_failed")                                            \
	X(BR_VLAN_FILTERED, "br_vlan_filtered")                                \
	X(BR_SAME_PORT, "br_same_port")                                        \
	X(BR_NO_PORT, "br_no_port")                                            \
	X(BOND_NOT_COLLECTING, "bond_not_collecting")                          \
	X(LACP_MALFORMED, "lacp_malformed")                                    \
	X(SLOW_PROTO_UNHANDLED, "slow_proto_unhandled")

enum drop_reason {
#define DROP_ENUM(id, name) DROP_##id,
	DROP_REASONS(DROP_ENUM)
#undef DROP_ENUM
	DROP_MAX
};

/* Name of a drop reason as shown to users; never NULL. */
const char *drop_name(enum drop_reason r);

/* Reverse lookup; returns DROP_MAX when the name is unknown. */
enum drop_reason drop_from_name(const char *name);

#endif
