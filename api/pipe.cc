#include "api/pipe.h"

#include <algorithm>

namespace mtcpp::api {

std::size_t Pipe::write(Bytes data) {
  const std::size_t n = std::min(data.size(), writable());
  for (std::size_t i = 0; i < n; ++i) buf_[(head_ + size_ + i) % kCapacity] = data[i];
  size_ += n;
  return n;
}

std::size_t Pipe::read(MutableBytes out) {
  const std::size_t n = std::min(out.size(), size_);
  for (std::size_t i = 0; i < n; ++i) out[i] = buf_[(head_ + i) % kCapacity];
  head_ = (head_ + n) % kCapacity;
  size_ -= n;
  return n;
}

}  // namespace mtcpp::api
