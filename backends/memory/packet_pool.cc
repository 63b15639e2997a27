#include "backends/memory/packet_pool.h"

#include <cstdio>
#include <cstdlib>

namespace mtcpp {

namespace {
[[noreturn]] void pool_misuse(const char* what) {
  std::fprintf(stderr, "PacketPool: %s\n", what);
  std::abort();
}
}  // namespace

PacketPool::PacketPool(std::size_t buffers, std::uint32_t buffer_size)
    : buffer_size_(buffer_size),
      storage_(std::make_unique<std::uint8_t[]>(buffers * buffer_size)),
      buffers_(buffers) {
  free_.reserve(buffers);
  // Pushed in reverse so the first alloc() hands out buffer 0: easier to follow in a debugger.
  for (std::size_t i = buffers; i-- > 0;) {
    buffers_[i].data = storage_.get() + i * buffer_size;
    buffers_[i].capacity = buffer_size;
    free_.push_back(&buffers_[i]);
  }
}

PacketBuffer* PacketPool::alloc() {
  if (free_.empty()) return nullptr;
  PacketBuffer* pkt = free_.back();
  free_.pop_back();
  pkt->len = 0;
  pkt->backend = this;  // marks the buffer as lent; free() checks it to catch double frees
  return pkt;
}

void PacketPool::free(PacketBuffer* pkt) {
  if (!owns(pkt)) pool_misuse("free() of a buffer from another pool");
  if (pkt->backend != this) pool_misuse("free() of a buffer that is already free");
  pkt->backend = nullptr;
  free_.push_back(pkt);
}

bool PacketPool::owns(const PacketBuffer* pkt) const {
  // Compared as addresses rather than with < on pointers, which is unspecified across objects.
  const auto p = reinterpret_cast<std::uintptr_t>(pkt);
  const auto first = reinterpret_cast<std::uintptr_t>(buffers_.data());
  const auto end = reinterpret_cast<std::uintptr_t>(buffers_.data() + buffers_.size());
  return p >= first && p < end && (p - first) % sizeof(PacketBuffer) == 0;
}

}  // namespace mtcpp
