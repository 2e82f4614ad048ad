// Errors cross into JavaScript like Node's own fs errors: an Error with
// `code` ("ENOBUFS"), `errno` (negative, as in Node) and `syscall`.
#pragma once
#include <napi.h>

namespace netevd {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall);
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const char* syscall);

}  // namespace netevd
