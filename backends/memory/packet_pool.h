// A fixed set of frame buffers carved out of one allocation made at construction, so the data
// path never touches the heap. A free list of pointers makes alloc and free O(1); in_use() lets
// tests prove every buffer came back.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/packet_io.h"

namespace mtcpp {

class PacketPool {
 public:
  static constexpr std::uint32_t kDefaultBufferSize = 2048;  // a full Ethernet frame, with room

  explicit PacketPool(std::size_t buffers, std::uint32_t buffer_size = kDefaultBufferSize);
  PacketPool(const PacketPool&) = delete;
  PacketPool& operator=(const PacketPool&) = delete;

  // A buffer with len 0, or nullptr when every buffer is in use.
  PacketBuffer* alloc();
  // Takes back a buffer from alloc(). A foreign or already-free buffer aborts: it is a bug that
  // would otherwise corrupt the free list silently.
  void free(PacketBuffer* pkt);

  bool owns(const PacketBuffer* pkt) const;
  std::size_t capacity() const { return buffers_.size(); }
  std::size_t in_use() const { return buffers_.size() - free_.size(); }
  std::size_t available() const { return free_.size(); }
  std::uint32_t buffer_size() const { return buffer_size_; }

 private:
  std::uint32_t buffer_size_;
  std::unique_ptr<std::uint8_t[]> storage_;
  std::vector<PacketBuffer> buffers_;  // never resized: free_ and callers hold pointers into it
  std::vector<PacketBuffer*> free_;
};

}  // namespace mtcpp
