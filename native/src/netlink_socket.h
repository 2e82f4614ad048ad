// A netlink socket as an fd-level object: open, options, send a raw buffer,
// readiness through uv_poll with recvmsg delivering raw datagram batches.
// It knows no rtnetlink message type or attribute: the protocol number and
// every group number come from TypeScript.
#pragma once
#include <napi.h>
#include <uv.h>

#include <vector>

namespace netevd {

class NetlinkSocket : public Napi::ObjectWrap<NetlinkSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NetlinkSocket(const Napi::CallbackInfo& info);
  ~NetlinkSocket() override;

  /** Closes every socket still open when the environment goes away. */
  static void CloseAll();

 private:
  struct Poll;  // the uv_poll_t and what its callbacks need; freed in uv_close's callback

  Napi::Value Fd(const Napi::CallbackInfo& info);
  Napi::Value PortId(const Napi::CallbackInfo& info);
  Napi::Value JoinGroup(const Napi::CallbackInfo& info);
  Napi::Value LeaveGroup(const Napi::CallbackInfo& info);
  Napi::Value Membership(const Napi::CallbackInfo& info, int option);
  Napi::Value SetIntOption(const Napi::CallbackInfo& info);
  Napi::Value SetReceiveBuffer(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  void CheckOpen(Napi::Env env, const char* syscall) const;
  void CloseNow();
  static void OnReadable(uv_poll_t* handle, int status, int events);
  static void OnClosed(uv_handle_t* handle);

  int fd_ = -1;
  uint32_t port_id_ = 0;
  Poll* poll_ = nullptr;
};

}  // namespace netevd
