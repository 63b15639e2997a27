// mtcp_pipe: a one-way byte channel inside a context, with two ids (read end, write end) that
// work with read, write, close and epoll like sockets. 10 KiB of buffer, as in mTCP.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

#include "core/bytes.h"

namespace mtcpp::api {

class Pipe {
 public:
  static constexpr std::size_t kCapacity = 10 * 1024;

  std::size_t readable() const { return size_; }
  std::size_t writable() const { return kCapacity - size_; }
  std::size_t write(Bytes data);
  std::size_t read(MutableBytes out);

  bool reader_open = true;
  bool writer_open = true;
  int read_id = -1;
  int write_id = -1;

 private:
  std::array<std::uint8_t, kCapacity> buf_{};
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace mtcpp::api
