// Objects of one type made in memory that recently held another: a destroyed object's memory is
// kept (up to `keep` of them) for the next one, so short connections take their blocks and
// TIME_WAIT records from a short list, still warm in cache, instead of from malloc, whose small
// caches a connection's several sizes of allocation keep emptying. Beyond `keep` the memory goes
// back to the allocator, so a burst does not hold memory after it.
#pragma once
#include <cstddef>
#include <new>
#include <utility>
#include <vector>

namespace mtcpp {

template <class T>
class Recycler {
 public:
  explicit Recycler(std::size_t keep) : keep_(keep) { spare_.reserve(keep); }
  ~Recycler() {
    for (void* m : spare_) ::operator delete(m);
  }
  Recycler(const Recycler&) = delete;
  Recycler& operator=(const Recycler&) = delete;

  template <class... Args>
  T* make(Args&&... args) {
    void* memory;
    if (spare_.empty()) {
      memory = ::operator new(sizeof(T));
    } else {
      memory = spare_.back();
      spare_.pop_back();
    }
    return new (memory) T(std::forward<Args>(args)...);
  }
  void recycle(T* t) {
    t->~T();
    if (spare_.size() < keep_) spare_.push_back(t);
    else ::operator delete(t);
  }

 private:
  std::size_t keep_;
  std::vector<void*> spare_;
};

}  // namespace mtcpp
