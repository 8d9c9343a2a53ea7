#include "storage/key_coding.h"

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace grantflow::storage {
namespace {

std::string Encode(uint64_t a, int64_t b, const std::string& c) {
  std::string k;
  AppendUint64(&k, a);
  AppendInt64(&k, b);
  AppendString(&k, c);
  return k;
}

TEST(KeyCodingTest, EncodedTuplesSortLikeTheTuples) {
  std::mt19937_64 rng(42);
  const std::vector<std::string> strings = {"",
                                            "a",
                                            "ab",
                                            "b",
                                            std::string("a\0b", 3),
                                            std::string("a\0", 2),
                                            std::string(1, '\xff'),
                                            "funds/lff",
                                            "funds/lff/rounds/2018-r1"};
  std::vector<std::tuple<uint64_t, int64_t, std::string>> tuples;
  for (int i = 0; i < 2000; ++i) {
    uint64_t a = rng() % 4;  // small domain to force ties
    int64_t b = static_cast<int64_t>(rng() % 7) - 3;
    if (i % 10 == 0) b = static_cast<int64_t>(rng());
    tuples.emplace_back(a, b, strings[rng() % strings.size()]);
  }
  std::vector<std::string> encoded;
  for (auto& [a, b, c] : tuples) encoded.push_back(Encode(a, b, c));
  std::vector<size_t> by_tuple(tuples.size()), by_key(tuples.size());
  for (size_t i = 0; i < tuples.size(); ++i) by_tuple[i] = by_key[i] = i;
  std::stable_sort(by_tuple.begin(), by_tuple.end(),
                   [&](size_t x, size_t y) { return tuples[x] < tuples[y]; });
  std::stable_sort(by_key.begin(), by_key.end(),
                   [&](size_t x, size_t y) { return encoded[x] < encoded[y]; });
  for (size_t i = 0; i < tuples.size(); ++i) {
    EXPECT_EQ(tuples[by_tuple[i]], tuples[by_key[i]]) << "position " << i;
  }
}

TEST(KeyCodingTest, RoundTrips) {
  std::string k = Encode(7, -5, std::string("x\0y", 3));
  KeyReader r(k);
  uint64_t a;
  int64_t b;
  std::string c;
  ASSERT_TRUE(r.ReadUint64(&a));
  ASSERT_TRUE(r.ReadInt64(&b));
  ASSERT_TRUE(r.ReadString(&c));
  EXPECT_TRUE(r.done());
  EXPECT_EQ(a, 7u);
  EXPECT_EQ(b, -5);
  EXPECT_EQ(c, std::string("x\0y", 3));
}

TEST(KeyCodingTest, EncodedStringsArePrefixFree) {
  std::string a, ab;
  AppendString(&a, "a");
  AppendString(&ab, "ab");
  EXPECT_NE(ab.rfind(a, 0), 0u) << "encoding of 'a' must not prefix 'ab'";
}

TEST(KeyCodingTest, MalformedInputIsRejected) {
  std::string truncated("abc\0", 4);
  KeyReader r(truncated);
  std::string s;
  EXPECT_FALSE(r.ReadString(&s));
  KeyReader shortint(std::string(3, 'x'));
  uint64_t v;
  EXPECT_FALSE(shortint.ReadUint64(&v));
}

TEST(KeyCodingTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("abc"), "abd");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff\xff", 3)), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("\xff", 1)), "");
}

}  // namespace
}  // namespace grantflow::storage
