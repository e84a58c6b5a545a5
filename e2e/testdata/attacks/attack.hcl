limits {
  timeout = "60s"
  memory = "512MiB"
  max_processes = 64
  max_messages = "1MiB"
}
sandbox {
  uid_base = 1893500000
  workers = 4
  queue_timeout = "20s"
}
