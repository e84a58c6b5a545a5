# Attack (R): a finalizer that runs at quit(), after END is sent: writes to the data plane pipe (fd 4),
# prints, then spins. Also a system() daemon and Sys.setenv.
Sys.setenv(LAUNCHPAD_BXL_MAX_FRAME = "1")
e <- new.env()
reg.finalizer(e, function(x) {
  cat("finalizer running after END\n")
  con <- file("/dev/fd/4", "wb"); writeBin(as.raw(rep(0xff, 64)), con); close(con)
  repeat {}
}, onexit = TRUE)
system("setsid sh -c 'trap \"\" TERM HUP; sleep 300' </dev/null >/dev/null 2>&1 &")
OutputDataSet <- data.frame(a = 1:3)
