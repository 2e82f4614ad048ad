#include "netlink_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include "errors.h"

namespace netevd {

namespace {
// Datagrams larger than this are reported truncated and the buffer grows for the next read.
constexpr size_t kInitialBuffer = 64 * 1024;
// Bound one callback's batch, in datagrams and in bytes (a dump's datagrams
// carry a hundred routes each), so that a flood or a big dump is handled in
// slices with the rest of the event loop (timers, hooks' output) in between.
constexpr int kMaxBatch = 256;
constexpr size_t kMaxBatchBytes = 64 * 1024;
std::set<NetlinkSocket*> open_sockets;
}  // namespace

struct NetlinkSocket::Poll {
  uv_poll_t handle;
  int fd;
  Napi::FunctionReference callback;
  std::vector<uint8_t> buffer = std::vector<uint8_t>(kInitialBuffer);
};

Napi::Function NetlinkSocket::Define(Napi::Env env) {
  return DefineClass(env, "NetlinkSocket",
                     {
                         InstanceAccessor<&NetlinkSocket::Fd>("fd"),
                         InstanceAccessor<&NetlinkSocket::PortId>("portId"),
                         InstanceMethod<&NetlinkSocket::JoinGroup>("joinGroup"),
                         InstanceMethod<&NetlinkSocket::LeaveGroup>("leaveGroup"),
                         InstanceMethod<&NetlinkSocket::SetIntOption>("setIntOption"),
                         InstanceMethod<&NetlinkSocket::SetReceiveBuffer>("setReceiveBuffer"),
                         InstanceMethod<&NetlinkSocket::Send>("send"),
                         InstanceMethod<&NetlinkSocket::Start>("start"),
                         InstanceMethod<&NetlinkSocket::Stop>("stop"),
                         InstanceMethod<&NetlinkSocket::Close>("close"),
                     });
}

// new NetlinkSocket(protocol[, fd]): socket() + bind() with a kernel-assigned
// port id. With fd, that socket is taken over instead (one opened in another
// network namespace and handed over): it must be an unbound netlink socket of
// this protocol, and it is closed on failure as on close().
NetlinkSocket::NetlinkSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetlinkSocket>(info) {
  Napi::Env env = info.Env();
  int protocol = info[0].As<Napi::Number>().Int32Value();
  if (info.Length() > 1 && info[1].IsNumber()) {
    fd_ = info[1].As<Napi::Number>().Int32Value();
    int domain = 0, proto = -1;
    socklen_t len = sizeof(int);
    bool ok = getsockopt(fd_, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0;
    len = sizeof(int);
    ok = ok && getsockopt(fd_, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0;
    int err = ok ? EPROTOTYPE : errno;
    if (!ok || domain != AF_NETLINK || proto != protocol) {
      close(fd_);
      fd_ = -1;
      ThrowErrno(env, err, "getsockopt");
    }
    int flags = fcntl(fd_, F_GETFL);
    if (flags < 0 || fcntl(fd_, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(fd_, F_SETFD, FD_CLOEXEC) < 0) {
      err = errno;
      close(fd_);
      fd_ = -1;
      ThrowErrno(env, err, "fcntl");
    }
  } else {
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  }
  if (fd_ < 0) ThrowErrno(env, errno, "socket");
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  socklen_t len = sizeof(addr);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
    int err = errno;
    close(fd_);
    fd_ = -1;
    ThrowErrno(env, err, "bind");
  }
  port_id_ = addr.nl_pid;
  open_sockets.insert(this);
}

NetlinkSocket::~NetlinkSocket() { CloseNow(); }

void NetlinkSocket::CloseAll() {
  // CloseNow() erases from the set, so iterate over a copy.
  std::set<NetlinkSocket*> all = open_sockets;
  for (NetlinkSocket* s : all) s->CloseNow();
}

void NetlinkSocket::CheckOpen(Napi::Env env, const char* syscall) const {
  if (fd_ < 0) ThrowErrno(env, EBADF, syscall);
}

Napi::Value NetlinkSocket::Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

Napi::Value NetlinkSocket::PortId(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), port_id_);
}

// joinGroup/leaveGroup(group): NETLINK_ADD_MEMBERSHIP reaches groups >= 32, unlike the bitmask in bind().
Napi::Value NetlinkSocket::Membership(const Napi::CallbackInfo& info, int option) {
  CheckOpen(info.Env(), "setsockopt");
  int group = info[0].As<Napi::Number>().Int32Value();
  if (setsockopt(fd_, SOL_NETLINK, option, &group, sizeof(group)) < 0) ThrowErrno(info.Env(), errno, "setsockopt");
  return info.Env().Undefined();
}

Napi::Value NetlinkSocket::JoinGroup(const Napi::CallbackInfo& info) { return Membership(info, NETLINK_ADD_MEMBERSHIP); }

Napi::Value NetlinkSocket::LeaveGroup(const Napi::CallbackInfo& info) { return Membership(info, NETLINK_DROP_MEMBERSHIP); }

// setIntOption(level, name, value): NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK, … chosen by the caller.
Napi::Value NetlinkSocket::SetIntOption(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env(), "setsockopt");
  int level = info[0].As<Napi::Number>().Int32Value();
  int name = info[1].As<Napi::Number>().Int32Value();
  int value = info[2].As<Napi::Number>().Int32Value();
  if (setsockopt(fd_, level, name, &value, sizeof(value)) < 0) ThrowErrno(info.Env(), errno, "setsockopt");
  return info.Env().Undefined();
}

// setReceiveBuffer(bytes) -> the size the kernel reports. SO_RCVBUFFORCE passes
// rmem_max but needs CAP_NET_ADMIN; without it, SO_RCVBUF (capped) is used.
Napi::Value NetlinkSocket::SetReceiveBuffer(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env(), "setsockopt");
  int bytes = info[0].As<Napi::Number>().Int32Value();
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0 &&
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0) {
    ThrowErrno(info.Env(), errno, "setsockopt");
  }
  int actual = 0;
  socklen_t len = sizeof(actual);
  if (getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &actual, &len) < 0) ThrowErrno(info.Env(), errno, "getsockopt");
  return Napi::Number::New(info.Env(), actual);
}

// send(buffer) -> bytes sent, to the kernel (port 0).
Napi::Value NetlinkSocket::Send(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env(), "sendto");
  Napi::Buffer<uint8_t> buf = info[0].As<Napi::Buffer<uint8_t>>();
  sockaddr_nl to{};
  to.nl_family = AF_NETLINK;
  ssize_t n;
  do {
    n = sendto(fd_, buf.Data(), buf.Length(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  } while (n < 0 && errno == EINTR);
  if (n < 0) ThrowErrno(info.Env(), errno, "sendto");
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// start(callback): callback(error | null, datagrams: Buffer[], truncated: number[])
// is called on the loop thread whenever the socket is readable. `truncated`
// lists indexes of datagrams longer than the read buffer (MSG_TRUNC).
Napi::Value NetlinkSocket::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env, "uv_poll_start");
  if (poll_ != nullptr) ThrowErrno(env, EALREADY, "uv_poll_start");
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) ThrowErrno(env, EINVAL, "napi_get_uv_event_loop");
  auto* p = new Poll();
  p->fd = fd_;
  p->callback = Napi::Persistent(info[0].As<Napi::Function>());
  p->handle.data = p;
  int rc = uv_poll_init(loop, &p->handle, fd_);
  if (rc == 0) rc = uv_poll_start(&p->handle, UV_READABLE, &NetlinkSocket::OnReadable);
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&p->handle), &NetlinkSocket::OnClosed);
    ThrowErrno(env, -rc, "uv_poll_start");
  }
  poll_ = p;
  return env.Undefined();
}

void NetlinkSocket::OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  auto* p = static_cast<Poll*>(handle->data);
  Napi::Env env = p->callback.Env();
  Napi::HandleScope scope(env);
  Napi::Value error = env.Null();
  if (status < 0) {
    // libuv reports EPOLLERR as UV_EBADF and stops the handle. On a netlink
    // socket that is a pending socket error, ENOBUFS after an overrun: read
    // (and clear) it, report it, and keep polling.
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr == 0 ||
        uv_poll_start(handle, UV_READABLE, &NetlinkSocket::OnReadable) != 0) {
      p->callback.Call({ErrnoError(env, -status, "uv_poll").Value(), Napi::Array::New(env), Napi::Array::New(env)});
      return;
    }
    error = ErrnoError(env, soerr, "recv").Value();
  }
  Napi::Array batch = Napi::Array::New(env);
  Napi::Array truncated = Napi::Array::New(env);
  uint32_t count = 0;
  size_t bytes = 0;
  for (int i = 0; i < kMaxBatch && bytes < kMaxBatchBytes; i++) {
    ssize_t n = recv(p->fd, p->buffer.data(), p->buffer.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK && error.IsNull()) error = ErrnoError(env, errno, "recv").Value();
      break;
    }
    size_t got = static_cast<size_t>(n) < p->buffer.size() ? static_cast<size_t>(n) : p->buffer.size();
    if (static_cast<size_t>(n) > p->buffer.size()) {
      truncated.Set(truncated.Length(), count);
      p->buffer.resize(static_cast<size_t>(n));
    }
    batch.Set(count++, Napi::Buffer<uint8_t>::Copy(env, p->buffer.data(), got));
    bytes += got;
  }
  if (count > 0 || !error.IsNull()) {
    // The callback may close the socket (and free p): touch nothing after it.
    p->callback.Call({error, batch, truncated});
  }
}

Napi::Value NetlinkSocket::Stop(const Napi::CallbackInfo& info) {
  if (poll_ != nullptr) {
    poll_->fd = -1;  // the socket stays open; only the poll handle goes
    uv_poll_stop(&poll_->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_->handle), &NetlinkSocket::OnClosed);
    poll_ = nullptr;
  }
  return info.Env().Undefined();
}

void NetlinkSocket::OnClosed(uv_handle_t* handle) {
  auto* p = static_cast<Poll*>(handle->data);
  p->callback.Reset();
  if (p->fd >= 0) close(p->fd);
  delete p;
}

// Idempotent. With a poll handle the fd is closed only in uv_close's callback:
// libuv must not see the fd closed (or reused) while the handle is active.
void NetlinkSocket::CloseNow() {
  if (fd_ < 0) return;
  open_sockets.erase(this);
  if (poll_ != nullptr) {
    uv_poll_stop(&poll_->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_->handle), &NetlinkSocket::OnClosed);
    poll_ = nullptr;
  } else {
    close(fd_);
  }
  fd_ = -1;
}

Napi::Value NetlinkSocket::Close(const Napi::CallbackInfo& info) {
  CloseNow();
  return info.Env().Undefined();
}

}  // namespace netevd
