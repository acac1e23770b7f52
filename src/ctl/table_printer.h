// Aligned plain-text tables for tandemctl's default output.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace tandem::ctl {

//! Collects rows, then prints them with each column padded to its widest
//! cell. Cells longer than `max_cell` characters are cut and end in "...".
//! Newlines and tabs in cells are shown as spaces so a row stays one line.
class TablePrinter {
 public:
  explicit TablePrinter(std::vector<std::string> headers, size_t max_cell = 48);

  //! Missing cells are empty; extra cells are dropped.
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  //! Header line then one line per row; columns separated by two spaces, no
  //! trailing blanks.
  void Print(std::ostream& out) const;

 private:
  std::string Clean(std::string cell) const;

  std::vector<std::string> headers_;
  size_t max_cell_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace tandem::ctl
