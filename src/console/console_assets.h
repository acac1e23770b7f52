// The console's page: files of src/console/web, built into the binary
// (cmake/embed_assets.cmake), so that `tandemd console` serves every asset
// itself and the page needs no CDN.
#pragma once

#include <string_view>
#include <vector>

namespace tandem::console {

struct Asset {
  std::string_view path;          //!< "/app.js"
  std::string_view content_type;  //!< "text/javascript; charset=utf-8"
  std::string_view content;
};

const std::vector<Asset>& Assets();

}  // namespace tandem::console
