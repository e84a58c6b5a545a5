# Launchpad host configuration (`launchpad serve --config` reads this file;
# host/config/config.go in the source documents every setting).
state_dir  = "/var/lib/launchpad"
plugin_dir = "/usr/lib/launchpad/plugins"

instance {
  driver = "sqlite"
  dsn    = "/var/lib/launchpad/instance.db"
}

# The launchers run /usr/bin/python3 and /usr/bin/Rscript unless told:
# launcher "PythonLauncher" { runtime = "/usr/bin/python3" }
# launcher "RLauncher" { runtime = "/usr/bin/Rscript" }

# Jobs run as worker accounts uid_base .. uid_base+workers-1; the range is
# this host's alone.
# sandbox {
#   workers  = 20
#   uid_base = 1890000000
# }

# Prometheus metrics at http://ADDRESS/metrics (no TLS, no authentication:
# keep it on loopback or a management network).
# telemetry {
#   address = "127.0.0.1:9273"
# }

# No job runs until external scripts are turned on and granted
# (docs/security.md). The socket is open to every local user; grants decide.
# external_scripts_enabled = true
# grant "group:analysts" {      # also "user:NAME", "uid:N", "cert:COMMON-NAME"
#   languages    = ["Python", "R"]
#   read_tables  = ["sales"]
#   write_tables = ["scores"]
#   pools        = ["default"]
#   admin        = false        # true: sees and cancels every caller's jobs
# }

# Remote callers over mutual TLS; the client certificate's CN names them.
# listener "tcp" {
#   address   = "127.0.0.1:7071"
#   cert      = "/etc/launchpad/tls/host.pem"
#   key       = "/etc/launchpad/tls/host-key.pem"
#   client_ca = "/etc/launchpad/tls/callers-ca.pem"
# }
