// The hierarchical timing wheel: deadlines on every level fire exactly when due (not before, not
// late), cancel and re-arm work wherever a node sits, next_deadline never lies late, and a seeded
// run of random operations agrees with a plain ordered map.
#include "core/timer_wheel.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "core/rng.h"

namespace mtcpp {
namespace {

using namespace std::chrono_literals;

struct Fired {
  TimerNode* node;
  Instant at;
};

// Drives a wheel as a stack does: poll at next_deadline() until `until`.
std::vector<Fired> run_until(TimerWheel& w, Instant& now, Instant until, int* wakeups = nullptr) {
  std::vector<Fired> fired;
  for (;;) {
    const Instant next = w.next_deadline();
    if (next > until) break;
    EXPECT_GE(next, now) << "a deadline in the past was not fired";
    now = std::max(now, next);
    if (wakeups != nullptr) ++*wakeups;
    w.expire(now, [&](TimerNode& n) { fired.push_back({&n, now}); });
  }
  now = until;
  w.expire(now, [&](TimerNode& n) { fired.push_back({&n, now}); });
  return fired;
}

TEST(TimerWheel, DeadlinesOnEveryLevelFireExactlyWhenDue) {
  TimerWheel w;
  Instant now = from_us(5'000'123);
  w.expire(now, [](TimerNode&) {});  // the wheel learns the time, as a stack's first poll does
  const std::vector<Duration> delays = {0us, 1ms, 1500us, 4095ms, 4097ms, 60s, 7200s, 5h, 30h};
  std::vector<TimerNode> nodes(delays.size());
  for (std::size_t i = 0; i < delays.size(); ++i) w.schedule(nodes[i], now + delays[i]);
  EXPECT_EQ(w.size(), delays.size());
  int wakeups = 0;
  const Instant start = now;
  const auto fired = run_until(w, now, start + 31h, &wakeups);
  ASSERT_EQ(fired.size(), delays.size());
  for (std::size_t i = 0; i < fired.size(); ++i) {
    EXPECT_EQ(fired[i].node, &nodes[i]) << "in deadline order";
    EXPECT_EQ(fired[i].at, start + delays[i]) << "timer " << i << " fired at its deadline exactly";
  }
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(w.next_deadline(), kNever);
  // Early wake-ups come once per 4 s window a far deadline crosses into, not per millisecond.
  EXPECT_LT(wakeups, 31 * 3600 / 4 + 100);
}

TEST(TimerWheel, CancelAndRearmWhereverTheNodeSits) {
  TimerWheel w;
  Instant now = from_us(0);
  TimerNode near, mid, far;
  w.schedule(near, now + 10ms);
  w.schedule(mid, now + 60s);
  w.schedule(far, now + 10h);
  w.cancel(mid);
  w.cancel(far);
  w.cancel(far);  // twice is harmless
  EXPECT_EQ(w.size(), 1u);
  w.schedule(near, now + 20s);  // level 1 to level 2
  w.schedule(mid, now + 5ms);
  const auto fired = run_until(w, now, from_us(0) + 1min);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].node, &mid);
  EXPECT_EQ(fired[0].at, from_us(0) + 5ms);
  EXPECT_EQ(fired[1].node, &near);
  EXPECT_EQ(fired[1].at, from_us(0) + 20s);
}

TEST(TimerWheel, ATimerMovedWithinItsTickFiresAtItsNewTime) {
  TimerWheel w;
  TimerNode n, other;
  w.schedule(other, from_us(10'100));
  w.schedule(n, from_us(10'200));
  w.schedule(n, from_us(10'700));  // later, the same 1 ms tick: moved in place
  EXPECT_EQ(w.size(), 2u);
  std::vector<TimerNode*> fired;
  const auto collect = [&](TimerNode& f) { fired.push_back(&f); };
  w.expire(from_us(10'500), collect);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0], &other);
  EXPECT_LE(w.next_deadline(), from_us(10'700));
  w.schedule(n, from_us(10'600));  // earlier, still the same tick
  w.expire(from_us(10'599), collect);
  EXPECT_EQ(fired.size(), 1u);
  w.expire(from_us(10'600), collect);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[1], &n);
  EXPECT_EQ(w.size(), 0u);
  w.schedule(n, from_us(11'300));
  w.schedule(n, from_us(12'300));  // another tick: it moves slots
  w.expire(from_us(11'900), collect);
  EXPECT_EQ(fired.size(), 2u);
  w.expire(from_us(12'300), collect);
  EXPECT_EQ(fired.size(), 3u);
}

TEST(TimerWheel, ALongJumpFiresEverythingDueInOrder) {
  TimerWheel w;
  Instant now = from_us(0);
  std::vector<TimerNode> nodes(1000);
  for (std::size_t i = 0; i < nodes.size(); ++i) w.schedule(nodes[i], now + std::chrono::seconds(i * 37 % 10000));
  std::vector<Instant> order;
  now += 3h;  // one call covering hours: no tick visited one by one is needed
  w.expire(now, [&](TimerNode& n) { order.push_back(n.when); });
  EXPECT_EQ(order.size(), nodes.size());
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

TEST(TimerWheel, AClockStartingAtTheEpochIsNotWalkedWindowByWindow) {
  // A host clock in microseconds since 1970: the first expire jumps decades at once.
  TimerWheel w;
  TimerNode n, m;
  w.schedule(n, from_us(0) + 10ms);
  const Instant now = from_us(1'764'500'000'000'000);
  w.schedule(m, now + 30s);
  std::vector<TimerNode*> fired;
  w.expire(now, [&](TimerNode& f) { fired.push_back(&f); });
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0], &n);
  EXPECT_LE(w.next_deadline(), now + 30s);
  Instant t = now;
  const auto later = run_until(w, t, now + 31s);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].at, now + 30s);
}

TEST(TimerWheel, NextDeadlineIsExactWhileManyTimersShareATick) {
  // Hundreds of connections arm timers within the same few ticks; next_deadline() remembers the
  // first slot's earliest between polls, and must stay exact through every arm, move and cancel.
  Rng rng(7);
  TimerWheel w;
  std::vector<TimerNode> nodes(300);
  std::map<TimerNode*, Instant> armed;
  Instant now = from_us(5'000'000);
  w.expire(now, [](TimerNode&) {});  // the wheel's level 1 now starts at `now`
  for (int step = 0; step < 50000; ++step) {
    TimerNode& n = nodes[rng.below(static_cast<std::uint32_t>(nodes.size()))];
    if (rng.below(3) == 0) {
      w.cancel(n);
      armed.erase(&n);
    } else if (rng.below(50) == 0) {
      now += Duration(static_cast<std::int64_t>(rng.below(800)));
      w.expire(now, [&](TimerNode& f) { armed.erase(&f); });
    } else {
      const Instant when = now + Duration(static_cast<std::int64_t>(rng.below(3000)));  // within 3 ticks
      w.schedule(n, when);
      armed[&n] = when;
    }
    Instant earliest = kNever;
    for (const auto& [node, when] : armed) earliest = std::min(earliest, when);
    ASSERT_EQ(w.next_deadline(), earliest) << "step " << step;
  }
}

TEST(TimerWheel, RandomOperationsAgreeWithAnOrderedMap) {
  Rng rng(2026);
  TimerWheel w;
  std::vector<TimerNode> nodes(500);
  std::map<TimerNode*, Instant> armed;  // the reference
  Instant now = from_us(1'000'000);
  const Duration spans[] = {2ms, 3s, 90s, 3h, 9h};
  for (int step = 0; step < 20000; ++step) {
    TimerNode& n = nodes[rng.below(static_cast<std::uint32_t>(nodes.size()))];
    switch (rng.below(4)) {
      case 0: case 1: {
        const Duration span = spans[rng.below(5)];
        const Instant when = now + Duration(static_cast<std::int64_t>(rng.next() % static_cast<std::uint64_t>(span.count())));
        w.schedule(n, when);
        armed[&n] = when;
        break;
      }
      case 2:
        w.cancel(n);
        armed.erase(&n);
        break;
      default: {
        now += Duration(static_cast<std::int64_t>(rng.next() % 5'000'000));  // up to 5 s
        std::vector<TimerNode*> fired;
        w.expire(now, [&](TimerNode& f) { fired.push_back(&f); });
        for (TimerNode* f : fired) {
          ASSERT_TRUE(armed.count(f)) << "fired a timer not armed";
          EXPECT_LE(armed[f], now);
          armed.erase(f);
        }
        for (const auto& [node, when] : armed) ASSERT_GT(when, now) << "a due timer was not fired";
        Instant earliest = kNever;
        for (const auto& [node, when] : armed) earliest = std::min(earliest, when);
        EXPECT_LE(w.next_deadline(), earliest) << "next_deadline later than a deadline";
        break;
      }
    }
    ASSERT_EQ(w.size(), armed.size());
  }
}

}  // namespace
}  // namespace mtcpp
