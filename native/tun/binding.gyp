{
  "targets": [
    {
      "target_name": "tun",
      "sources": ["tun.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"],
      "libraries": ["-lpthread"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
