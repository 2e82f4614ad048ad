// Network namespaces: setns(2) (tests), and a netlink socket opened inside a
// named namespace for netevd-privileged to hand to the daemon.
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "errors.h"
#include "privileges.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

namespace netevd {

namespace {

// setns(fd, nstype): moves the calling thread into a namespace (tests use it to
// open sockets inside a fresh network namespace).
Napi::Value SetNs(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int type = info[1].As<Napi::Number>().Int32Value();
  if (setns(fd, type) < 0) ThrowErrno(info.Env(), errno, "setns");
  return info.Env().Undefined();
}

// openNetlinkIn(path, protocol) -> fd: a netlink socket (unbound, blocking,
// close-on-exec) that belongs to the network namespace bound at `path`, such
// as /run/netns/NAME. The path must be that namespace file itself: no symlink
// (O_NOFOLLOW), nothing that blocks on open (O_NONBLOCK: a FIFO), nothing but
// nsfs. A socket keeps the namespace it was made in, so only a short-lived
// thread enters the namespace: the caller's threads never move.
Napi::Value OpenNetlinkIn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int protocol = info[1].As<Napi::Number>().Int32Value();
  int result = -1, err = 0;
  const char* syscall = "open";
  std::thread t([&] {
    int ns = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (ns < 0) {
      err = errno;
      return;
    }
    struct statfs fs {};
    syscall = "fstatfs";
    if (fstatfs(ns, &fs) < 0) err = errno;
    else if (static_cast<unsigned long>(fs.f_type) != NSFS_MAGIC) err = EINVAL;  // not a namespace
    if (err != 0) {
      close(ns);
      return;
    }
    if (setns(ns, CLONE_NEWNET) < 0) {
      err = errno;
      syscall = "setns";
      close(ns);
      return;
    }
    close(ns);
    result = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    if (result < 0) {
      err = errno;
      syscall = "socket";
    }
  });
  t.join();
  if (result < 0) ThrowErrno(env, err, syscall);
  return Napi::Number::New(env, result);
}

// closeFd(fd): for an fd that never became a socket object.
Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

}  // namespace

void DefineNamespaces(Napi::Env env, Napi::Object exports) {
  exports.Set("setns", Napi::Function::New(env, SetNs));
  exports.Set("openNetlinkIn", Napi::Function::New(env, OpenNetlinkIn));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
}

}  // namespace netevd
