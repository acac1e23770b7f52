#include "load/client.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "net/channel.h"

namespace tandem::bench {

namespace {
net::ChannelOptions WithTls(const TlsFiles& tls) {
  net::ChannelOptions o;
  o.tls = tls;
  return o;
}
}  // namespace

LoadClient::LoadClient(const std::string& target, const TlsFiles& tls)
    : channel_(net::MakeChannel(target, WithTls(tls))),
      stub_(v1::ConfigService::NewStub(channel_)) {}

absl::Status LoadClient::Register(const std::string& application_name) {
  v1::RegisterRequest request;
  request.set_application_name(application_name);
  request.set_client_version("tandem-load");
  v1::RegisterResponse response;
  auto context = NewContext();
  // Rides out a connection that is still being set up or briefly refused.
  context->set_wait_for_ready(true);
  grpc::Status status = stub_->Register(context.get(), request, &response);
  if (!status.ok()) return absl::UnavailableError("Register: " + Describe(status));
  session_id_ = response.session_id();
  return absl::OkStatus();
}

std::unique_ptr<grpc::ClientContext> LoadClient::NewContext(
    std::chrono::milliseconds timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  if (!session_id_.empty()) context->AddMetadata("x-tandem-session", session_id_);
  return context;
}

absl::StatusOr<std::vector<LoadClientPtr>> MakeClients(const LoadOptions& options, int n) {
  const std::string& target = options.server;
  const std::string& application_name = options.app_name;
  std::vector<LoadClientPtr> clients(n);
  std::atomic<int> next{0};
  std::mutex mu;
  absl::Status first_error;
  auto work = [&] {
    for (int i = next++; i < n; i = next++) {
      auto client = std::make_unique<LoadClient>(target, options.tls);
      absl::Status status = client->Register(application_name);
      if (!status.ok()) {
        std::lock_guard lock(mu);
        if (first_error.ok()) first_error = status;
        return;
      }
      clients[i] = std::move(client);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::min(n, 8); ++t) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  if (!first_error.ok()) return first_error;
  return clients;
}

namespace {
//! --folder: where every object tandem-load makes goes (0: outside any).
int64_t g_folder = 0;
}  // namespace

void SetObjectFolder(int64_t folder_dbid) { g_folder = folder_dbid; }

v1::ConfigObject MakeHost(const std::string& name, int64_t i) {
  v1::ConfigObject host;
  host.set_type(v1::OBJECT_TYPE_HOST);
  host.set_folder_dbid(g_folder);
  host.set_name(name);
  host.set_enabled(true);
  auto& props = *host.mutable_properties();
  props["address"].set_string_value(absl::StrCat("host-", i % 1000, ".bench.example"));
  props["os"].set_string_value("linux");
  props["lca_port"].set_int_value(4999);
  return host;
}

v1::ConfigObject MakeApplication(const std::string& name, int64_t host_dbid, int64_t i) {
  v1::ConfigObject app;
  app.set_type(v1::OBJECT_TYPE_APPLICATION);
  app.set_folder_dbid(g_folder);
  app.set_name(name);
  app.set_enabled(true);
  auto& props = *app.mutable_properties();
  props["app_type"].set_string_value("Sample");
  auto* host = props["host"].mutable_ref_value();
  host->set_type(v1::OBJECT_TYPE_HOST);
  host->set_dbid(host_dbid);
  auto* port = props["ports"].mutable_list_value()->add_values()->mutable_record_value();
  (*port->mutable_fields())["id"].set_string_value("default");
  (*port->mutable_fields())["port"].set_int_value(7000 + i % 1000);
  props["working_directory"].set_string_value("/opt/bench");
  props["command_line"].set_string_value("./sample_app");
  props["arguments"].set_string_value(absl::StrCat("-app ", name));
  (*(*app.mutable_options())["log"].mutable_entries())["verbose"] = "standard";
  return app;
}

absl::StatusOr<std::vector<v1::ConfigObject>> CreateInBatches(
    LoadClient& client, const std::vector<v1::ConfigObject>& objects, int batch) {
  std::vector<v1::ConfigObject> written;
  written.reserve(objects.size());
  for (size_t begin = 0; begin < objects.size(); begin += batch) {
    size_t end = std::min(objects.size(), begin + static_cast<size_t>(batch));
    v1::TransactionRequest request;
    for (size_t i = begin; i < end; ++i) {
      *request.add_operations()->mutable_create()->mutable_object() = objects[i];
    }
    v1::TransactionResponse response;
    auto context = client.NewContext(std::chrono::seconds(120));
    grpc::Status status = client.stub().Transaction(context.get(), request, &response);
    if (!status.ok()) return absl::UnavailableError("Transaction: " + Describe(status));
    if (static_cast<size_t>(response.objects_size()) != end - begin) {
      return absl::InternalError(absl::StrCat("Transaction returned ", response.objects_size(),
                                              " objects for ", end - begin, " creates"));
    }
    for (auto& object : *response.mutable_objects()) written.push_back(std::move(object));
  }
  return written;
}

std::string RunTag() { return RandomId().substr(0, 8); }

std::string Describe(const grpc::Status& status) {
  return absl::StrCat("status ", static_cast<int>(status.error_code()), ": ",
                      status.error_message());
}

}  // namespace tandem::bench
