// A callback-API reader for server-streaming calls (List, Watch).
#pragma once

#include <functional>
#include <utility>

#include "grpcpp/support/client_callback.h"

namespace tandem::bench {

//! Reads every message of one stream. `on_message` runs on a gRPC thread, never
//! concurrently with itself for the same stream; `on_done` runs once at the end.
//! The owner keeps the reader alive until `on_done` has run.
template <typename Response>
class StreamReader : public grpc::ClientReadReactor<Response> {
 public:
  using MessageFn = std::function<void(const Response&)>;
  using DoneFn = std::function<void(const grpc::Status&)>;

  StreamReader(MessageFn on_message, DoneFn on_done)
      : on_message_(std::move(on_message)), on_done_(std::move(on_done)) {}

  //! Call after the stub's async()->Method(context, request, this).
  void Begin() {
    this->StartRead(&response_);
    this->StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    on_message_(response_);
    response_.Clear();
    this->StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override { on_done_(status); }

 private:
  MessageFn on_message_;
  DoneFn on_done_;
  Response response_;
};

}  // namespace tandem::bench
