// Dynamic DNS for disaster recovery: point a name at an address with an
// RFC 2136 update signed with TSIG, and read it back from the same server.
// Talks only to the server given, never to the system resolver.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dns/names.h"
#include "dns/tsig_key.h"

namespace tandem::dns {

struct Record {
  std::string address;  //!< canonical text (inet_ntop)
  uint32_t ttl = 0;
};

//! What a server answered for one name and type.
struct Answer {
  std::string name;   //!< absolute, with the trailing dot
  std::string type;   //!< "A" or "AAAA"
  std::string rcode;  //!< "NOERROR", "NXDOMAIN", ...
  std::vector<Record> records;
};

struct SetAddressRequest {
  ServerAddress server;
  std::string zone;  //!< absolute or not; the trailing dot is added
  std::string name;  //!< absolute, or relative to `zone` (see NameInZone)
  std::string address;
  uint32_t ttl = 60;
  TsigKey key;
};

//! Talks to one DNS server at a time. Each call is independent; a client
//! may be used from one thread at a time.
class DnsClient {
 public:
  virtual ~DnsClient() = default;

  //! Replaces every A and AAAA record of the name with one record of the
  //! given address and TTL, in one TSIG-signed update (delete both RRsets,
  //! add the new one); the answer's TSIG is verified. Input is validated
  //! before anything is sent (InvalidArgument). Server refusals come back as
  //! operator messages: PermissionDenied (REFUSED, NOTAUTH),
  //! InvalidArgument (NOTZONE), Unavailable (SERVFAIL), DeadlineExceeded (no
  //! answer within the timeout).
  virtual absl::Status SetAddress(const SetAddressRequest& request) = 0;

  //! Asks `server` directly (no recursion) for the A or AAAA records of the
  //! absolute name. NXDOMAIN and NODATA are answers with no records.
  virtual absl::StatusOr<Answer> Lookup(const ServerAddress& server, const std::string& name,
                                        const std::string& type) = 0;
};
using DnsClientPtr = std::unique_ptr<DnsClient>;

struct DnsClientOptions {
  //! How long to wait for each answer (one attempt over UDP, TCP if
  //! truncated).
  absl::Duration timeout = absl::Seconds(3);
};

//! The libldns implementation.
DnsClientPtr NewDnsClient(DnsClientOptions options = {});

}  // namespace tandem::dns
