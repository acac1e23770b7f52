// Where a Tandem process finds its TLS material: the same three files for a
// server (its identity and the CA its clients' certificates must come
// from) and for a client (the CA that signed the server, and optionally its
// own certificate for mutual TLS). PEM files; they are re-read when they
// change, so a rotated certificate needs no restart.
#pragma once

#include <string>

namespace tandem {

struct TlsFiles {
  //! This process's certificate (chain) and private key. A server needs
  //! both; a client only to authenticate by certificate (daemons do).
  std::string cert;
  std::string key;
  //! The CA certificate(s) peers are checked against.
  std::string ca;
  //! No TLS at all: only when a bootstrap file or the operator says so
  //! explicitly; servers log it at every start and raise an alarm.
  bool plaintext = false;

  bool has_identity() const { return !cert.empty() && !key.empty(); }
};

}  // namespace tandem
