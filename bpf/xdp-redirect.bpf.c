// SPDX-License-Identifier: GPL-2.0
/* Placeholder: replaced by the steering program (issue 2, item 4). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_redirect_prog(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
