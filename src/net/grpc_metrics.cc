#include "net/grpc_metrics.h"

#include <chrono>
#include <string>

#include "absl/container/node_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/status.h"

namespace tandem::net {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK:
      return "OK";
    case grpc::CANCELLED:
      return "Canceled";
    case grpc::UNKNOWN:
      return "Unknown";
    case grpc::INVALID_ARGUMENT:
      return "InvalidArgument";
    case grpc::DEADLINE_EXCEEDED:
      return "DeadlineExceeded";
    case grpc::NOT_FOUND:
      return "NotFound";
    case grpc::ALREADY_EXISTS:
      return "AlreadyExists";
    case grpc::PERMISSION_DENIED:
      return "PermissionDenied";
    case grpc::RESOURCE_EXHAUSTED:
      return "ResourceExhausted";
    case grpc::FAILED_PRECONDITION:
      return "FailedPrecondition";
    case grpc::ABORTED:
      return "Aborted";
    case grpc::OUT_OF_RANGE:
      return "OutOfRange";
    case grpc::UNIMPLEMENTED:
      return "Unimplemented";
    case grpc::INTERNAL:
      return "Internal";
    case grpc::UNAVAILABLE:
      return "Unavailable";
    case grpc::DATA_LOSS:
      return "DataLoss";
    case grpc::UNAUTHENTICATED:
      return "Unauthenticated";
    default:
      return "Unknown";
  }
}

const char* TypeName(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY:
      return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unknown";
}

// The cells of one method, found once.
struct MethodCells {
  std::string service, method;
  metrics::Counter* started;
  metrics::Gauge* in_flight;
  metrics::Histogram* seconds;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(metrics::Registry& r)
      : started_(r.Counter("grpc_server_started_total", "RPCs started on the server.",
                           {"grpc_service", "grpc_method", "grpc_type"})),
        handled_(r.Counter("grpc_server_handled_total",
                           "RPCs completed on the server, by status code.",
                           {"grpc_service", "grpc_method", "grpc_type", "grpc_code"})),
        in_flight_(r.Gauge("tandem_grpc_server_in_flight",
                           "RPCs started and not yet completed (open streams included).",
                           {"grpc_service", "grpc_method", "grpc_type"})),
        seconds_(r.Histogram("grpc_server_handling_seconds",
                             "Time from the start of an RPC to its status, in seconds (a "
                             "stream's whole life).",
                             {"grpc_service", "grpc_method", "grpc_type"})) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override;

  const MethodCells& CellsOf(const char* full, ServerRpcInfo::Type type) {
    std::string name = full == nullptr ? "" : full;
    absl::MutexLock lock(&mu_);
    // The server's own methods are a few dozen; a bound keeps a client's
    // made-up names from growing the metrics without end.
    if (!cells_.contains(name) && cells_.size() >= 1000) name = "/unknown/other";
    auto [it, fresh] = cells_.try_emplace(name);
    if (fresh) {
      const size_t slash = name.rfind('/');
      MethodCells& c = it->second;
      c.service = slash == std::string::npos || slash == 0 ? "unknown" : name.substr(1, slash - 1);
      c.method = slash == std::string::npos ? name : name.substr(slash + 1);
      const metrics::LabelValues labels{c.service, c.method, TypeName(type)};
      c.started = started_.With(labels);
      c.in_flight = in_flight_.With(labels);
      c.seconds = seconds_.With(labels);
    }
    return it->second;
  }
  void Handled(const MethodCells& c, ServerRpcInfo::Type type, grpc::StatusCode code) {
    handled_.With({c.service, c.method, TypeName(type), CodeName(code)})->Increment();
  }

 private:
  metrics::Family<metrics::Counter>& started_;
  metrics::Family<metrics::Counter>& handled_;
  metrics::Family<metrics::Gauge>& in_flight_;
  metrics::Family<metrics::Histogram>& seconds_;
  absl::Mutex mu_;
  // By "/package.Service/Method"; node-based, so a reference stays valid.
  absl::node_hash_map<std::string, MethodCells> cells_ ABSL_GUARDED_BY(mu_);
};

class CallMetrics final : public grpc::experimental::Interceptor {
 public:
  CallMetrics(Factory* factory, ServerRpcInfo* info)
      : factory_(factory),
        type_(info->type()),
        cells_(factory->CellsOf(info->method(), info->type())),
        start_(std::chrono::steady_clock::now()) {
    cells_.started->Increment();
    cells_.in_flight->Add(1);
  }
  ~CallMetrics() override { cells_.in_flight->Add(-1); }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start_;
      cells_.seconds->Observe(took.count());
      factory_->Handled(cells_, type_, methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  Factory* factory_;
  ServerRpcInfo::Type type_;
  const MethodCells& cells_;
  std::chrono::steady_clock::time_point start_;
};

grpc::experimental::Interceptor* Factory::CreateServerInterceptor(ServerRpcInfo* info) {
  return new CallMetrics(this, info);
}

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeGrpcMetrics(
    metrics::Registry& registry) {
  return std::make_unique<Factory>(registry);
}

}  // namespace tandem::net
