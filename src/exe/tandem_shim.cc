// tandem-shim: the parent of one application started by tandemd lca.
#include "lca/shim.h"

int main(int argc, char** argv) { return tandem::lca::ShimMain(argc, argv); }
