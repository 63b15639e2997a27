// The open-addressing flow table against std::unordered_map as a model: random inserts,
// replacements and erasures among few keys (so runs collide, shift and, in the small table,
// wrap past its end), and erasures placed by hand where a run wraps, where the backward shift
// must move some entries and leave others.
#include "core/tcp/flow_table.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>
#include <vector>

namespace mtcpp {
namespace {

struct ModelHash {
  std::size_t operator()(const FlowKey& k) const { return std::hash<std::uint64_t>{}(k.addrs ^ k.ports); }
};

Tcb* fake(std::uintptr_t n) { return reinterpret_cast<Tcb*>(n * 16 + 16); }  // never dereferenced

// One random run: `distinct` keys, every key looked up after every step when `check_every` is 1.
void random_run(std::size_t distinct, int steps, int check_every, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  FlowTable table(seed);
  std::unordered_map<FlowKey, Tcb*, ModelHash> model;
  std::vector<FlowKey> keys;
  for (std::uint32_t i = 0; i < distinct; ++i) keys.push_back(FlowKey{0x0a0000010a000002ull, 0x80000000u | i});
  for (int step = 0; step < steps; ++step) {
    const FlowKey& k = keys[rng() % keys.size()];
    const auto roll = rng() % 10;
    if (roll < 5) {
      Tcb* t = fake(rng() % 1000);
      table.insert_or_assign(k, t);
      model[k] = t;
    } else if (roll < 9) {
      // Erase only when it holds that tcb: a stale erase (another tcb) leaves the entry.
      auto it = model.find(k);
      const bool stale = rng() % 4 == 0;
      Tcb* t = it == model.end() ? fake(1) : stale ? fake(2000) : it->second;
      const bool erased = table.erase_if_holds(k, t);
      ASSERT_EQ(erased, it != model.end() && it->second == t);
      if (erased) model.erase(it);
    }
    ASSERT_EQ(table.size(), model.size());
    if (step % check_every == 0)
      for (const FlowKey& q : keys) {
        auto it = model.find(q);
        ASSERT_EQ(table.find(q), it == model.end() ? nullptr : it->second) << "step " << step;
      }
  }
  std::size_t seen = 0;
  table.for_each([&](Tcb*) { ++seen; });
  EXPECT_EQ(seen, model.size());
}

TEST(FlowTable, BehavesAsAMapUnderRandomInsertsReplacementsAndErasures) {
  // 20 keys stay in the smallest table (64 slots), whose runs wrap past its end.
  for (std::uint64_t seed = 1; seed <= 20; ++seed) random_run(20, 3000, 1, seed);
  random_run(300, 20000, 97, 7);  // and a table that grew
}

// Keys of the 64-slot table with a given home slot.
std::vector<FlowKey> homed_at(const FlowTable& table, std::size_t slot, std::size_t count, std::uint64_t start = 0) {
  std::vector<FlowKey> out;
  for (std::uint32_t p = static_cast<std::uint32_t>(start); out.size() < count; ++p)
    if ((table.hash(FlowKey{1, p}) & 63) == slot) out.push_back(FlowKey{1, p});
  return out;
}

TEST(FlowTable, AnEntryHomedAfterTheWrapStaysWhenTheEntryBeforeItGoes) {
  FlowTable table(3);
  const FlowKey a = homed_at(table, 63, 1)[0];  // slot 63
  const FlowKey e = homed_at(table, 0, 1)[0];   // slot 0, its home: it must not move to 63
  table.insert_or_assign(a, fake(1));
  table.insert_or_assign(e, fake(2));
  ASSERT_TRUE(table.erase_if_holds(a, fake(1)));
  EXPECT_EQ(table.find(e), fake(2));
  EXPECT_EQ(table.find(a), nullptr);
}

TEST(FlowTable, ARunThatWrapsShiftsBackAcrossTheEnd) {
  FlowTable table(3);
  const std::vector<FlowKey> at62 = homed_at(table, 62, 2);  // slots 62 and 63
  const FlowKey c = homed_at(table, 63, 1)[0];               // slot 0
  const FlowKey d = homed_at(table, 0, 1)[0];                // slot 1
  table.insert_or_assign(at62[0], fake(1));
  table.insert_or_assign(at62[1], fake(2));
  table.insert_or_assign(c, fake(3));
  table.insert_or_assign(d, fake(4));
  ASSERT_TRUE(table.erase_if_holds(at62[0], fake(1)));  // every later entry shifts back one
  EXPECT_EQ(table.find(at62[1]), fake(2));
  EXPECT_EQ(table.find(c), fake(3));
  EXPECT_EQ(table.find(d), fake(4));
  // And erasing from the middle of what is left: c and d stay findable.
  ASSERT_TRUE(table.erase_if_holds(at62[1], fake(2)));
  EXPECT_EQ(table.find(c), fake(3));
  EXPECT_EQ(table.find(d), fake(4));
}

TEST(FlowTable, KeysThatShareAHomeSlotSurviveErasuresAroundThem) {
  FlowTable table(5);
  const std::vector<FlowKey> same_home = homed_at(table, 56, 20);  // a run from 56 across the end
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
  FlowTable table(11);
  table.reserve(1000);
  for (std::uint32_t i = 0; i < 100000; ++i) table.insert_or_assign(FlowKey{i, i * 7}, fake(i));
  EXPECT_EQ(table.size(), 100000u);
  for (std::uint32_t i = 0; i < 100000; i += 13) EXPECT_EQ(table.find(FlowKey{i, i * 7}), fake(i));
  EXPECT_EQ(table.find(FlowKey{100001, 0}), nullptr);
  EXPECT_TRUE(table.any_of([](Tcb* t) { return t == fake(99999); }));
  EXPECT_FALSE(table.any_of([](Tcb* t) { return t == fake(100000); }));
}

TEST(FlowTable, TheSeedMovesHomeSlots) {
  // Two seeds place the same keys differently: an outsider without the seed cannot line them up.
  const FlowTable a(1), b(2);
  int same = 0;
  for (std::uint32_t p = 0; p < 1000; ++p) same += (a.hash(FlowKey{1, p}) & 63) == (b.hash(FlowKey{1, p}) & 63);
  EXPECT_LT(same, 60);  // about 1000/64 by chance
}

}  // namespace
}  // namespace mtcpp
