// A directory that exists for the life of the object.
#ifndef GRANTFLOW_TESTS_TESTING_TEMP_DIR_H_
#define GRANTFLOW_TESTS_TESTING_TEMP_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <string>

namespace grantflow::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "grantflow-test-XXXXXX")
            .string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    if (!std::getenv("GRANTFLOW_KEEP_TEMP"))
      std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace grantflow::testing

#endif  // GRANTFLOW_TESTS_TESTING_TEMP_DIR_H_
