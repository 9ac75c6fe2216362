{
  "targets": [
    {
      "target_name": "dupip_packet",
      "sources": [
        "native/module.c",
        "native/handle.c",
        "native/packet-socket.c",
        "native/receive.c",
        "native/netlink.c",
        "native/ifaddrs.c"
      ],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration", "-O2"]
    }
  ]
}
