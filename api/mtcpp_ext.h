/* mtcpp's additions to mTCP's API, for programs that embed or test a context: a manual clock,
 * one step of the stack, and the frames of a context built with `io = host`. Everything else is
 * in mtcp_api.h and mtcp_epoll.h. */
#ifndef MTCPP_EXT_H
#define MTCPP_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "mtcp_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Like mtcp_init, from the text of a configuration file (file_name is used in error messages). */
int mtcpp_init_text(const char *config_text, const char *file_name);

/* The context's clock in microseconds. */
int64_t mtcpp_now_us(mctx_t mctx);
/* Sets a manual clock (`clock = manual`); time never goes back. EINVAL for a real clock. */
int mtcpp_set_time_us(mctx_t mctx, int64_t now_us);
/* Runs the stack once (receive, timers, transmit); returns its next deadline in microseconds,
 * INT64_MAX for none, or -1 with errno. */
int64_t mtcpp_poll(mctx_t mctx);

/* With `io = host`: hand the context a frame (0, or -1 with errno ENOBUFS/EMSGSIZE), and take the
 * next frame it sent (its length, 0 when none, -1 with EMSGSIZE when cap is too small). */
int mtcpp_push_frame(mctx_t mctx, const void *frame, size_t len);
long mtcpp_pop_frame(mctx_t mctx, void *buf, size_t cap);

/* One context's traffic, for statistics lines such as mTCP's per-second "[CPU n]" lines: frames
 * and bytes (Ethernet, headers included) each way since the context was created, frames dropped
 * on the way in (malformed, bad checksums, the device's own drops) and out (no buffer, device
 * full or failing), the connections in use now other than those in TIME_WAIT (listeners count),
 * and those in TIME_WAIT. Call it from the context's thread. */
struct mtcpp_stats {
  uint64_t rx_frames, rx_bytes, rx_dropped;
  uint64_t tx_frames, tx_bytes, tx_dropped;
  uint64_t flows, time_wait;
};
int mtcpp_get_stats(mctx_t mctx, struct mtcpp_stats *out);

/* Every counter of the context's stack (core/stats.h: drops by reason, retransmissions, loss
 * probes ...) by name: its value in *value, 0; or -1 with errno (ENOENT: no such counter,
 * EFAULT: a null pointer). mtcpp_counter_name(i) names counter i, for i = 0, 1, ... until it
 * returns NULL. With io = dpdk, "dpdk.NAME" reads the context's queue (dpdk.rx_steered_out,
 * dpdk.rx_steered_in, dpdk.rx_arp_copies, dpdk.rx_bad_checksum ...: backends/dpdk/dpdk_port.h)
 * and "port.NAME" the PMD's extended statistic NAME (e.g. port.rx_good_packets); those are not
 * enumerated here. Call them from the context's thread. */
int mtcpp_get_counter(mctx_t mctx, const char *name, uint64_t *value);
const char *mtcpp_counter_name(size_t i);

/* The name of the port the context runs on (`port` as configured for io = pcap and io = dpdk;
 * "memory" or "host" otherwise), NUL-terminated in name[cap], and in *printed whether mtcp.conf's stat_print
 * names it. 0, or -1 with errno (ERANGE: cap too small). */
int mtcpp_port_info(mctx_t mctx, char *name, size_t cap, int *printed);

/* One interface of the context (with io = dpdk and several ports, interface i is the i-th port
 * named): its port's name and whether stat_print names it, as mtcpp_port_info, and in *out the
 * frames and bytes that went through it and its drops (flows and time_wait are the whole
 * context's). 0, or -1 with errno (ENOENT: i is past the last interface; ERANGE: cap too small;
 * EFAULT: a null pointer). Call it from the context's thread. */
int mtcpp_interface_stats(mctx_t mctx, size_t i, char *name, size_t cap, int *printed, struct mtcpp_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* MTCPP_EXT_H */
