// Starting a hook without forking the daemon: posix_spawn (glibc uses
// clone(CLONE_VM | CLONE_VFORK), so the cost does not grow with the daemon's
// memory, unlike fork) into a session of its own, stdin /dev/null, stdout and
// stderr on pipes, no other descriptor (whatever the daemon inherited stays
// with it), every signal at its default (Node ignores SIGPIPE) and none
// blocked. The exit is watched through a pidfd on the event loop and reaped
// with waitid(P_PIDFD): no SIGCHLD handler, no pid reuse race. What to run,
// with which arguments and environment, is decided in TypeScript.
// A daemon that stays uid 0 (system.user: root, as in a container) spawns
// from a thread of its own that first lowers its capabilities to its ambient
// set and sets no_new_privs: uid 0 would otherwise get the whole bounding set
// back at exec; under no_new_privs the kernel keeps only what the spawning
// thread still had. Capabilities and no_new_privs are per thread, so the
// daemon's own CAP_NET_ADMIN is untouched.
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <string>
#include <thread>
#include <vector>

#include "errors.h"
#include "privileges.h"

// glibc defines it from 2.36 on; the kernel has had it since 5.4.
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace netevd {

namespace {

struct ExitWatch {
  uv_poll_t handle;
  int pidfd;
  Napi::FunctionReference callback;
};

void OnWatchClosed(uv_handle_t* handle) {
  auto* w = static_cast<ExitWatch*>(handle->data);
  close(w->pidfd);
  delete w;
}

// The pidfd is readable once the process has exited: reap it and report
// callback(null, code, signal) — code or signal is -1 when not the case.
void OnExit(uv_poll_t* handle, int /*status*/, int /*events*/) {
  auto* w = static_cast<ExitWatch*>(handle->data);
  siginfo_t info{};
  int rc;
  do {
    rc = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(w->pidfd), &info, WEXITED | WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc == 0 && info.si_pid == 0) return;  // woken early: not exited yet
  Napi::Env env = w->callback.Env();
  Napi::HandleScope scope(env);
  Napi::Value err = env.Null();
  int code = -1;
  int sig = -1;
  if (rc < 0) {
    err = ErrnoError(env, errno, "waitid").Value();
  } else if (info.si_code == CLD_EXITED) {
    code = info.si_status;
  } else {
    sig = info.si_status;
  }
  Napi::FunctionReference callback = std::move(w->callback);
  uv_poll_stop(handle);
  uv_close(reinterpret_cast<uv_handle_t*>(handle), OnWatchClosed);
  callback.Call({err, Napi::Number::New(env, code), Napi::Number::New(env, sig)});
}

std::vector<std::string> Strings(const Napi::Array& a) {
  std::vector<std::string> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>& s) {
  std::vector<char*> out;
  out.reserve(s.size() + 1);
  for (auto& x : s) out.push_back(x.data());
  out.push_back(nullptr);
  return out;
}

// In the calling thread only: capabilities down to the ambient set (what
// scripts may have), and no_new_privs. Returns 0 or an errno.
int LowerToAmbient() {
  uint64_t ambient = 0;
  for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1) ambient |= 1ULL << cap;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  data[0] = {static_cast<uint32_t>(ambient), static_cast<uint32_t>(ambient), static_cast<uint32_t>(ambient)};
  data[1] = {static_cast<uint32_t>(ambient >> 32), static_cast<uint32_t>(ambient >> 32),
             static_cast<uint32_t>(ambient >> 32)};
  if (syscall(SYS_capset, &header, data) < 0) return errno;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return errno;
  return 0;
}

// spawnProcess(file, argv, env, onExit, dropCapabilities?) -> { pid, stdout, stderr }: the two
// fds are the read ends of the pipes (close-on-exec, blocking: Node makes its
// own stream of each). On failure throws an errno error (ENOENT, EACCES,
// ENOEXEC, … from the exec itself, which glibc's posix_spawn reports).
Napi::Value SpawnProcess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string file = info[0].As<Napi::String>().Utf8Value();
  std::vector<std::string> argv = Strings(info[1].As<Napi::Array>());
  std::vector<std::string> envv = Strings(info[2].As<Napi::Array>());
  Napi::Function onExit = info[3].As<Napi::Function>();
  bool drop = info.Length() > 4 && info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();
  std::vector<char*> argp = Pointers(argv);
  std::vector<char*> envp = Pointers(envv);

  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) < 0) ThrowErrno(env, errno, "pipe2");
  if (pipe2(err, O_CLOEXEC) < 0) {
    int e = errno;
    close(out[0]);
    close(out[1]);
    ThrowErrno(env, e, "pipe2");
  }
  auto closeAll = [&]() {
    for (int fd : {out[0], out[1], err[0], err[1]}) close(fd);
  };

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  // After the dup2s: fds 0–2 are the hook's, everything above is closed
  // (close_range in glibc 2.34 and later), CLOEXEC or not.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawn_file_actions_addchdir_np(&fa, "/");
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = 0;
  if (drop) {
    // A short-lived thread: what it lowers dies with it (a few tens of µs).
    std::thread t([&] {
      rc = LowerToAmbient();
      if (rc == 0) rc = posix_spawn(&pid, file.c_str(), &fa, &attr, argp.data(), envp.data());
    });
    t.join();
  } else {
    rc = posix_spawn(&pid, file.c_str(), &fa, &attr, argp.data(), envp.data());
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    closeAll();
    ThrowErrno(env, rc, "posix_spawn");
  }
  close(out[1]);
  close(err[1]);

  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  uv_loop_t* loop = nullptr;
  int uvrc = pidfd < 0 ? 0 : (napi_get_uv_event_loop(env, &loop) == napi_ok ? 0 : UV_EINVAL);
  auto* w = pidfd < 0 || uvrc != 0 ? nullptr : new ExitWatch();
  if (w != nullptr) {
    w->pidfd = pidfd;
    w->handle.data = w;
    uvrc = uv_poll_init(loop, &w->handle, pidfd);
    if (uvrc == 0) {
      uvrc = uv_poll_start(&w->handle, UV_READABLE, OnExit);
      if (uvrc != 0) uv_close(reinterpret_cast<uv_handle_t*>(&w->handle), OnWatchClosed);
    } else {
      close(pidfd);
      delete w;
    }
  }
  if (pidfd < 0 || uvrc != 0) {
    // Without a watch the process could never be reaped: end it now.
    int e = pidfd < 0 ? errno : -uvrc;
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    close(out[0]);
    close(err[0]);
    ThrowErrno(env, e, pidfd < 0 ? "pidfd_open" : "uv_poll_start");
  }
  w->callback = Napi::Persistent(onExit);

  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, pid));
  result.Set("stdout", Napi::Number::New(env, out[0]));
  result.Set("stderr", Napi::Number::New(env, err[0]));
  return result;
}

// setChildSubreaper(): this process adopts its orphaned descendants
// (PR_SET_CHILD_SUBREAPER), so a hook's child that left its session is still
// found, signalled and reaped here rather than by init.
Napi::Value SetChildSubreaper(const Napi::CallbackInfo& info) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) ThrowErrno(info.Env(), errno, "prctl");
  return info.Env().Undefined();
}

// pidfdOpen(pid) -> fd: a handle on that very process (no pid reuse race).
Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) ThrowErrno(info.Env(), errno, "pidfd_open");
  return Napi::Number::New(info.Env(), fd);
}

// pidfdSignal(fd, signal) -> false when the process is gone (ESRCH).
Napi::Value PidfdSignal(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int sig = info[1].As<Napi::Number>().Int32Value();
  if (syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) == 0) return Napi::Boolean::New(info.Env(), true);
  if (errno == ESRCH) return Napi::Boolean::New(info.Env(), false);
  ThrowErrno(info.Env(), errno, "pidfd_send_signal");
}

// pidfdReap(fd) -> "reaped" (it had exited and was this process's child),
// "running", or "elsewhere" (not a child of this process now: ECHILD).
Napi::Value PidfdReap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  siginfo_t si{};
  int rc;
  do {
    rc = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd), &si, WEXITED | WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno == ECHILD) return Napi::String::New(env, "elsewhere");
  if (rc < 0) ThrowErrno(env, errno, "waitid");
  return Napi::String::New(env, si.si_pid == 0 ? "running" : "reaped");
}

}  // namespace

void DefineSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnProcess", Napi::Function::New(env, SpawnProcess, "spawnProcess"));
  exports.Set("setChildSubreaper", Napi::Function::New(env, SetChildSubreaper, "setChildSubreaper"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdSignal", Napi::Function::New(env, PidfdSignal, "pidfdSignal"));
  exports.Set("pidfdReap", Napi::Function::New(env, PidfdReap, "pidfdReap"));
}

}  // namespace netevd
