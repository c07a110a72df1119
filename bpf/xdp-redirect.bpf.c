// SPDX-License-Identifier: GPL-2.0
/*
 * xdp-redirect.bpf.c - XDP steering for XdpNet.
 *
 * Decides per frame whether the userspace data plane owns it. Owned frames are
 * redirected into the AF_XDP socket bound to the frame's RX queue (xsks_map);
 * everything else, and owned frames for a queue with no socket, go to the
 * kernel stack (XDP_PASS), so the host keeps its own ARP/NDP, SSH, ...
 *
 * Modes (steer_cfg.mode):
 *   STEER_MODE_PASS_ALL (0)  every frame to the kernel
 *   STEER_MODE_OWN_ALL  (1)  every frame to the data plane
 *   STEER_MODE_RULES    (2)  the rules below; first match wins, in this order:
 *     1. UDP destination port in steer_udp_ports               -> own
 *        (before the prefixes, so VXLAN to the host's own VTEP address is
 *        owned even though that address has a "pass" /32 for the kernel)
 *     2. longest-prefix match of the IPv4/IPv6 destination in
 *        steer_v4 / steer_v6: action OWN -> own, PASS -> kernel
 *     3. ethertype (after up to two VLAN tags) in steer_ethertypes -> own
 *     4. otherwise                                              -> kernel
 *
 * Parsing limits, mirrored exactly by Xdp.Runtime.Bpf.SteeringDecider:
 *   - at most two 802.1Q / 802.1ad tags are skipped (constant bound for the
 *     verifier); a third tag leaves the ethertype at 0x8100/0x88a8.
 *   - IPv4: version must be 4, IHL >= 5 and the whole IHL within the frame;
 *     UDP is looked at only in the first fragment (RFC 791 fragment offset 0),
 *     later fragments carry no UDP header and fall through to the prefixes.
 *   - IPv6: version must be 6; UDP only when the fixed header's Next Header is
 *     17 (RFC 8200 section 4: extension headers are not walked; the data plane
 *     emits no extension headers for VXLAN, and a frame with them is decided
 *     by its destination prefix).
 *   - a frame too short for the header it claims is passed to the kernel and
 *     counted as malformed.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define STEER_MODE_PASS_ALL	0
#define STEER_MODE_OWN_ALL	1
#define STEER_MODE_RULES	2

#define STEER_ACTION_OWN	1
#define STEER_ACTION_PASS	2

/* Indexes of xdp_stats (mirrored by Xdp.Runtime.Bpf.SteeringCounters). */
#define STAT_REDIRECTED		0	/* handed to the AF_XDP socket of the queue */
#define STAT_PASS_NOT_OWNED	1	/* not ours: kernel */
#define STAT_PASS_NO_SOCKET	2	/* ours, but no socket on this queue: kernel */
#define STAT_PASS_MALFORMED	3	/* too short for its headers: kernel */
#define STAT_COUNT		4

#define MAX_VLAN_TAGS		2

/* Own ARP requests (op 1) but leave ARP replies to the kernel: the data plane answers requests for the
 * addresses it routes, while the kernel still resolves its own next hops. Checked before the ethertype rule;
 * an ARP header too short to hold the operation falls through to it. */
#define STEER_FLAG_OWN_ARP_REQUESTS 1u

struct steer_cfg {
	__u32 mode;
	__u32 flags;	/* STEER_FLAG_*; zero = none */
};

struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct lpm_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct steer_cfg);
} steer_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);	/* ethertype, network order */
	__type(value, __u8);
} steer_ethertypes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4_key);
	__type(value, __u8);
} steer_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v6_key);
	__type(value, __u8);
} steer_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u16);	/* UDP destination port, network order */
	__type(value, __u8);
} steer_udp_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} xdp_stats SEC(".maps");

enum steer_decision {
	DECIDE_OWN,
	DECIDE_PASS,
	DECIDE_MALFORMED,
	DECIDE_NEXT,	/* no IP rule matched: the ethertype rule decides */
};

static __always_inline int count(__u32 index, int verdict)
{
	__u64 *counter = bpf_map_lookup_elem(&xdp_stats, &index);

	if (counter)
		*counter += 1;	/* per-CPU slot: no atomic needed */
	return verdict;
}

static __always_inline int udp_port_owned(void *l4, void *data_end)
{
	struct udphdr *udp = l4;
	__u16 port;
	__u8 *own;

	if ((void *)(udp + 1) > data_end)
		return -1;
	port = udp->dest;
	own = bpf_map_lookup_elem(&steer_udp_ports, &port);
	return own && *own == STEER_ACTION_OWN;
}

/* Returns the LPM action for the destination, 0 when no prefix matches. */
static __always_inline __u8 lpm_v4(__u32 daddr)
{
	struct lpm_v4_key key = { .prefixlen = 32 };
	__u8 *action;

	__builtin_memcpy(key.addr, &daddr, 4);
	action = bpf_map_lookup_elem(&steer_v4, &key);
	return action ? *action : 0;
}

static __always_inline __u8 lpm_v6(const struct in6_addr *daddr)
{
	struct lpm_v6_key key = { .prefixlen = 128 };
	__u8 *action;

	__builtin_memcpy(key.addr, daddr, 16);
	action = bpf_map_lookup_elem(&steer_v6, &key);
	return action ? *action : 0;
}

static __always_inline enum steer_decision decide_ipv4(void *l3, void *data_end)
{
	struct iphdr *ip = l3;
	__u32 ihl;
	__u8 action;

	if ((void *)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5)
		return DECIDE_MALFORMED;
	ihl = ip->ihl * 4;
	if (l3 + ihl > data_end)
		return DECIDE_MALFORMED;

	/* RFC 791: only the fragment with offset 0 carries the UDP header. */
	if (ip->protocol == IPPROTO_UDP && (ip->frag_off & bpf_htons(0x1fff)) == 0) {
		int owned = udp_port_owned(l3 + ihl, data_end);

		if (owned < 0)
			return DECIDE_MALFORMED;
		if (owned)
			return DECIDE_OWN;
	}

	action = lpm_v4(ip->daddr);
	if (action == STEER_ACTION_OWN)
		return DECIDE_OWN;
	if (action == STEER_ACTION_PASS)
		return DECIDE_PASS;
	return DECIDE_NEXT;
}

static __always_inline enum steer_decision decide_ipv6(void *l3, void *data_end)
{
	struct ipv6hdr *ip6 = l3;
	__u8 action;

	if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
		return DECIDE_MALFORMED;

	/* RFC 8200 section 4: extension headers are not walked (see top). */
	if (ip6->nexthdr == IPPROTO_UDP) {
		int owned = udp_port_owned(ip6 + 1, data_end);

		if (owned < 0)
			return DECIDE_MALFORMED;
		if (owned)
			return DECIDE_OWN;
	}

	action = lpm_v6(&ip6->daddr);
	if (action == STEER_ACTION_OWN)
		return DECIDE_OWN;
	if (action == STEER_ACTION_PASS)
		return DECIDE_PASS;
	return DECIDE_NEXT;
}

static __always_inline enum steer_decision decide_rules(struct xdp_md *ctx, __u32 flags)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *cursor;
	__u16 proto;
	__u8 *own;
	enum steer_decision d = DECIDE_NEXT;
	int i;

	if ((void *)(eth + 1) > data_end)
		return DECIDE_MALFORMED;
	proto = eth->h_proto;
	cursor = eth + 1;

	/* IEEE 802.1Q: TPID, then TCI (2 bytes) and the inner ethertype (2 bytes). */
#pragma unroll
	for (i = 0; i < MAX_VLAN_TAGS; i++) {
		__u16 *tag = cursor;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(tag + 2) > data_end)
			return DECIDE_MALFORMED;
		proto = tag[1];
		cursor = tag + 2;
	}

	if (proto == bpf_htons(ETH_P_IP))
		d = decide_ipv4(cursor, data_end);
	else if (proto == bpf_htons(ETH_P_IPV6))
		d = decide_ipv6(cursor, data_end);
	if (d != DECIDE_NEXT)
		return d;

	if (proto == bpf_htons(ETH_P_ARP) && (flags & STEER_FLAG_OWN_ARP_REQUESTS)) {
		__u16 *op = cursor + 6; /* RFC 826: hrd, pro, hln, pln, then op */

		if ((void *)(op + 1) <= data_end && *op == bpf_htons(1))
			return DECIDE_OWN;
	}

	own = bpf_map_lookup_elem(&steer_ethertypes, &proto);
	if (own && *own == STEER_ACTION_OWN)
		return DECIDE_OWN;
	return DECIDE_PASS;
}

SEC("xdp")
int xdp_redirect_prog(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct steer_cfg *cfg = bpf_map_lookup_elem(&steer_cfg, &zero);
	enum steer_decision d;
	long ret;

	if (!cfg || cfg->mode == STEER_MODE_PASS_ALL)
		return count(STAT_PASS_NOT_OWNED, XDP_PASS);

	d = cfg->mode == STEER_MODE_OWN_ALL ? DECIDE_OWN : decide_rules(ctx, cfg->flags);
	if (d == DECIDE_MALFORMED)
		return count(STAT_PASS_MALFORMED, XDP_PASS);
	if (d != DECIDE_OWN)
		return count(STAT_PASS_NOT_OWNED, XDP_PASS);

	/* The lower bits of flags are the action when the queue has no socket. */
	ret = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
	if (ret == XDP_REDIRECT)
		return count(STAT_REDIRECTED, XDP_REDIRECT);
	return count(STAT_PASS_NO_SOCKET, XDP_PASS);
}

char _license[] SEC("license") = "GPL";
