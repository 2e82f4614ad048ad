// Privilege primitives: capability sets (capget/capset, per thread), the
// ambient and bounding sets, keep-caps, and the uid/gid switch (glibc applies
// set*id to every thread of the process).
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include "errors.h"
#include "privileges.h"

namespace netevd {

namespace {

uint64_t ToMask(Napi::Value v) {
  bool lossless = true;
  return v.As<Napi::BigInt>().Uint64Value(&lossless);
}

int Cap(const Napi::CallbackInfo& info) { return info[0].As<Napi::Number>().Int32Value(); }

// { effective, permitted, inheritable } as 64-bit masks (BigInt).
Napi::Value GetCapabilities(const Napi::CallbackInfo& info) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) < 0) ThrowErrno(info.Env(), errno, "capget");
  auto join = [](uint32_t lo, uint32_t hi) { return (static_cast<uint64_t>(hi) << 32) | lo; };
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("effective", Napi::BigInt::New(info.Env(), join(data[0].effective, data[1].effective)));
  out.Set("permitted", Napi::BigInt::New(info.Env(), join(data[0].permitted, data[1].permitted)));
  out.Set("inheritable", Napi::BigInt::New(info.Env(), join(data[0].inheritable, data[1].inheritable)));
  return out;
}

// setCapabilities(effective, permitted, inheritable): exactly these sets, for the calling thread.
Napi::Value SetCapabilities(const Napi::CallbackInfo& info) {
  uint64_t eff = ToMask(info[0]), perm = ToMask(info[1]), inh = ToMask(info[2]);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  data[0] = {static_cast<uint32_t>(eff), static_cast<uint32_t>(perm), static_cast<uint32_t>(inh)};
  data[1] = {static_cast<uint32_t>(eff >> 32), static_cast<uint32_t>(perm >> 32), static_cast<uint32_t>(inh >> 32)};
  if (syscall(SYS_capset, &header, data) < 0) ThrowErrno(info.Env(), errno, "capset");
  return info.Env().Undefined();
}

Napi::Value SetKeepCaps(const Napi::CallbackInfo& info) {
  if (prctl(PR_SET_KEEPCAPS, info[0].As<Napi::Boolean>().Value() ? 1 : 0, 0, 0, 0) < 0) {
    ThrowErrno(info.Env(), errno, "prctl");
  }
  return info.Env().Undefined();
}

Napi::Value AmbientClearAll(const Napi::CallbackInfo& info) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) ThrowErrno(info.Env(), errno, "prctl");
  return info.Env().Undefined();
}

Napi::Value AmbientRaise(const Napi::CallbackInfo& info) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, Cap(info), 0, 0) < 0) ThrowErrno(info.Env(), errno, "prctl");
  return info.Env().Undefined();
}

Napi::Value AmbientIsSet(const Napi::CallbackInfo& info) {
  int rc = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, Cap(info), 0, 0);
  if (rc < 0) ThrowErrno(info.Env(), errno, "prctl");
  return Napi::Boolean::New(info.Env(), rc == 1);
}

Napi::Value BoundingDrop(const Napi::CallbackInfo& info) {
  if (prctl(PR_CAPBSET_DROP, Cap(info), 0, 0, 0) < 0) ThrowErrno(info.Env(), errno, "prctl");
  return info.Env().Undefined();
}

// lookupUser(name) -> { uid, gid, home } or null.
Napi::Value LookupUser(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  int rc = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0) ThrowErrno(info.Env(), rc, "getpwnam_r");
  if (found == nullptr) return info.Env().Null();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("uid", Napi::Number::New(info.Env(), pw.pw_uid));
  out.Set("gid", Napi::Number::New(info.Env(), pw.pw_gid));
  out.Set("home", Napi::String::New(info.Env(), pw.pw_dir));
  return out;
}

// switchUser(name, uid, gid): supplementary groups of the user, then gid, then uid (all three ids).
Napi::Value SwitchUser(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  uid_t uid = info[1].As<Napi::Number>().Uint32Value();
  gid_t gid = info[2].As<Napi::Number>().Uint32Value();
  if (initgroups(name.c_str(), gid) < 0) ThrowErrno(info.Env(), errno, "initgroups");
  if (setresgid(gid, gid, gid) < 0) ThrowErrno(info.Env(), errno, "setresgid");
  if (setresuid(uid, uid, uid) < 0) ThrowErrno(info.Env(), errno, "setresuid");
  return info.Env().Undefined();
}

}  // namespace

void DefinePrivileges(Napi::Env env, Napi::Object exports) {
  exports.Set("getCapabilities", Napi::Function::New(env, GetCapabilities));
  exports.Set("setCapabilities", Napi::Function::New(env, SetCapabilities));
  exports.Set("setKeepCaps", Napi::Function::New(env, SetKeepCaps));
  exports.Set("ambientClearAll", Napi::Function::New(env, AmbientClearAll));
  exports.Set("ambientRaise", Napi::Function::New(env, AmbientRaise));
  exports.Set("ambientIsSet", Napi::Function::New(env, AmbientIsSet));
  exports.Set("boundingDrop", Napi::Function::New(env, BoundingDrop));
  exports.Set("lookupUser", Napi::Function::New(env, LookupUser));
  exports.Set("switchUser", Napi::Function::New(env, SwitchUser));
}

}  // namespace netevd
