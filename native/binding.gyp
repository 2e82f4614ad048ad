{
  "targets": [
    {
      "target_name": "netevd_native",
      "sources": ["src/addon.cc", "src/errors.cc", "src/netlink_socket.cc", "src/privileges.cc", "src/notify.cc", "src/namespaces.cc", "src/spawn.cc", "src/fd_passing.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=9", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_ADDON_API_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"]
    }
  ]
}
