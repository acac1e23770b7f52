#include "ctl/table_printer.h"

#include <algorithm>

namespace tandem::ctl {
namespace {

//! Display width: counts UTF-8 code points, not bytes.
size_t Width(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

TablePrinter::TablePrinter(std::vector<std::string> headers, size_t max_cell)
    : headers_(std::move(headers)), max_cell_(std::max<size_t>(max_cell, 4)) {}

std::string TablePrinter::Clean(std::string cell) const {
  for (char& c : cell) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  if (Width(cell) <= max_cell_) return cell;
  // Cut at a code point boundary after max_cell_ - 3 code points.
  size_t points = 0, i = 0;
  for (; i < cell.size(); ++i) {
    if ((cell[i] & 0xC0) != 0x80 && points++ == max_cell_ - 3) break;
  }
  cell.resize(i);
  return cell + "...";
}

void TablePrinter::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (auto& cell : cells) cell = Clean(std::move(cell));
  rows_.push_back(std::move(cells));
}

void TablePrinter::Print(std::ostream& out) const {
  std::vector<size_t> widths(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) widths[c] = Width(headers_[c]);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], Width(row[c]));
  }
  auto print_line = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) line += "  ";
      line += cells[c];
      if (c + 1 < cells.size()) line.append(widths[c] - Width(cells[c]), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  print_line(headers_);
  for (const auto& row : rows_) print_line(row);
}

}  // namespace tandem::ctl
