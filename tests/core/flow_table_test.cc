// The open-addressing flow table against std::unordered_map as a model: random inserts,
// replacements and erasures (many keys sharing a home slot, so runs wrap and shift), every key
// looked up after every step, and growth from the smallest table.
#include "core/tcp/flow_table.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>
#include <vector>

namespace mtcpp {
namespace {

struct ModelHash {
  std::size_t operator()(const FlowKey& k) const { return FlowTable::hash(k); }
};

Tcb* fake(std::uintptr_t n) { return reinterpret_cast<Tcb*>(n * 16 + 16); }  // never dereferenced

TEST(FlowTable, BehavesAsAMapUnderRandomInsertsReplacementsAndErasures) {
  std::mt19937_64 rng(7);
  FlowTable table;
  std::unordered_map<FlowKey, Tcb*, ModelHash> model;
  // Few distinct keys: collisions, replacements and erasures of present keys are frequent.
  std::vector<FlowKey> keys;
  for (std::uint32_t i = 0; i < 300; ++i) keys.push_back(FlowKey{0x0a0000010a000002ull, 0x80000000u | i});
  for (int step = 0; step < 20000; ++step) {
    const FlowKey& k = keys[rng() % keys.size()];
    const auto roll = rng() % 10;
    if (roll < 5) {
      Tcb* t = fake(rng() % 1000);
      table.insert_or_assign(k, t);
      model[k] = t;
    } else if (roll < 8) {
      // Erase only when it holds that tcb: a stale erase (another tcb) leaves the entry.
      auto it = model.find(k);
      const bool stale = rng() % 4 == 0;
      Tcb* t = it == model.end() ? fake(1) : stale ? fake(2000) : it->second;
      const bool erased = table.erase_if_holds(k, t);
      EXPECT_EQ(erased, it != model.end() && it->second == t);
      if (erased) model.erase(it);
    }
    ASSERT_EQ(table.size(), model.size());
    if (step % 97 == 0)
      for (const FlowKey& q : keys) {
        auto it = model.find(q);
        ASSERT_EQ(table.find(q), it == model.end() ? nullptr : it->second) << "step " << step;
      }
  }
  std::size_t seen = 0;
  table.for_each([&](Tcb*) { ++seen; });
  EXPECT_EQ(seen, model.size());
}

TEST(FlowTable, KeysThatShareAHomeSlotSurviveErasuresAroundThem) {
  // Keys whose hashes collide in the smallest table (64 slots): build a long run, erase from its
  // middle and start, and every other key is still found.
  FlowTable table;
  std::vector<FlowKey> same_home;
  const std::size_t target = FlowTable::hash(FlowKey{1, 1}) & 63;
  for (std::uint32_t p = 0; same_home.size() < 20; ++p)
    if ((FlowTable::hash(FlowKey{1, p}) & 63) == target) same_home.push_back(FlowKey{1, p});
  for (std::size_t i = 0; i < same_home.size(); ++i) table.insert_or_assign(same_home[i], fake(i));
  ASSERT_EQ(table.size(), 20u);
  for (std::size_t i : {10u, 0u, 19u, 5u}) EXPECT_TRUE(table.erase_if_holds(same_home[i], fake(i)));
  for (std::size_t i = 0; i < same_home.size(); ++i) {
    const bool erased = i == 10 || i == 0 || i == 19 || i == 5;
    EXPECT_EQ(table.find(same_home[i]), erased ? nullptr : fake(i)) << i;
  }
  EXPECT_FALSE(table.contains(FlowKey{9, 9}));
}

TEST(FlowTable, GrowsAndReservesWithoutLosingEntries) {
  FlowTable table;
  table.reserve(1000);
  for (std::uint32_t i = 0; i < 100000; ++i) table.insert_or_assign(FlowKey{i, i * 7}, fake(i));
  EXPECT_EQ(table.size(), 100000u);
  for (std::uint32_t i = 0; i < 100000; i += 13) EXPECT_EQ(table.find(FlowKey{i, i * 7}), fake(i));
  EXPECT_EQ(table.find(FlowKey{100001, 0}), nullptr);
}

}  // namespace
}  // namespace mtcpp
