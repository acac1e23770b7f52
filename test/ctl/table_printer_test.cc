// Tests of the plain-text table layout.
#include "ctl/table_printer.h"

#include <sstream>

#include "gtest/gtest.h"

namespace tandem::ctl {
namespace {

std::string Render(const TablePrinter& t) {
  std::ostringstream out;
  t.Print(out);
  return out.str();
}

// Columns are padded to the widest cell, two spaces apart, no trailing blanks.
TEST(TablePrinterTest, AlignsColumns) {
  TablePrinter t({"DBID", "NAME", "ENABLED"});
  t.AddRow({"1", "confserv", "yes"});
  t.AddRow({"12345", "x", ""});
  EXPECT_EQ(Render(t),
            "DBID   NAME      ENABLED\n"
            "1      confserv  yes\n"
            "12345  x\n");
}

// An empty table prints only its header.
TEST(TablePrinterTest, EmptyTable) {
  TablePrinter t({"A", "B"});
  EXPECT_EQ(t.rows(), 0u);
  EXPECT_EQ(Render(t), "A  B\n");
}

// Missing cells are blank, extra cells dropped.
TEST(TablePrinterTest, RaggedRows) {
  TablePrinter t({"A", "B"});
  t.AddRow({"1"});
  t.AddRow({"1", "2", "3"});
  EXPECT_EQ(Render(t), "A  B\n1\n1  2\n");
}

// Long cells are cut with "..." and control characters become spaces.
TEST(TablePrinterTest, CutsLongCellsAndFlattensNewlines) {
  TablePrinter t({"V"}, 10);
  t.AddRow({"abcdefghijklmnop"});
  t.AddRow({"a\nb\tc"});
  EXPECT_EQ(Render(t), "V\nabcdefg...\na b c\n");
}

// Width counts UTF-8 code points, and cuts never split a code point.
TEST(TablePrinterTest, Utf8Width) {
  TablePrinter t({"N", "X"}, 6);
  t.AddRow({"\xc3\xa9\xc3\xa9", "1"});                                          // "éé": 2 columns
  t.AddRow({"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "2"});  // 7 x é
  EXPECT_EQ(Render(t),
            "N       X\n"
            "\xc3\xa9\xc3\xa9      1\n"
            "\xc3\xa9\xc3\xa9\xc3\xa9...  2\n");
}

}  // namespace
}  // namespace tandem::ctl
