// setns(2) for tests: open sockets inside a fresh network namespace.
#include <errno.h>
#include <sched.h>

#include "errors.h"
#include "privileges.h"

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

}  // namespace

void DefineNamespaces(Napi::Env env, Napi::Object exports) {
  exports.Set("setns", Napi::Function::New(env, SetNs));
}

}  // namespace netevd
