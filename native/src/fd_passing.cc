// Handing an fd from one process to another over an AF_UNIX stream socket
// (SCM_RIGHTS): netevd-privileged sends the netlink socket it opened inside a
// namespace, the daemon receives it. Bytes stay opaque here: the request and
// the answer are JSON lines built and read in TypeScript.
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "errors.h"
#include "privileges.h"

namespace netevd {

namespace {

constexpr size_t kMaxAnswer = 64 * 1024;

// sendWithFd(socketFd, bytes, fd) -> bytes sent. One sendmsg that never
// blocks, with fd attached; a short write is the caller's error to report.
Napi::Value SendWithFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<uint8_t> data = info[1].As<Napi::Buffer<uint8_t>>();
  int fd = info[2].As<Napi::Number>().Int32Value();
  iovec iov{data.Data(), data.Length()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t n;
  do {
    n = sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) ThrowErrno(env, errno, "sendmsg");
  return Napi::Number::New(env, static_cast<double>(n));
}

// peerCredentials(socketFd) -> { pid, uid, gid }: who is at the other end of
// a connected AF_UNIX socket (SO_PEERCRED, as the kernel recorded it at
// connect: the peer cannot choose it).
Napi::Value PeerCredentials(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = info[0].As<Napi::Number>().Int32Value();
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) ThrowErrno(env, errno, "getsockopt");
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", Napi::Number::New(env, cred.pid));
  o.Set("uid", Napi::Number::New(env, cred.uid));
  o.Set("gid", Napi::Number::New(env, cred.gid));
  return o;
}

long long NowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// On a worker thread: connect, send the request, read one answer line and
// the first fd that came with it, all within the deadline.
class FdRequest : public Napi::AsyncWorker {
 public:
  FdRequest(Napi::Function callback, std::string path, std::vector<uint8_t> request, int timeout_ms)
      : Napi::AsyncWorker(callback), path_(std::move(path)), request_(std::move(request)), timeout_ms_(timeout_ms) {}

  void Execute() override {
    long long deadline = NowMs() + timeout_ms_;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0) return Fail(errno, "socket");
    Run(s, deadline);
    close(s);
    if (err_ != 0 && fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (err_ != 0) {
      Callback().Call({ErrnoError(env, err_, syscall_).Value(), env.Null(), Napi::Number::New(env, -1)});
      return;
    }
    Callback().Call({env.Null(), Napi::Buffer<uint8_t>::Copy(env, answer_.data(), answer_.size()),
                     Napi::Number::New(env, fd_)});
  }

 private:
  void Fail(int err, const char* syscall) {
    err_ = err;
    syscall_ = syscall;
  }

  // Waits until s is ready for `events` or the deadline passes (ETIMEDOUT).
  bool Wait(int s, short events, long long deadline, const char* syscall) {
    for (;;) {
      long long left = deadline - NowMs();
      if (left <= 0) {
        Fail(ETIMEDOUT, syscall);
        return false;
      }
      pollfd p{s, events, 0};
      int r = poll(&p, 1, static_cast<int>(left));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) {
        Fail(errno, "poll");
        return false;
      }
    }
  }

  void Run(int s, long long deadline) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(addr.sun_path)) return Fail(ENAMETOOLONG, "connect");
    memcpy(addr.sun_path, path_.data(), path_.size());
    if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
      if (errno != EINPROGRESS && errno != EAGAIN) return Fail(errno, "connect");
      if (!Wait(s, POLLOUT, deadline, "connect")) return;
      int soerr = 0;
      socklen_t len = sizeof(soerr);
      getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &len);
      if (soerr != 0) return Fail(soerr, "connect");
    }
    size_t sent = 0;
    while (sent < request_.size()) {
      ssize_t n = send(s, request_.data() + sent, request_.size() - sent, MSG_NOSIGNAL);
      if (n >= 0) {
        sent += static_cast<size_t>(n);
      } else if (errno == EAGAIN) {
        if (!Wait(s, POLLOUT, deadline, "send")) return;
      } else if (errno != EINTR) {
        return Fail(errno, "send");
      }
    }
    std::vector<uint8_t> buf(4096);
    while (answer_.size() < kMaxAnswer) {
      iovec iov{buf.data(), buf.size()};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)] = {};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      ssize_t n = recvmsg(s, &msg, MSG_CMSG_CLOEXEC);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
          if (!Wait(s, POLLIN, deadline, "recvmsg")) return;
          continue;
        }
        return Fail(errno, "recvmsg");
      }
      // Every fd that came is taken: the first is kept, any other closed.
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
          int fd;
          memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
          if (fd_ < 0) fd_ = fd;
          else close(fd);
        }
      }
      if (n == 0) return;  // the other side is done
      answer_.insert(answer_.end(), buf.begin(), buf.begin() + n);
      if (memchr(buf.data(), '\n', static_cast<size_t>(n)) != nullptr) return;
    }
  }

  std::string path_;
  std::vector<uint8_t> request_;
  int timeout_ms_;
  std::vector<uint8_t> answer_;
  int fd_ = -1;
  int err_ = 0;
  const char* syscall_ = "";
};

// requestWithFd(path, bytes, timeoutMs, callback(err, answer, fd)): off the
// event loop. fd is -1 when none came; the caller owns it otherwise.
Napi::Value RequestWithFd(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Buffer<uint8_t> data = info[1].As<Napi::Buffer<uint8_t>>();
  int timeout_ms = info[2].As<Napi::Number>().Int32Value();
  auto* w = new FdRequest(info[3].As<Napi::Function>(), path,
                          std::vector<uint8_t>(data.Data(), data.Data() + data.Length()), timeout_ms);
  w->Queue();
  return info.Env().Undefined();
}

}  // namespace

void DefineFdPassing(Napi::Env env, Napi::Object exports) {
  exports.Set("sendWithFd", Napi::Function::New(env, SendWithFd));
  exports.Set("peerCredentials", Napi::Function::New(env, PeerCredentials));
  exports.Set("requestWithFd", Napi::Function::New(env, RequestWithFd));
}

}  // namespace netevd
