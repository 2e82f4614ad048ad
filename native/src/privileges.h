#pragma once
#include <napi.h>

namespace netevd {
void DefinePrivileges(Napi::Env env, Napi::Object exports);
void DefineNotify(Napi::Env env, Napi::Object exports);
void DefineNamespaces(Napi::Env env, Napi::Object exports);
void DefineSpawn(Napi::Env env, Napi::Object exports);
void DefineFdPassing(Napi::Env env, Napi::Object exports);
}  // namespace netevd
