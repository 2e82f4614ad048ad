// netevd's native layer. It stays small on purpose: fd-level primitives, raw
// buffers, privilege and sd_notify calls. All protocol parsing lives in
// TypeScript (see src/native/binding.ts for the typed interface).
#include <napi.h>

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // The ABI version lets the TypeScript loader refuse a stale build whose
  // exports do not match the binding interface it was compiled against.
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace

NODE_API_MODULE(netevd_native, Init)
