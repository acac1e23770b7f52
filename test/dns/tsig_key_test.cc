#include "dns/tsig_key.h"

#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/match.h"
#include "testing/temp_dir.h"

namespace tandem::dns {
namespace {

constexpr char kKeygen[] =
    "key \"tandem-update\" {\n"
    "\talgorithm hmac-sha256;\n"
    "\tsecret \"Wilk0YTov07Ki11ztzrmhOvu2mlk1IsnUhW7lHSkCqA=\";\n"
    "};\n";

// What tsig-keygen writes is read as name, ldns algorithm name and secret.
TEST(TsigKeyTest, ParsesTsigKeygenOutput) {
  absl::StatusOr<TsigKey> key = ParseTsigKey(kKeygen, "k.key");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->name, "tandem-update.");
  EXPECT_EQ(key->algorithm, "hmac-sha256.");
  EXPECT_EQ(key->secret, "Wilk0YTov07Ki11ztzrmhOvu2mlk1IsnUhW7lHSkCqA=");
}

// Comments, other spacing, option order and other algorithms are accepted.
TEST(TsigKeyTest, AcceptsCommentsAndOtherLayouts) {
  absl::StatusOr<TsigKey> key = ParseTsigKey(
      "# made by hand\n/* block\n comment */ key dr-key{secret \"c2VjcmV0\";// x\n"
      "algorithm HMAC-SHA512;};",
      "k");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->name, "dr-key.");
  EXPECT_EQ(key->algorithm, "hmac-sha512.");
  key = ParseTsigKey("key \"k\" { algorithm hmac-md5; secret \"c2VjcmV0\"; };", "k");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->algorithm, "hmac-md5.sig-alg.reg.int.");
}

//! The error of parsing `text` as file "f.key".
std::string Error(const std::string& text) {
  absl::StatusOr<TsigKey> key = ParseTsigKey(text, "f.key");
  EXPECT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(key.status().message());
}

// Malformed files are errors naming the file, the line and what is wrong.
TEST(TsigKeyTest, MalformedFilesSayWhatIsWrong) {
  EXPECT_TRUE(absl::StrContains(Error(""), "f.key: no 'key' statement; make one with"));
  EXPECT_TRUE(absl::StrContains(Error("options { };"), "no 'key' statement"));
  EXPECT_TRUE(absl::StrContains(Error("key \"k\" { algorithm hmac-sha256; };"),
                                "f.key: key \"k.\" has no secret"));
  EXPECT_TRUE(absl::StrContains(Error("key \"k\" { secret \"c2VjcmV0\"; };"), "has no algorithm"));
  EXPECT_TRUE(absl::StrContains(Error("key \"k\" {\n algorithm hmac-sha999; secret \"eA==\"; };"),
                                "f.key:2: unknown TSIG algorithm 'hmac-sha999'"));
  EXPECT_TRUE(
      absl::StrContains(Error("key \"k\" { algorithm hmac-sha256; secret \"not base64!\"; };"),
                        "the secret is not valid base64"));
  EXPECT_TRUE(absl::StrContains(Error("key \"k\" { algorithm hmac-sha256 secret \"eA==\"; };"),
                                "expected ';' but found 'secret'"));
  EXPECT_TRUE(absl::StrContains(Error("key \"k\" { algorithm hmac-sha256; secret \"eA==\";"),
                                "expected '}' but the file ends"));
  EXPECT_TRUE(absl::StrContains(Error("key \"k\" { algorithm hmac-sha256; secret \"eA==; };"),
                                "a quoted string is never closed"));
  EXPECT_TRUE(absl::StrContains(Error("key \"k\" { owner x; };"), "unknown key option 'owner'"));
  EXPECT_TRUE(absl::StrContains(Error("key { algorithm hmac-sha256; };"), "the key has no name"));
  EXPECT_TRUE(absl::StrContains(Error("/* open"), "comment '/*' is never closed"));
}

// A missing file is NotFound with a hint at tsig-keygen; a real file loads.
TEST(TsigKeyTest, LoadsFilesAndExplainsMissingOnes) {
  testing::TempDir dir;
  absl::StatusOr<TsigKey> key = LoadTsigKey(dir.file("missing.key"));
  EXPECT_EQ(key.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(key.status().message(), "cannot read TSIG key file"));
  EXPECT_TRUE(absl::StrContains(key.status().message(), "tsig-keygen"));
  std::ofstream(dir.file("k.key")) << kKeygen;
  key = LoadTsigKey(dir.file("k.key"));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->name, "tandem-update.");
  std::ofstream(dir.file("bad.key")) << "key \"x\" {";
  key = LoadTsigKey(dir.file("bad.key"));
  EXPECT_TRUE(absl::StrContains(key.status().message(), dir.file("bad.key") + ":1:"))
      << key.status();
}

}  // namespace
}  // namespace tandem::dns
