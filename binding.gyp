{
  "targets": [
    {
      "target_name": "dupip_packet",
      "sources": ["native/packet.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration", "-O2"]
    }
  ]
}
