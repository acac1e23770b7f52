// SplitArguments splits like a shell and expands nothing.
#include "common/arguments.h"

#include "gtest/gtest.h"

namespace tandem {
namespace {

using V = std::vector<std::string>;

// Blanks separate words; quotes and backslashes keep them together.
TEST(SplitArguments, QuotesAndEscapes) {
  EXPECT_EQ(*SplitArguments(""), V{});
  EXPECT_EQ(*SplitArguments("  -p 4000\t--name  x "), (V{"-p", "4000", "--name", "x"}));
  EXPECT_EQ(*SplitArguments("'two words' \"and \\\"more\\\"\" a\\ b"),
            (V{"two words", "and \"more\"", "a b"}));
  EXPECT_EQ(*SplitArguments("'' \"\""), (V{"", ""}));
  EXPECT_EQ(*SplitArguments("\"a\\nb\" 'c\\d'"), (V{"a\\nb", "c\\d"}));
}

// Nothing is expanded: variables, globs and redirections stay as written.
TEST(SplitArguments, ExpandsNothing) {
  EXPECT_EQ(*SplitArguments("$HOME *.txt >out `id`"), (V{"$HOME", "*.txt", ">out", "`id`"}));
}

// Unterminated quotes and a trailing backslash are errors.
TEST(SplitArguments, Malformed) {
  EXPECT_FALSE(SplitArguments("'open").ok());
  EXPECT_FALSE(SplitArguments("\"open").ok());
  EXPECT_FALSE(SplitArguments("end\\").ok());
}

}  // namespace
}  // namespace tandem
