#include "platform/paging.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/key_coding.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

TEST(ScanInBatchesTest, EveryRowUnderThePrefixOnceInOrderThenStopsOnError) {
  testing::TempDir dir;
  auto store = testing::OpenStore(dir.path());
  storage::WriteSet w;
  for (int i = 0; i < 7; ++i) {
    std::string key;
    storage::AppendString(&key, "a");
    storage::AppendUint64(&key, i);
    w.Put("rows", key, absl::StrCat(i));
  }
  std::string other;
  storage::AppendString(&other, "b");
  w.Put("rows", other, "not under the prefix");
  ASSERT_TRUE(store->Commit(w).ok());
  std::string prefix;
  storage::AppendString(&prefix, "a");

  std::vector<size_t> sizes;
  std::vector<std::string> values;
  ASSERT_TRUE(ScanInBatches(*store, "rows", prefix, 3,
                            [&](const std::vector<storage::ScanRow>& rows) {
                              sizes.push_back(rows.size());
                              for (const auto& r : rows) {
                                values.push_back(r.record.value);
                              }
                              return absl::OkStatus();
                            })
                  .ok());
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 1}));
  EXPECT_EQ(values,
            (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6"}));

  int calls = 0;
  const absl::Status stopped = ScanInBatches(
      *store, "rows", prefix, 3, [&](const std::vector<storage::ScanRow>&) {
        ++calls;
        return absl::DataLossError("unreadable");
      });
  EXPECT_EQ(stopped.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace grantflow
