// SPDX-License-Identifier: GPL-2.0
/*
 * Packet sink: counts every frame (packets and bytes) in a per-CPU counter, so the
 * hot path needs no atomics, then drops it (xdp_sink_drop) or hands it to the
 * kernel (xdp_sink_pass). Userspace sums the CPUs once per second.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct sink_counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sink_counters);
} sink_counters SEC(".maps");

static __always_inline void count(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct sink_counters *c = bpf_map_lookup_elem(&sink_counters, &key);

	if (c) {
		c->packets++;
		c->bytes += ctx->data_end - ctx->data;
	}
}

SEC("xdp")
int xdp_sink_drop(struct xdp_md *ctx)
{
	count(ctx);
	return XDP_DROP;
}

SEC("xdp")
int xdp_sink_pass(struct xdp_md *ctx)
{
	count(ctx);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
