// The client end of AppAgent.Attach (libtandem's link to its LCA), over the
// LCA's Unix socket: one stream; Write and Read may run on two threads.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "tandem/control/v1/lca.pb.h"

namespace tandem::net {

class AgentStream {
 public:
  virtual ~AgentStream() = default;
  //! False once the stream is broken.
  virtual bool Write(const control::v1::AppMessage& m) = 0;
  //! Blocks for the next message; false at the end of the stream.
  virtual bool Read(control::v1::AgentMessage* m) = 0;
  //! Ends the stream from any thread (Read returns false).
  virtual void Cancel() = 0;
  //! Why the stream ended (after Read returned false).
  virtual absl::Status Finish() = 0;
};

//! Connects to the LCA at the Unix socket `path` and opens the stream.
std::unique_ptr<AgentStream> OpenAgentStream(const std::string& path);

}  // namespace tandem::net
