// SPDX-License-Identifier: GPL-2.0
/*
 * Load generator program for BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES.
 *
 * In live-frames mode the kernel runs this program once per frame on a page-pool
 * page initialised from data_in, and XDP_TX sends the frame out of the device the
 * test run names in ctx_in.ingress_ifindex (for a veth: to its peer's XDP/NAPI).
 *
 * Pages are recycled without being re-initialised, and a forwarder that
 * receives the frame as an skb (kernel forwarding) rewrites MACs and TTL in place
 * in the very same page. So the first HDR_BYTES are rewritten from the template
 * on every run; the payload behind them is never touched by anyone.
 *
 * With flows > 1 the UDP source port cycles through base .. base+flows-1 and the
 * UDP checksum is updated incrementally (RFC 1624, eqn. 3).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define HDR_BYTES 64 /* >= Ethernet + IPv6 + UDP (62); the minimum frame size */

struct gen_config {
	__u8 header[HDR_BYTES]; /* first bytes of the frame, checksums valid for port base */
	__u32 flows;            /* distinct UDP source ports; <= 1 = no variation */
	__u16 sport_base;       /* host order */
	__u16 reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gen_config);
} gen_config SEC(".maps");

/* Per-CPU frame sequence: selects the flow without atomics. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} gen_sequence SEC(".maps");

static __always_inline __u16 csum_replace16(__u16 check, __u16 old, __u16 new)
{
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'); works in network order as is. */
	__u32 sum = (__u16)~check + (__u16)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	check = (__u16)~sum;
	/* RFC 768: a computed zero is sent as all ones (zero means "no checksum"). */
	return check ? check : 0xffff;
}

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 key = 0;

	if (data + HDR_BYTES > data_end)
		return XDP_ABORTED;

	struct gen_config *cfg = bpf_map_lookup_elem(&gen_config, &key);
	if (!cfg)
		return XDP_ABORTED;
	__builtin_memcpy(data, cfg->header, HDR_BYTES);

	if (cfg->flows > 1) {
		__u64 *seq = bpf_map_lookup_elem(&gen_sequence, &key);
		if (!seq)
			return XDP_ABORTED;
		__u16 port = bpf_htons(cfg->sport_base + (__u16)(*seq % cfg->flows));
		(*seq)++;

		/* UDP header right behind a 20-byte IPv4 or 40-byte IPv6 header. */
		__u16 *udp = ((struct ethhdr *)data)->h_proto == bpf_htons(ETH_P_IPV6)
			? data + 14 + 40 : data + 14 + 20;
		__u16 old = udp[0];
		udp[0] = port;
		udp[3] = csum_replace16(udp[3], old, port);
	}
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
