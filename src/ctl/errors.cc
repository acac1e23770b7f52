#include "ctl/errors.h"

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tandem::ctl {
namespace {

constexpr char kUsagePayload[] = "tandem.ctl/usage";

//! A short reason for a connection failure from gRPC's long message.
constexpr char kTlsPrefix[] = "TLS: ";

std::string ConnectReason(absl::string_view message) {
  std::string lower = absl::AsciiStrToLower(message);
  if (absl::StrContains(lower, "certificate verify failed") ||
      absl::StrContains(lower, "certificate_verify_failed")) {
    return "TLS: the server's certificate is not signed by the CA given (--ca), or has expired";
  }
  if (absl::StrContains(lower, "hostname verification")) {
    return "TLS: the server's certificate does not name the address dialed (its SANs); dial a "
           "name it has, or issue it with this one (tandemctl pki issue --dns/--ip)";
  }
  if (absl::StrContains(lower, "handshake failed") || absl::StrContains(lower, "wrong_version") ||
      absl::StrContains(lower, "wrong version")) {
    return "TLS: handshake failed (does the server run without TLS? then --plaintext)";
  }
  if (absl::StrContains(lower, "connection refused")) return "connection refused";
  if (absl::StrContains(lower, "dns resolution failed") ||
      absl::StrContains(lower, "name or service not known")) {
    return "unknown host";
  }
  if (absl::StrContains(lower, "no route to host")) return "no route to host";
  if (absl::StrContains(lower, "connection reset")) return "connection reset";
  if (absl::StrContains(lower, "socket closed") || absl::StrContains(lower, "goaway")) {
    return "connection closed";
  }
  return std::string(message.substr(0, 120));
}

//! `message` plus our advice, unless the server already gave some.
std::string WithHint(absl::string_view what, absl::string_view message, absl::string_view hint) {
  std::string lower = absl::AsciiStrToLower(message);
  bool advised = absl::StrContains(lower, "again") || absl::StrContains(lower, "; ");
  if (advised) return absl::StrCat(what, ": ", message);
  return absl::StrCat(what, ": ", message, "; ", hint);
}

}  // namespace

std::string ShortReason(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kUnavailable) {
    std::string reason = ConnectReason(status.message());
    if (reason.size() < status.message().size()) return reason;
  }
  return absl::StrCat(absl::StatusCodeToString(status.code()), ": ",
                      status.message().substr(0, 120));
}

absl::Status UsageError(absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

absl::Status WarningsStatus(const std::vector<std::string>& warnings) {
  if (warnings.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(warnings.size(), " warning(s); see above"));
}

int ExitCode(const absl::Status& status) {
  if (status.ok()) return 0;
  return IsUsageError(status) ? 2 : 1;
}

absl::Status DescribeRpcError(const absl::Status& status, absl::string_view what,
                              absl::string_view server) {
  absl::string_view msg = status.message();
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      // A Configuration Server Proxy explains itself (limited mode, loading).
      if (absl::StartsWith(msg, "limited mode") ||
          absl::StrContains(msg, "Configuration Server Proxy")) {
        return absl::UnavailableError(absl::StrCat(what, ": ", msg));
      }
      if (std::string reason = ConnectReason(msg); absl::StartsWith(reason, kTlsPrefix)) {
        return absl::UnavailableError(
            absl::StrCat("cannot connect to server ", server, ": ", reason));
      } else {
        return absl::UnavailableError(absl::StrCat("cannot reach server ", server, " (", reason,
                                                   "); is tandemd running? set --server or "
                                                   "TANDEM_SERVER"));
      }
    case absl::StatusCode::kDeadlineExceeded:
      // gRPC's own timeout says just "Deadline Exceeded"; anything longer is
      // the server's explanation (e.g. a write not yet replicated).
      if (msg.size() > 40) return absl::DeadlineExceededError(absl::StrCat(what, ": ", msg));
      return absl::DeadlineExceededError(absl::StrCat(
          what, ": server ", server,
          " did not answer in time; is it overloaded? raise --timeout to wait longer"));
    case absl::StatusCode::kNotFound:
      return absl::NotFoundError(WithHint(what, msg, "check the name or DBID with tandemctl list"));
    case absl::StatusCode::kAborted:
      return absl::AbortedError(WithHint(
          what, msg, "the object changed since you read it: get it again and re-apply your edit"));
    case absl::StatusCode::kInvalidArgument:
      return absl::InvalidArgumentError(WithHint(what, msg, "fix it and retry"));
    case absl::StatusCode::kAlreadyExists:
      return absl::AlreadyExistsError(
          WithHint(what, msg, "choose another name or DBID, or update the object"));
    case absl::StatusCode::kFailedPrecondition:
      return absl::FailedPreconditionError(absl::StrCat(what, ": ", msg));
    case absl::StatusCode::kOutOfRange:
      return absl::OutOfRangeError(absl::StrCat(what, ": ", msg));
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      // The server says what to do (log in, which right is missing).
      return absl::Status(status.code(), absl::StrCat(what, ": ", msg));
    case absl::StatusCode::kUnimplemented:
      return absl::UnimplementedError(
          absl::StrCat(what, ": the server at ", server, " does not support this (", msg,
                       "); is it a Tandem configuration server of the same version?"));
    default:
      return absl::Status(status.code(), absl::StrCat(what, ": server error: ", msg));
  }
}

}  // namespace tandem::ctl
