// Misbehaves on purpose between a stack and its device, to test recovery: drops, duplicates,
// reorders or corrupts frames the stack sends (tx) or receives (rx), either by rule ("the 3rd data
// segment") or by seeded chance. Everything is reproducible: rules count frames, chances come from
// an Rng per direction seeded by FaultChances::seed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <vector>

#include "backends/wrappers/frame_match.h"
#include "core/packet_io.h"
#include "core/rng.h"

namespace mtcpp {

enum class Direction { tx, rx };  // tx: frames the wrapped stack sends; rx: frames it receives

enum class FaultAction {
  drop,
  duplicate,  // a copy follows the frame
  reorder,    // the frame is held back and goes right after the next one, or after max_hold if
              // no other comes (one held at a time)
  corrupt,    // one byte past the Ethernet header is inverted, at a seeded position
};

inline constexpr int kEveryMatch = std::numeric_limits<int>::max();

struct FaultRule {
  Direction dir = Direction::tx;
  FrameMatch match = any_frame();
  int nth = 1;    // 1-based occurrence of a matching frame where the rule starts acting
  int count = 1;  // how many consecutive matching frames from nth on; kEveryMatch for all
  FaultAction action = FaultAction::drop;
};

struct FaultChances {
  double drop = 0;
  double duplicate = 0;
  double reorder = 0;
  double corrupt = 0;
  std::uint64_t seed = 1;
  // A reordered frame waits for the next one at most this long: the last frame of a burst is
  // late, not lost (without a bound it waited for whatever came next, seconds after a tail).
  Duration max_hold = std::chrono::milliseconds(1);
};

struct FaultCounters {
  std::uint64_t frames = 0;  // frames that came through in this direction
  std::uint64_t dropped = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t corrupted = 0;
};

class FaultInjector final : public PacketIo {
 public:
  // `inner` must outlive the injector.
  explicit FaultInjector(PacketIo& inner, const FaultChances& chances = {});
  ~FaultInjector() override;  // gives frames it still holds back to inner
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  // Rules each count their own matches; the actions of every rule that fires apply, with drop
  // winning. Returns the rule's index for rule_hits().
  std::size_t add_rule(FaultRule rule);
  std::uint64_t rule_hits(std::size_t rule) const { return rules_.at(rule).hits; }
  const FaultCounters& counters(Direction dir) const { return side(dir).counters; }
  // Lets held-back frames go without waiting for a next frame: a held tx frame is sent, a held
  // rx frame becomes receivable.
  void release_held(Instant now);

  LinkCaps caps() const override { return inner_.caps(); }
  std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) override;
  PacketBuffer* tx_alloc() override { return inner_.tx_alloc(); }
  std::size_t tx_burst(std::span<PacketBuffer* const> pkts, Instant now) override;
  void release(PacketBuffer* pkt) override { inner_.release(pkt); }
  Instant next_rx_time() const override;

 private:
  void release_held_rx();           // the held rx frame, if any, becomes receivable
  void release_held_tx(Instant now);  // the held tx frame, if any, is sent
  struct RuleState {
    FaultRule rule;
    std::uint64_t matches = 0;
    std::uint64_t hits = 0;
  };
  struct Side {
    explicit Side(std::uint64_t seed) : rng(seed) {}
    Rng rng;
    FaultCounters counters;
    PacketBuffer* held = nullptr;
    Instant held_at{};
  };
  // What to do with one frame. Computed without side effects, then committed, so a frame the
  // inner device refuses can be offered again and be judged afresh.
  struct Decision {
    bool drop = false;
    bool duplicate = false;
    bool reorder = false;
    bool corrupt = false;
    std::size_t corrupt_at = 0;
    Rng rng_after;
  };

  Side& side(Direction dir) { return dir == Direction::tx ? tx_ : rx_; }
  const Side& side(Direction dir) const { return dir == Direction::tx ? tx_ : rx_; }
  Decision decide(Direction dir, Bytes frame);
  void commit(Direction dir, const Decision& d);
  PacketBuffer* copy_of(const PacketBuffer& pkt);
  bool send_one(PacketBuffer* pkt, Instant now);
  void process_rx(PacketBuffer* pkt, Instant now);

  PacketIo& inner_;
  FaultChances chances_;
  Rng seeds_;  // declared before the sides: it gives each direction its own stream
  Side tx_;
  Side rx_;
  std::vector<RuleState> rules_;
  std::vector<std::pair<std::size_t, bool>> matched_;  // decide(): rule index, fires
  std::vector<PacketBuffer*> rx_scratch_;
  std::deque<PacketBuffer*> rx_ready_;  // judged, waiting for room in a caller's rx_burst
};

}  // namespace mtcpp
