#include "msg/msgserver_app.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/hash.h"
#include "common/host_port.h"
#include "common/signals.h"
#include "common/status_macros.h"
#include "config/refs.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "metrics/metrics_server.h"
#include "msg/log_service.h"
#include "msg/msg_metrics.h"
#include "net/channel.h"
#include "net/grpc_server.h"
#include "net/status_convert.h"
#include "scs/pair_backends.h"
#include "spdlog/spdlog.h"

namespace tandem::msg {

namespace cfgv1 = ::tandem::config::v1;
namespace cv1 = ::tandem::control::v1;

namespace {
constexpr size_t kMaxDecisions = 10000;
}  // namespace

MasterBusAccess::MasterBusAccess(std::string application, std::function<int64_t()> own_dbid,
                                 Ask ask, absl::Duration cache, Clock& clock)
    : application_(std::move(application)),
      own_dbid_(std::move(own_dbid)),
      ask_(std::move(ask)),
      cache_(cache),
      clock_(clock) {}

MasterBusAccess::~MasterBusAccess() { asker_.Stop(); }

void MasterBusAccess::Check(const net::OperatorCall& call, const std::string& right,
                            std::function<void(absl::StatusOr<std::string>)> done) {
  const std::string key = absl::StrCat(right, "|", call.token.empty() ? "" : Sha256(call.token, ""),
                                       "|", call.certificate, "|", call.claimed);
  std::optional<absl::StatusOr<std::string>> cached;
  {
    absl::MutexLock lock(&mu_);
    auto it = decisions_.find(key);
    if (it != decisions_.end() && clock_.Now() - it->second.at < cache_) cached = it->second.who;
  }
  if (cached.has_value()) {
    done(*std::move(cached));
    return;
  }
  asker_.Submit(
      [this, call, right, key, done = std::move(done)] { done(Decide(call, right, key)); });
}

absl::StatusOr<std::string> MasterBusAccess::Decide(const net::OperatorCall& call,
                                                    const std::string& right,
                                                    const std::string& key) {
  const char* doing = right == "read" ? "subscribe at" : "publish on";
  const int64_t dbid = own_dbid_();
  if (dbid == 0) {
    return absl::UnavailableError(absl::StrCat("the Message Server's Application ", application_,
                                               " is not in the configuration yet; retry"));
  }
  cv1::CheckAccessRequest req;
  req.set_token(call.token);
  req.set_certificate(call.certificate);
  req.set_peer(call.peer);
  req.set_claimed(call.claimed);
  req.set_right(right);
  req.set_action(absl::StrCat(doing, " ", application_));
  cv1::CheckedObject* o = req.add_objects();
  o->set_type(cfgv1::OBJECT_TYPE_APPLICATION);
  o->set_dbid(dbid);
  absl::StatusOr<cv1::CheckAccessResponse> resp = ask_(req);
  absl::MutexLock lock(&mu_);
  if (absl::IsUnavailable(resp.status()) || absl::IsDeadlineExceeded(resp.status())) {
    // No master: a caller decided before keeps its answer until one is back.
    auto it = decisions_.find(key);
    if (it != decisions_.end()) return it->second.who;
    return absl::UnavailableError(absl::StrCat("cannot tell whether you may ", doing, " ",
                                               application_, ": ", resp.status().message()));
  }
  if (!resp.ok()) return resp.status();  // not good credentials: not kept
  absl::StatusOr<std::string> who = resp->who();
  if (!resp->authentication_off() && (resp->allowed_size() < 1 || !resp->allowed(0))) {
    who = absl::PermissionDeniedError(absl::StrCat(
        resp->who(), " may not ", doing, " the Message Server ", application_, ": it needs the ",
        right, " right on Application ", application_, " (tandemctl grant app ", application_,
        " --application|--person|--group NAME --rights ", right, ")"));
    spdlog::warn("bus: refused: {}", std::string(who.status().message()));
  }
  if (decisions_.size() >= kMaxDecisions) decisions_.clear();
  decisions_[key] = Decision{who, clock_.Now()};
  return who;
}

namespace {

net::ChannelOptions CopyChannel(TlsFiles tls) {
  net::ChannelOptions co;
  co.tls = std::move(tls);
  co.keepalive_time_ms = 5000;  // the least servers take (net/grpc_server.cc)
  co.keepalive_timeout_ms = 2000;
  return co;
}

net::ChannelOptions ProbeChannel(TlsFiles tls) {
  net::ChannelOptions co;
  co.tls = std::move(tls);
  co.max_reconnect_backoff_ms = 500;
  return co;
}

}  // namespace

v1::MessageBus::Stub& PartnerStub::For(const std::string& address) {
  if (address != dialed_ || stub_ == nullptr) {
    stub_ = v1::MessageBus::NewStub(net::MakeChannel(address, options_));
    dialed_ = address;
  }
  return *stub_;
}

BusCopier::BusCopier(Bus& bus, std::function<std::string()> address, TlsFiles tls)
    : bus_(bus), address_(std::move(address)), stub_(CopyChannel(std::move(tls))) {
  thread_ = std::thread([this] { Run(); });
}

BusCopier::~BusCopier() { Stop(); }

void BusCopier::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (ctx_ != nullptr) ctx_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void BusCopier::Run() {
  std::string last_error;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopping), absl::Milliseconds(200));
      if (stopping_) return;
    }
    if (bus_.acting()) continue;
    const std::string address = address_();
    if (address.empty()) continue;
    absl::Status st = CopyOnce(address);
    copying_ = false;
    const std::string error(st.message());
    if (!st.ok() && error != last_error && !bus_.acting()) {
      spdlog::warn("bus: copy from the partner at {} stopped: {} (copying again)", address, error);
    }
    last_error = error;
  }
}

absl::Status BusCopier::CopyOnce(const std::string& address) {
  grpc::ClientContext ctx;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::OkStatus();
    ctx_ = &ctx;
  }
  auto reader = stub_.For(address).Copy(&ctx, v1::CopyRequest());
  std::vector<std::pair<std::string, ChannelSnapshot>> snapshot;
  bool live = false;
  absl::Status failed;
  v1::CopyEvent e;
  while (failed.ok() && reader->Read(&e)) {
    if (bus_.acting()) {
      failed = absl::CancelledError("this server acts now");
      break;
    }
    if (!live) {
      if (e.has_channel()) {
        ChannelSnapshot s;
        for (int i = 0;
             i < e.channel().histories_size() && i < e.channel().history_first_seq_size(); ++i) {
          s.histories.emplace_back(e.channel().histories(i), e.channel().history_first_seq(i));
        }
        s.next_seq = e.channel().next_seq();
        snapshot.emplace_back(e.channel().name(), std::move(s));
      }
      for (const v1::BusMessage& m : e.messages()) {
        if (snapshot.empty() || snapshot.back().first != m.channel()) {
          failed = absl::DataLossError("the copy's snapshot is out of order");
          break;
        }
        snapshot.back().second.messages.push_back(FromWire(m));
      }
      if (e.snapshot_done()) {
        size_t messages = 0;
        for (const auto& [n, s] : snapshot) messages += s.messages.size();
        spdlog::info("bus: copied {} channels ({} messages) from the partner at {}; following it",
                     snapshot.size(), messages, address);
        bus_.ReplaceAll(std::move(snapshot));
        snapshot.clear();
        live = true;
        copying_ = true;
      }
      continue;
    }
    for (const v1::BusMessage& m : e.messages()) {
      if (absl::Status st = bus_.Append(m.channel(), FromWire(m)); !st.ok()) {
        failed = st;
        break;
      }
    }
  }
  if (!failed.ok()) ctx.TryCancel();
  grpc::Status st = reader->Finish();
  {
    absl::MutexLock lock(&mu_);
    ctx_ = nullptr;
  }
  if (!failed.ok()) return failed;
  return st.ok() ? absl::OkStatus() : net::FromGrpc(st);
}

BusPartnerProbe::BusPartnerProbe(std::function<std::string()> address, TlsFiles tls)
    : address_(std::move(address)), stub_(ProbeChannel(std::move(tls))) {}

bool BusPartnerProbe::Alive() {
  const std::string address = address_();
  if (address.empty()) return false;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  v1::BusInfo info;
  // A partner that answers but does not act (it restarted, its memory
  // empty) is no reason to wait: the one with the copy should act.
  return stub_.For(address).GetInfo(&ctx, v1::GetBusInfoRequest(), &info).ok() && info.acting();
}

std::vector<AlarmRule> AlarmRulesOf(const client::TandemClient& cfg) {
  std::vector<AlarmRule> rules = BuiltInAlarmRules();
  for (const cfgv1::ConfigObject& o : cfg.All(cfgv1::OBJECT_TYPE_ALARM_CONDITION)) {
    auto prop = [&o](const char* name) -> const cfgv1::Value* {
      auto it = o.properties().find(name);
      return it == o.properties().end() ? nullptr : &it->second;
    };
    AlarmRule r;
    r.name = o.name();
    if (const cfgv1::Value* v = prop("category"); v != nullptr && !v->string_value().empty()) {
      r.category = v->string_value();
    }
    if (const cfgv1::Value* v = prop("detect_log_event_id")) r.detect = v->int_value();
    if (const cfgv1::Value* v = prop("cancel_log_event_id")) r.cancel = v->int_value();
    if (const cfgv1::Value* v = prop("cancel_timeout_s")) r.timeout = absl::Seconds(v->int_value());
    if (r.detect != 0) rules.push_back(std::move(r));
  }
  return rules;
}

absl::Status RunMsgServer(const MsgConfig& config) {
  Bus bus(config.bus, Clock::Real());
  client::ClientOptions co;
  co.servers = config.masters;
  co.application = config.application;
  co.types = {cfgv1::OBJECT_TYPE_HOST, cfgv1::OBJECT_TYPE_APPLICATION,
              cfgv1::OBJECT_TYPE_ALARM_CONDITION};
  co.tls = config.tls;
  TANDEM_ASSIGN_OR_RETURN(
      std::unique_ptr<client::TandemClient> cfg,
      client::TandemClient::Start(co, nullptr, [&](const client::ClientState& s) {
        spdlog::info("msgserver: configuration {} ({}){}", client::HealthName(s.health), s.server,
                     s.detail.empty() ? "" : ": " + s.detail);
      }));
  if (!cfg->WaitReady(absl::Seconds(30))) {
    spdlog::warn("msgserver: no master ({}) answered within 30 s; still trying",
                 absl::StrJoin(config.masters, ", "));
  }
  for (int waited = 0; !cfg->Find(cfgv1::OBJECT_TYPE_APPLICATION, config.application); ++waited) {
    if (waited % 100 == 0) {
      spdlog::warn("msgserver: no Application '{}' in the configuration yet; waiting for it",
                   config.application);
    }
    if (const int sig = TerminationSignalWithin(100); sig != 0) {
      spdlog::info("signal {} received while waiting: the Message Server stops", sig);
      cfg->Stop();
      return absl::OkStatus();
    }
  }
  std::optional<scs::PairMembers> pair = scs::FindPair(*cfg, config.application);
  const std::string partner = pair.has_value() ? pair->partner : "";
  // One Application governs the pair's permissions: the first server's
  // (where the lock is), so that grants need not be kept twice.
  const std::string governing = pair.has_value() ? pair->lock_application : config.application;
  net::AccessCheckClient checker(config.masters, config.tls);
  MasterBusAccess access(
      governing,
      [&cfg, governing]() -> int64_t {
        auto a = cfg->Find(cfgv1::OBJECT_TYPE_APPLICATION, governing);
        return a.has_value() ? a->dbid() : 0;
      },
      [&](const cv1::CheckAccessRequest& r) { return checker.Check(r); }, config.access_cache,
      Clock::Real());
  std::unique_ptr<BusCopier> copier;
  BusServiceOptions so;
  so.application = config.application;
  so.partner = partner;
  so.check_partner_certificate = !config.tls.plaintext;
  BusServiceImpl service(bus, access, so, [&] { return copier != nullptr && copier->copying(); });

  std::unique_ptr<scs::ConfigEpochStore> store;
  std::unique_ptr<BusPartnerProbe> probe;
  std::unique_ptr<scs::PairRole> role;
  if (pair.has_value()) {
    config::ClientOptions client_options;
    client_options.application_name = config.application;
    client_options.client_version = "tandemd-msgserver";
    client_options.tls = config.tls;
    store = std::make_unique<scs::ConfigEpochStore>(*cfg, pair->lock_application, config.masters,
                                                    client_options, "msg-pair");
    auto partner_address = [&cfg, partner] { return scs::AddressOf(*cfg, partner); };
    probe = std::make_unique<BusPartnerProbe>(partner_address, config.tls);
    scs::PairRoleOptions ro;
    ro.takeover_after = config.takeover_after;
    ro.configured_backup = pair->lock_application != config.application;
    ro.retake_own_lock = false;  // what it held went with it; the partner has the copy
    role =
        std::make_unique<scs::PairRole>(config.application, ro, Clock::Real(), *store, probe.get());
    copier = std::make_unique<BusCopier>(bus, partner_address, config.tls);
    spdlog::info("msgserver: one of the pair {}/{} (lock in {}'s annex [msg-pair])",
                 config.application, partner, pair->lock_application);
  } else {
    bus.SetActing(true, 0);
    spdlog::info("msgserver: no partner (no Application names {} as backup, nor it one): acting",
                 config.application);
  }
  // With a Log Database this is a Log Message Server too.
  std::unique_ptr<logdb::LogStore> log_store;
  std::unique_ptr<AlarmEngine> alarms;
  std::unique_ptr<LogServiceImpl> log_service;
  std::vector<grpc::Service*> services = {&service};
  if (config.logdb.enabled()) {
    absl::StatusOr<std::unique_ptr<logdb::LogStore>> opened =
        config.logdb.sqlite.empty()
            ? logdb::LogStore::OpenPostgres(config.logdb.postgres, config.logdb.store)
            : logdb::LogStore::OpenSqlite(config.logdb.sqlite, config.logdb.store);
    if (!opened.ok()) {
      return absl::Status(
          opened.status().code(),
          absl::StrCat("[logdb]: cannot open the Log Database: ", opened.status().message()));
    }
    log_store = *std::move(opened);
    alarms = std::make_unique<AlarmEngine>(
        *log_store, [&cfg] { return AlarmRulesOf(*cfg); },
        [&bus, who = "application " + config.application](const logdb::Alarm& a, bool raised) {
          mv1::Alarm wire;
          ToWire(a, &wire);
          std::string json;
          (void)google::protobuf::util::MessageToJsonString(wire, &json);
          if (absl::StatusOr<Bus::Published> p = bus.Publish(kAlarmsChannel, who, json); !p.ok()) {
            spdlog::warn("alarms: cannot publish that {} {}: {}", a.condition,
                         raised ? "was raised" : "cleared", std::string(p.status().message()));
          }
        },
        Clock::Real());
    LogServiceOptions lo;
    lo.alarms = alarms.get();
    lo.speaks_for_others = [&cfg](const std::string& application) {
      auto app = cfg->Find(cfgv1::OBJECT_TYPE_APPLICATION, application);
      return app.has_value() && app->enabled() && config::AppType(*app) == "SCS";
    };
    lo.application = config.application;
    lo.host = ThisHost();
    lo.partner = partner;
    lo.rate_per_app = config.logdb.rate_per_app;
    lo.store = config.logdb.store;
    log_service = std::make_unique<LogServiceImpl>(
        *log_store, access, lo, [&bus] { return bus.acting(); }, Clock::Real());
    services.push_back(log_service.get());
    spdlog::info("msgserver: Log Message Server over {}", log_store->Describe());
  }
  // Before the listener, so that it outlives the calls it counts.
  TANDEM_ASSIGN_OR_RETURN(auto metrics_server, metrics::StartMetricsIfConfigured(config.metrics));
  metrics::CollectorHandle bus_metrics = AddBusCollector(metrics::Registry::Default(), bus);
  metrics::CollectorHandle log_metrics;
  if (log_service != nullptr) {
    log_metrics = AddLogCollector(metrics::Registry::Default(), *log_service, *alarms);
  }
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<net::GrpcServer> listener,
                          net::GrpcServer::Start(config.listen, services, {.tls = config.tls}));
  if (!config.ready_file.empty()) {
    TANDEM_RETURN_IF_ERROR(net::WritePortFile(config.ready_file, listener->port()));
  }
  spdlog::info("msgserver {} serving on {}, following masters {}", config.application,
               config.listen, absl::StrJoin(config.masters, ", "));
  int sig = 0;
  absl::Time trimmed = absl::Now();
  absl::Time maintained = absl::InfinitePast();
  while ((sig = TerminationSignalWithin(100)) == 0) {
    if (log_service != nullptr && bus.acting() &&
        absl::Now() - trimmed >= config.logdb.trim_every) {
      trimmed = absl::Now();
      log_service->Trim();
    }
    if (log_service != nullptr && absl::Now() - maintained >= absl::Seconds(1)) {
      maintained = absl::Now();
      log_service->Maintain(bus.acting());
    }
    if (role == nullptr) continue;
    scs::PairRole::Decision d = role->Step();
    if (!d.change.empty()) spdlog::info("msgserver: {}", d.change);
    bus.SetActing(d.acting, d.epoch);
  }
  spdlog::info("signal {} received: the Message Server stops", sig);
  access.Stop();
  listener->Shutdown(absl::Seconds(1));
  if (log_service != nullptr) log_service->Stop();
  if (copier != nullptr) copier->Stop();
  cfg->Stop();
  return absl::OkStatus();
}

}  // namespace tandem::msg
