// DnsClient over libldns: one resolver per call pointed at the given server
// only (no /etc/resolv.conf), one UDP attempt with the configured timeout.
#include <ldns/ldns.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "dns/dns_client.h"

namespace tandem::dns {
namespace {

struct ResolverFree {
  void operator()(ldns_resolver* r) const { ldns_resolver_deep_free(r); }
};
struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct RdfFree {
  void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
struct RrListFree {
  void operator()(ldns_rr_list* l) const { ldns_rr_list_deep_free(l); }
};
using ResolverPtr = std::unique_ptr<ldns_resolver, ResolverFree>;
using PktPtr = std::unique_ptr<ldns_pkt, PktFree>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfFree>;
using RrListPtr = std::unique_ptr<ldns_rr_list, RrListFree>;

//! Text of an ldns-allocated C string, freed.
std::string Take(char* s) {
  if (s == nullptr) return "";
  std::string out(s);
  std::free(s);
  return out;
}

std::string RcodeName(ldns_pkt_rcode rcode) {
  std::string name = Take(ldns_pkt_rcode2str(rcode));
  return name.empty() ? absl::StrCat("RCODE", static_cast<int>(rcode)) : name;
}

// TSIG error codes (RFC 8945).
constexpr uint16_t kBadSig = 16;
constexpr uint16_t kBadKey = 17;
constexpr uint16_t kBadTime = 18;

//! The error field of an answer's TSIG record, 0 if none.
uint16_t TsigError(const ldns_pkt* answer) {
  const ldns_rr* tsig = ldns_pkt_tsig(answer);
  if (tsig == nullptr || ldns_rr_rd_count(tsig) < 6) return 0;
  return ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
}

class LdnsClient : public DnsClient {
 public:
  explicit LdnsClient(DnsClientOptions options) : options_(options) {}

  absl::Status SetAddress(const SetAddressRequest& request) override {
    // Validate everything before building a packet.
    absl::StatusOr<std::string> zone = AbsoluteName(request.zone);
    if (!zone.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("bad zone: ", zone.status().message()));
    }
    absl::StatusOr<std::string> name = NameInZone(request.name, *zone);
    if (!name.ok()) return name.status();
    absl::StatusOr<IpAddress> address = ParseAddress(request.address);
    if (!address.ok()) return address.status();
    if (request.ttl > 2147483647u) {
      return absl::InvalidArgumentError("the TTL must be 0-2147483647 seconds");
    }
    if (request.key.name.empty() || request.key.secret.empty() || request.key.algorithm.empty()) {
      return absl::InvalidArgumentError("a TSIG key (name, algorithm, secret) is required");
    }
    absl::StatusOr<ResolverPtr> res = MakeResolver(request.server);
    if (!res.ok()) return res.status();
    ldns_resolver_set_tsig_keyname((*res).get(), request.key.name.c_str());
    ldns_resolver_set_tsig_keydata((*res).get(), request.key.secret.c_str());
    ldns_resolver_set_tsig_algorithm((*res).get(), request.key.algorithm.c_str());

    RrListPtr updates(ldns_rr_list_new());
    for (ldns_rr_type type : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA}) {
      ldns_rr* del = ldns_rr_new();  // "delete an RRset": class ANY, TTL 0, no rdata
      ldns_rr_set_owner(del, ldns_dname_new_frm_str(name->c_str()));
      ldns_rr_set_type(del, type);
      ldns_rr_set_class(del, LDNS_RR_CLASS_ANY);
      ldns_rr_set_ttl(del, 0);
      ldns_rr_list_push_rr(updates.get(), del);
    }
    std::string text =
        absl::StrCat(*name, " ", request.ttl, " IN ",
                     address->family == Family::kIPv4 ? "A" : "AAAA", " ", address->text);
    ldns_rr* add = nullptr;
    if (ldns_rr_new_frm_str(&add, text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK) {
      return absl::InternalError(absl::StrCat("cannot build the record '", text, "'"));
    }
    ldns_rr_list_push_rr(updates.get(), add);

    PktPtr query(ldns_update_pkt_new(ldns_dname_new_frm_str(zone->c_str()), LDNS_RR_CLASS_IN,
                                     nullptr, updates.get(), nullptr));
    if (query == nullptr) return absl::InternalError("cannot build the update packet");
    ldns_pkt_set_rd(query.get(), false);
    ldns_pkt_set_random_id(query.get());
    ldns_status s = ldns_update_pkt_tsig_add(query.get(), res->get());
    if (s != LDNS_STATUS_OK) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot sign the update with key ", request.key.name, ": ", ldns_get_errorstr_by_id(s)));
    }
    ldns_pkt* raw = nullptr;
    // ldns_send, not ldns_resolver_send_pkt: the latter drops an answer whose
    // TSIG does not verify, and BIND's NOTAUTH answers to a bad key are unsigned.
    s = ldns_send(&raw, res->get(), query.get());
    PktPtr answer(raw);
    if (answer == nullptr) return NoAnswer(request.server, s);

    const std::string where = absl::StrCat("update of ", *name, " at ", request.server.ToString());
    ldns_pkt_rcode rcode = ldns_pkt_get_rcode(answer.get());
    switch (rcode) {
      case LDNS_RCODE_NOERROR:
        break;
      case LDNS_RCODE_REFUSED:
        return absl::PermissionDeniedError(absl::StrCat(
            where, ": the server refused the update (REFUSED): is key ", request.key.name,
            " allowed to update zone ", *zone, "? (allow-update / update-policy in named.conf)"));
      case LDNS_RCODE_NOTAUTH: {
        uint16_t tsig_error = TsigError(answer.get());
        if (tsig_error == kBadTime) {
          return absl::PermissionDeniedError(
              absl::StrCat(where,
                           ": the server rejected the signature's time (NOTAUTH, BADTIME): this "
                           "host's clock and the server's differ by more than 5 minutes"));
        }
        if (tsig_error == kBadSig || tsig_error == kBadKey || s == LDNS_STATUS_CRYPTO_TSIG_BOGUS) {
          return absl::PermissionDeniedError(
              absl::StrCat(where, ": the server does not accept this key (NOTAUTH",
                           tsig_error == kBadKey   ? ", BADKEY"
                           : tsig_error == kBadSig ? ", BADSIG"
                                                   : "",
                           "): wrong key name or secret; compare key ", request.key.name,
                           " with the server's key file"));
        }
        return absl::PermissionDeniedError(
            absl::StrCat(where, ": the server is not authoritative for zone ", *zone,
                         " (NOTAUTH); check --zone and --dns-server"));
      }
      case LDNS_RCODE_NOTZONE:
        return absl::InvalidArgumentError(absl::StrCat(where, ": the server says ", *name,
                                                       " is not in zone ", *zone, " (NOTZONE)"));
      case LDNS_RCODE_SERVFAIL:
        return absl::UnavailableError(
            absl::StrCat(where,
                         ": the server failed to apply the update (SERVFAIL); see its log (journal "
                         "file permissions, zone not loaded)"));
      default:
        return absl::UnavailableError(
            absl::StrCat(where, ": the server answered ", RcodeName(rcode)));
    }
    if (s == LDNS_STATUS_CRYPTO_TSIG_BOGUS) {
      return absl::UnauthenticatedError(absl::StrCat(
          where, ": the answer's TSIG signature does not verify with key ", request.key.name,
          "; the update may have been applied, check with 'tandemctl dns show'"));
    }
    if (s != LDNS_STATUS_OK) {
      return absl::UnavailableError(absl::StrCat(where, ": ", ldns_get_errorstr_by_id(s)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Answer> Lookup(const ServerAddress& server, const std::string& name,
                                const std::string& type) override {
    absl::StatusOr<std::string> abs = AbsoluteName(name);
    if (!abs.ok()) return abs.status();
    ldns_rr_type rr_type;
    if (type == "A") {
      rr_type = LDNS_RR_TYPE_A;
    } else if (type == "AAAA") {
      rr_type = LDNS_RR_TYPE_AAAA;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("type ", type, ": only A and AAAA"));
    }
    absl::StatusOr<ResolverPtr> res = MakeResolver(server);
    if (!res.ok()) return res.status();
    RdfPtr owner(ldns_dname_new_frm_str(abs->c_str()));
    ldns_pkt* raw = nullptr;
    ldns_status s = ldns_resolver_send(&raw, res->get(), owner.get(), rr_type, LDNS_RR_CLASS_IN, 0);
    PktPtr answer(raw);
    if (answer == nullptr) return NoAnswer(server, s);
    Answer out;
    out.name = *abs;
    out.type = type;
    out.rcode = RcodeName(ldns_pkt_get_rcode(answer.get()));
    const ldns_rr_list* rrs = ldns_pkt_answer(answer.get());
    for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(rrs, i);
      if (ldns_rr_get_type(rr) != rr_type || ldns_rr_rd_count(rr) < 1) continue;
      if (ldns_dname_compare(ldns_rr_owner(rr), owner.get()) != 0) continue;
      out.records.push_back({Take(ldns_rdf2str(ldns_rr_rdf(rr, 0))), ldns_rr_ttl(rr)});
    }
    return out;
  }

 private:
  absl::StatusOr<ResolverPtr> MakeResolver(const ServerAddress& server) const {
    absl::StatusOr<IpAddress> ip = ParseAddress(server.host);
    if (!ip.ok()) return ip.status();
    ResolverPtr res(ldns_resolver_new());
    RdfPtr ns(ldns_rdf_new_frm_str(
        ip->family == Family::kIPv4 ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA, ip->text.c_str()));
    if (res == nullptr || ns == nullptr ||
        ldns_resolver_push_nameserver(res.get(), ns.get()) != LDNS_STATUS_OK) {
      return absl::InternalError("cannot set up the DNS resolver");
    }
    ldns_resolver_set_port(res.get(), server.port);
    ldns_resolver_set_recursive(res.get(), false);
    ldns_resolver_set_defnames(res.get(), false);
    ldns_resolver_set_dnsrch(res.get(), false);
    ldns_resolver_set_random(res.get(), false);
    ldns_resolver_set_retry(res.get(), 1);
    ldns_resolver_set_retrans(res.get(), 0);
    ldns_resolver_set_fail(res.get(), true);
    timeval tv;
    tv.tv_sec = absl::ToInt64Seconds(options_.timeout);
    tv.tv_usec = absl::ToInt64Microseconds(options_.timeout - absl::Seconds(tv.tv_sec));
    ldns_resolver_set_timeout(res.get(), tv);
    return res;
  }

  absl::Status NoAnswer(const ServerAddress& server, ldns_status s) const {
    return absl::DeadlineExceededError(
        absl::StrCat("no answer from ", server.ToString(), " within ",
                     absl::FormatDuration(options_.timeout), " (", ldns_get_errorstr_by_id(s),
                     "); is a DNS server running there and reachable (address, port, firewall)?"));
  }

  DnsClientOptions options_;
};

}  // namespace

DnsClientPtr NewDnsClient(DnsClientOptions options) {
  return std::make_unique<LdnsClient>(options);
}

}  // namespace tandem::dns
