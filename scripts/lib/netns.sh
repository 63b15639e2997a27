# Sourced by the interop tests: a network namespace holding the Linux kernel's end of a link, and
# mtcpp on the other end. Two kinds of link, chosen by the environment variable MTCPP_IO:
#   pcap (default)  a veth pair: the kernel's end in the namespace, mtcpp's end (no address) left
#                   in this namespace, where mtcpp runs with io = pcap
#   dpdk            a persistent tap in the namespace, which DPDK's net_tap PMD attaches to: mtcpp
#                   runs inside the namespace with io = dpdk (--no-huge --no-pci)
#
#   netns_require_root              exits 77 (CTest: skipped) with a message when not root
#   netns_up TAG                    creates namespace mtcpp-TAG and the link: mtTAGk is the
#                                   kernel's end (10.77.0.2/24), mtTAGm mtcpp's veth end; removes
#                                   all of it on exit, even on failure or a signal
#   in_ns CMD...                    runs CMD inside the namespace
#   "${MTCPP_RUN[@]}" CMD...        runs an mtcpp program where its link is (the same process:
#                                   $! of a background launch is the program's pid)
#   kernel_link_up                  makes sure the kernel's end is up (DPDK sets the tap down
#                                   when a process closes it; tcpdump needs it up)
#   mtcpp_conf FILE [KEY=VALUE...]  writes an mtcp.conf for mtcpp on the link (10.77.0.1/24),
#                                   num_cores = MTCPP_CORES (default 1; more only with dpdk:
#                                   the tap's queues, one per core, steered by mtcpp)
#
# TAG must be short (interface names have 15 characters at most) and unique among tests running
# at the same time: the tests use their process id.
# Segmentation and checksum offloads are turned off on both ends: the kernel would otherwise hand
# mtcpp 64 KB segments and segments without checksums, which no wire carries.

MTCPP_IP=10.77.0.1
KERNEL_IP=10.77.0.2
MTCPP_MAC=02:00:00:77:00:01

netns_require_root() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "SKIPPED: needs root (network namespaces, veth pairs or taps, live capture)"
    exit 77
  fi
  case ${MTCPP_IO:-pcap} in
    pcap | dpdk) ;;
    *) echo "MTCPP_IO=$MTCPP_IO: must be pcap or dpdk" >&2; exit 2 ;;
  esac
}

netns_down() {
  [[ -n ${NETNS_NAME:-} ]] || return 0
  ip netns pids "$NETNS_NAME" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip link del "$NETNS_IF_M" 2>/dev/null || true
  ip -n "$NETNS_NAME" link del "$NETNS_IF_K" 2>/dev/null || true
  ip netns del "$NETNS_NAME" 2>/dev/null || true
  NETNS_NAME=
}

netns_up() {
  local tag=$1
  NETNS_NAME=mtcpp-$tag
  NETNS_IF_M=mt${tag}m
  NETNS_IF_K=mt${tag}k
  netns_down_saved=$NETNS_NAME
  trap 'netns_down' EXIT
  trap 'exit 130' INT TERM
  ip link del "$NETNS_IF_M" 2>/dev/null || true
  ip netns del "$NETNS_NAME" 2>/dev/null || true
  ip netns add "$NETNS_NAME"
  ip -n "$NETNS_NAME" link set lo up
  MTCPP_RUN=()
  if [[ ${MTCPP_IO:-pcap} == dpdk ]]; then
    MTCPP_RUN=(ip netns exec "$NETNS_NAME")
    # multi_queue: the flags net_tap opens a tap with, so that it attaches to this one.
    ip -n "$NETNS_NAME" tuntap add dev "$NETNS_IF_K" mode tap multi_queue
    ip -n "$NETNS_NAME" addr add "$KERNEL_IP/24" dev "$NETNS_IF_K"
    ip netns exec "$NETNS_NAME" sysctl -q -w "net.ipv6.conf.$NETNS_IF_K.disable_ipv6=1"
    ip -n "$NETNS_NAME" link set "$NETNS_IF_K" up
    return
  fi
  ip link add "$NETNS_IF_M" type veth peer name "$NETNS_IF_K"
  ip link set "$NETNS_IF_K" netns "$NETNS_NAME"
  ip -n "$NETNS_NAME" addr add "$KERNEL_IP/24" dev "$NETNS_IF_K"
  ip netns exec "$NETNS_NAME" sysctl -q -w "net.ipv6.conf.$NETNS_IF_K.disable_ipv6=1"
  ip netns exec "$NETNS_NAME" ethtool -K "$NETNS_IF_K" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
  ip -n "$NETNS_NAME" link set "$NETNS_IF_K" up
  sysctl -q -w "net.ipv6.conf.$NETNS_IF_M.disable_ipv6=1"
  ethtool -K "$NETNS_IF_M" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
  ip link set "$NETNS_IF_M" up promisc on
}

in_ns() { ip netns exec "$NETNS_NAME" "$@"; }

kernel_link_up() { ip -n "$NETNS_NAME" link set "$NETNS_IF_K" up; }

mtcpp_conf() {
  local file=$1
  shift
  {
    if [[ ${MTCPP_IO:-pcap} == dpdk ]]; then
      echo "io = dpdk"
      echo "port = dpdk0"
      echo "dpdk_args = --no-huge -m 256 --no-pci --vdev=net_tap0,iface=$NETNS_IF_K"
      echo "stat_print = dpdk0"
    else
      echo "io = pcap"
      echo "port = $NETNS_IF_M"
      echo "stat_print = $NETNS_IF_M"
    fi
    echo "num_cores = ${MTCPP_CORES:-1}"
    echo "address = $MTCPP_IP/24"
    echo "mac = $MTCPP_MAC"
    for kv in "$@"; do echo "${kv/=/ = }"; done
  } >"$file"
}
