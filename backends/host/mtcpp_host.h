/* The host C API: one mtcpp stack driven by frames, time and socket calls alone.
 *
 * The embedding program (a test harness, fuzzer, packet-script tool or simulator) is both the
 * wire and the clock. It pushes Ethernet frames in, pops the frames the stack sent, and passes
 * the current time to every call that may act on it. The stack never reads a clock, sleeps or
 * makes a system call, so the same inputs give the same outputs, every run.
 *
 *   mtcpp_host_config cfg;
 *   mtcpp_host_config_init(&cfg);
 *   cfg.address = mtcpp_host_ipv4(10, 0, 0, 1);
 *   memcpy(cfg.mac, (uint8_t[6]){2, 0, 0, 0, 0, 1}, 6);
 *   char err[128];
 *   mtcpp_host* h = mtcpp_host_create(&cfg, err, sizeof err);
 *   ...  loop: mtcpp_host_push_frame / mtcpp_host_poll(h, now) / mtcpp_host_pop_frame
 *   mtcpp_host_destroy(h);
 *
 * Conventions, for every function below:
 *  - Errors are negative errno values from <errno.h> (-EINVAL, -EAGAIN, ...); success is >= 0.
 *    Socket calls return exactly what the stack's own calls return; the API adds only -EINVAL
 *    for its own argument checks.
 *  - A NULL pointer argument is -EINVAL (or a NULL return), never a crash. The exceptions are
 *    the optional outputs that say so, and mtcpp_host_destroy(NULL), which does nothing.
 *  - Time is microseconds on the caller's clock, any origin, >= 0 and never decreasing from one
 *    call to the next on the same stack; a negative or earlier time is -EINVAL.
 *  - IPv4 addresses are uint32_t in host byte order (10.0.0.1 is 0x0a000001), ports likewise.
 *  - One stack is used from one thread at a time; separate stacks are independent.
 *  - Running out of memory inside a call aborts the process, as it does in the C++ core; only
 *    mtcpp_host_create reports it (NULL and a message).
 */
#ifndef MTCPP_HOST_H
#define MTCPP_HOST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define MTCPP_HOST_NOEXCEPT noexcept
extern "C" {
#else
#define MTCPP_HOST_NOEXCEPT
#endif

typedef struct mtcpp_host mtcpp_host;

/* An IPv4 address from its dotted-quad parts, in host byte order. */
static inline uint32_t mtcpp_host_ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return ((uint32_t)a << 24) | ((uint32_t)b << 16) | ((uint32_t)c << 8) | (uint32_t)d;
}

/* ---- configuration ---------------------------------------------------------------------------
 * Fill with mtcpp_host_config_init, then set at least address and mac. Every duration is in
 * microseconds. The defaults are the core's (core/config.h) unless noted. Fields are only ever
 * added at the struct's end. */
typedef struct mtcpp_host_config {
  uint32_t address;        /* required: a unicast IPv4 address */
  int prefix_len;          /* 24 */
  uint32_t gateway;        /* 0: no default route; else inside the subnet */
  uint8_t mac[6];          /* required: a unicast MAC, e.g. 02:00:00:00:00:01 */
  uint16_t mtu;            /* IP MTU, 576..9000; 1500 */
  uint64_t seed;           /* without a secret, ISNs, ports, timestamp offsets and IP ids derive
                              from it (reproducible, so predictable); 1 */
  uint32_t frame_buffers;  /* frames queued in and out at once, 16..65536; 4096 */
  int gratuitous_arp;      /* mtcpp_host_start announces the address; 1 */

  /* TCP */
  uint32_t send_buffer;    /* bytes per socket, 2 KiB..1 GiB; 256 KiB */
  uint32_t receive_buffer; /* bytes per socket, 2 KiB..1 GiB; 256 KiB */
  int64_t rto_initial_us;  /* 1 s */
  int64_t rto_min_us;      /* 200 ms */
  int64_t rto_max_us;      /* 60 s */
  int64_t delayed_ack_us;  /* 0..500 ms; 40 ms */
  int64_t time_wait_us;    /* 2 MSL; 60 s */
  int nagle;               /* default for new sockets (MTCPP_HOST_OPT_NODELAY turns it off); 1 */
  int window_scaling;      /* offered in SYNs; 1 */
  int sack;                /* offered in SYNs; 1 */
  int timestamps;          /* offered in SYNs; 1 */
  uint32_t max_connections; /* connection blocks, listeners and TIME_WAIT included, 1..16777216;
                               10000. At the cap the oldest orphan in TIME_WAIT makes room; with
                               none, mtcpp_host_socket gives -ENFILE and a SYN to a listener is
                               answered with an RST (counter tcp_table_full_resets) */
  uint32_t max_orphans;    /* closed connections still finishing; past it the oldest is reset
                              (tcp_orphans_reset); 65536 */
  uint64_t buffer_memory_limit; /* bytes all socket buffers together may hold; past it they grow no
                              further, each keeping 512 bytes at least (core/tcp/buffer_memory.h);
                              1 GiB; 0: no limit */
  int64_t idle_timeout_us; /* a connection that hears nothing from its peer this long is reset
                              (ETIMEDOUT, tcp_idle_timeouts); 0: never (mTCP's tcp_timeout);
                              at most a year */
  int64_t zero_window_timeout_us; /* a connection whose peer keeps its window closed this long while
                              data waits is reset (ETIMEDOUT, tcp_zero_window_resets); 0: never;
                              at most a year */
  uint8_t secret[16];      /* 128 bits from the embedder's random source (getrandom(2)) to key
                              ISNs, ports and timestamp offsets, so that no outsider can compute
                              them (RFC 6528 §3); all zero: none, the seed decides (tests,
                              simulation, replay). mtcpp_host_rekey replaces it. */
  int mtu_probing;         /* RFC 4821 path MTU discovery where ICMP is filtered, Linux's values:
                              0 off, 1 once full-size segments time out repeatedly, 2 from the
                              start (core/tcp/path_mtu.h); 1 */
} mtcpp_host_config;

/* Fills *cfg with the defaults; address and mac are left zero. NULL is ignored. */
void mtcpp_host_config_init(mtcpp_host_config* cfg) MTCPP_HOST_NOEXCEPT;

/* ---- lifecycle ------------------------------------------------------------------------------- */

/* A new stack, or NULL when cfg is NULL or invalid or memory ran out. The reason is then written
 * to err (NUL-terminated, truncated to errlen bytes) starting with the offending field's name,
 * e.g. "mtu: must be 576..9000". err may be NULL or errlen 0 to skip the message. */
mtcpp_host* mtcpp_host_create(const mtcpp_host_config* cfg, char* err, size_t errlen) MTCPP_HOST_NOEXCEPT;
/* Frees the stack, its sockets and every queued frame. NULL does nothing. */
void mtcpp_host_destroy(mtcpp_host* h) MTCPP_HOST_NOEXCEPT;
/* Optional: sends a gratuitous ARP for the address if cfg.gratuitous_arp (RFC 5227 §3). 0 or -EINVAL. */
int mtcpp_host_start(mtcpp_host* h, int64_t now_us) MTCPP_HOST_NOEXCEPT;
/* A new 128-bit secret for ISNs, ephemeral ports and SYN cookies at now_us (RFC 6528 §3 lets it
 * change; cookies sent under the one before still validate for the two minutes a cookie lives;
 * timestamp offsets keep the first key, so a tuple's timestamps keep growing; a stack created
 * without a secret keeps its seed-derived, predictable timestamp offsets). 0, or -EINVAL for a
 * NULL argument, an all-zero secret or a bad time. */
int mtcpp_host_rekey(mtcpp_host* h, const uint8_t secret[16], int64_t now_us) MTCPP_HOST_NOEXCEPT;

/* ---- frames ----------------------------------------------------------------------------------
 * Whole Ethernet frames: destination MAC first, no preamble, no FCS. */

/* Queues a received frame for the next mtcpp_host_poll. 0; -EMSGSIZE when it is longer than the
 * stack's frame buffers (mtu + 14 bytes, at least 2048); -ENOBUFS when all frame_buffers are in
 * use (pop what the stack sent, or poll). */
int mtcpp_host_push_frame(mtcpp_host* h, const void* frame, size_t len) MTCPP_HOST_NOEXCEPT;
/* Copies the oldest frame the stack sent into buf and dequeues it: its length, 0 when there is
 * none, or -EMSGSIZE when it is longer than cap (it then stays queued; mtcpp_host_pending_frame
 * tells the room needed). */
long mtcpp_host_pop_frame(mtcpp_host* h, void* buf, size_t cap) MTCPP_HOST_NOEXCEPT;
/* The length of the frame mtcpp_host_pop_frame would return next, 0 when none, or -EINVAL. */
long mtcpp_host_pending_frame(const mtcpp_host* h) MTCPP_HOST_NOEXCEPT;

/* ---- time ------------------------------------------------------------------------------------ */

/* Processes the pushed frames, runs the timers due at now_us, queues what the stack sends, and
 * returns when it next needs a poll: an absolute time in µs, INT64_MAX when only a new frame or a
 * socket call can wake it. -EINVAL for a bad handle or time. */
int64_t mtcpp_host_poll(mtcpp_host* h, int64_t now_us) MTCPP_HOST_NOEXCEPT;
/* When the stack next needs a poll, as mtcpp_host_poll returns it (a socket call may have moved
 * it since), or -EINVAL. */
int64_t mtcpp_host_next_deadline(const mtcpp_host* h) MTCPP_HOST_NOEXCEPT;

/* ---- sockets ---------------------------------------------------------------------------------
 * TCP only; ids are small non-negative ints. Calls never block: -EAGAIN means "poll and retry".
 * Segments a call causes are queued for mtcpp_host_pop_frame before it returns. */

enum {
  MTCPP_HOST_SHUT_RD = 0, /* as POSIX SHUT_RD, SHUT_WR, SHUT_RDWR */
  MTCPP_HOST_SHUT_WR = 1,
  MTCPP_HOST_SHUT_RDWR = 2
};
enum { MTCPP_HOST_PEEK = 1 }; /* mtcpp_host_recv flag: leave the bytes in the buffer */

/* Readiness bits, with Linux epoll's values. */
enum {
  MTCPP_HOST_IN = 0x001,
  MTCPP_HOST_OUT = 0x004,
  MTCPP_HOST_ERR = 0x008,
  MTCPP_HOST_HUP = 0x010,
  MTCPP_HOST_RDHUP = 0x2000
};

/* Socket options (mtcpp_host_setsockopt / getsockopt). */
enum {
  MTCPP_HOST_OPT_NODELAY = 1,      /* 1: send small segments at once (no Nagle) */
  MTCPP_HOST_OPT_KEEPALIVE = 2,
  MTCPP_HOST_OPT_LINGER_ABORT = 3, /* 1: close() sends RST, like SO_LINGER with time 0 */
  MTCPP_HOST_OPT_ERROR = 4,        /* get only: the pending error (positive errno), cleared */
  MTCPP_HOST_OPT_SNDBUF = 5,
  MTCPP_HOST_OPT_RCVBUF = 6,
  MTCPP_HOST_OPT_MAXSEG = 7
};

int mtcpp_host_socket(mtcpp_host* h, int64_t now_us) MTCPP_HOST_NOEXCEPT;
int mtcpp_host_bind(mtcpp_host* h, int s, uint32_t addr, uint16_t port) MTCPP_HOST_NOEXCEPT;
int mtcpp_host_listen(mtcpp_host* h, int s, int backlog) MTCPP_HOST_NOEXCEPT;
/* A connected socket's id. peer_addr and peer_port may be NULL when the peer is not wanted. */
int mtcpp_host_accept(mtcpp_host* h, int s, uint32_t* peer_addr, uint16_t* peer_port) MTCPP_HOST_NOEXCEPT;
/* Starts the handshake: 0, after which the socket becomes writable (MTCPP_HOST_OUT) once
 * connected, or reports the failure in MTCPP_HOST_ERR and MTCPP_HOST_OPT_ERROR. */
int mtcpp_host_connect(mtcpp_host* h, int s, uint32_t addr, uint16_t port, int64_t now_us) MTCPP_HOST_NOEXCEPT;
/* Bytes taken into the send buffer (maybe fewer than len), or -errno. */
long mtcpp_host_send(mtcpp_host* h, int s, const void* data, size_t len, int64_t now_us) MTCPP_HOST_NOEXCEPT;
/* Bytes read, 0 at end of stream, -EAGAIN when none yet, or -errno. flags: 0 or MTCPP_HOST_PEEK. */
long mtcpp_host_recv(mtcpp_host* h, int s, void* buf, size_t cap, int flags, int64_t now_us) MTCPP_HOST_NOEXCEPT;
int mtcpp_host_shutdown(mtcpp_host* h, int s, int how, int64_t now_us) MTCPP_HOST_NOEXCEPT;
/* Graceful close; the id is free for reuse once this returns 0. */
int mtcpp_host_close(mtcpp_host* h, int s, int64_t now_us) MTCPP_HOST_NOEXCEPT;
/* Closes with a RST and drops both buffers. */
int mtcpp_host_abort(mtcpp_host* h, int s, int64_t now_us) MTCPP_HOST_NOEXCEPT;
/* The MTCPP_HOST_IN/OUT/... bits now set (0 for an id that is not open), or -EINVAL. */
int mtcpp_host_readiness(const mtcpp_host* h, int s) MTCPP_HOST_NOEXCEPT;
int mtcpp_host_setsockopt(mtcpp_host* h, int s, int option, int value) MTCPP_HOST_NOEXCEPT;
int mtcpp_host_getsockopt(mtcpp_host* h, int s, int option, int* value) MTCPP_HOST_NOEXCEPT;
/* The socket's own and its peer's address and port. */
int mtcpp_host_local_endpoint(const mtcpp_host* h, int s, uint32_t* addr, uint16_t* port) MTCPP_HOST_NOEXCEPT;
int mtcpp_host_remote_endpoint(const mtcpp_host* h, int s, uint32_t* addr, uint16_t* port) MTCPP_HOST_NOEXCEPT;

/* ---- counters --------------------------------------------------------------------------------
 * The stack's counters (core/stats.h) by name, e.g. "frames_sent", "tcp_retransmissions",
 * "tcp_connections_in_use", "tcp_time_wait". */

/* 0 and *value set; -ENOENT for an unknown name; -EINVAL for a NULL argument. */
int mtcpp_host_stats(const mtcpp_host* h, const char* name, uint64_t* value) MTCPP_HOST_NOEXCEPT;
/* The name of counter i, for i = 0, 1, ... until it returns NULL. */
const char* mtcpp_host_stats_name(size_t i) MTCPP_HOST_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* MTCPP_HOST_H */
