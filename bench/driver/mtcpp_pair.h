// Two mtcpp stacks joined by the lock-free memory pipe (backends/memory/memory_pipe.h), configured
// for benchmarking: room for every connection a run opens (TIME_WAIT included) and the widest
// ephemeral port range. The server is 10.0.0.1, the client 10.0.0.2.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>

#include "backends/memory/memory_pipe.h"
#include "core/stack.h"

namespace bench {

inline const mtcpp::Ipv4Addr kServerAddress = mtcpp::Ipv4Addr::of(10, 0, 0, 1);
inline const mtcpp::Ipv4Addr kClientAddress = mtcpp::Ipv4Addr::of(10, 0, 0, 2);

struct MtcppPair {
  MtcppPair(std::uint16_t mtu, bool checksum_offload)
      : pipe(port_config(mtu, checksum_offload, 1), port_config(mtu, checksum_offload, 2)),
        server(make(kServerAddress, 1, pipe.a())),
        client(make(kClientAddress, 2, pipe.b())) {}

  static mtcpp::MemoryPortConfig port_config(std::uint16_t mtu, bool checksum_offload, std::uint8_t id) {
    mtcpp::MemoryPortConfig c;
    c.mac = mtcpp::MacAddr{{0x02, 0, 0, 0, 0, id}};
    c.mtu = mtu;
    c.buffers = 4096;
    c.buffer_size = mtu > 1500 ? mtcpp::PipeFrame::kMaxSize : mtcpp::PacketPool::kDefaultBufferSize;
    c.checksum_offload = checksum_offload;
    return c;
  }
  static std::unique_ptr<mtcpp::Stack> make(mtcpp::Ipv4Addr address, std::uint64_t key, mtcpp::PacketIo& io) {
    mtcpp::StackConfig c;
    c.address = address;
    c.secret = std::array<std::uint64_t, 2>{key, ~key};
    c.tcp.max_connections = 1 << 21;
    c.tcp.ephemeral_port_first = 1024;
    c.tcp.ephemeral_port_last = 65535;
    auto made = mtcpp::Stack::create(c, io);
    if (auto* e = std::get_if<std::string>(&made)) throw std::runtime_error(*e);
    return std::move(std::get<std::unique_ptr<mtcpp::Stack>>(made));
  }

  mtcpp::MemoryPipe pipe;
  std::unique_ptr<mtcpp::Stack> server;
  std::unique_ptr<mtcpp::Stack> client;
};

}  // namespace bench
