// netevd's native layer. It stays small on purpose: fd-level primitives, raw
// buffers, privilege and sd_notify calls, starting a process. All protocol
// parsing lives in TypeScript (src/native/binding.ts is the typed interface).
#include <napi.h>

#include "netlink_socket.h"
#include "privileges.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Number::New(env, 8));
  exports.Set("NetlinkSocket", netevd::NetlinkSocket::Define(env));
  netevd::DefinePrivileges(env, exports);
  netevd::DefineNotify(env, exports);
  netevd::DefineNamespaces(env, exports);
  netevd::DefineSpawn(env, exports);
  netevd::DefineFdPassing(env, exports);
  // Worker or process teardown: close every socket (and its poll handle).
  env.AddCleanupHook([]() { netevd::NetlinkSocket::CloseAll(); });
  return exports;
}

}  // namespace

NODE_API_MODULE(netevd_native, Init)
