// One datagram to an AF_UNIX socket ("@name" = abstract socket): sd_notify to
// $NOTIFY_SOCKET, and native journal messages (binary-safe: a Buffer).
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "privileges.h"

namespace netevd {

namespace {

// notify(path, message: string | Buffer) -> bytes sent.
Napi::Value Notify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string message = info[1].IsBuffer()
                            ? std::string(info[1].As<Napi::Buffer<char>>().Data(), info[1].As<Napi::Buffer<char>>().Length())
                            : info[1].As<Napi::String>().Utf8Value();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) ThrowErrno(env, EINVAL, "sd_notify");
  memcpy(addr.sun_path, path.data(), path.size());
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '@' ? 0 : 1));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) ThrowErrno(env, errno, "socket");
  ssize_t n = sendto(fd, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (n < 0) ThrowErrno(env, err, "sendto");
  return Napi::Number::New(env, static_cast<double>(n));
}

}  // namespace

void DefineNotify(Napi::Env env, Napi::Object exports) {
  exports.Set("notify", Napi::Function::New(env, Notify));
}

}  // namespace netevd
