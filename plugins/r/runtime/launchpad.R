# launchpad.R - Launchpad's R runtime (the runtime side of RLauncher).
#
# Run as `Rscript --vanilla launchpad.R` with the job's private folder as the
# working directory and the parts below staged beside this file. It speaks
# BXL v1 (docs/bxl.md): it reads the host's stream from fd 3 and writes its
# own stream to fd 4. Both must be pipes: R cannot open a unix socket through
# /dev/fd/N (ENXIO), so the Go launcher bridges the host's socket and these
# two pipes.
#
# Base R only. A bigint arrives as integer, or double when a value does not
# fit, or fails the job when a double would round it; with
# LAUNCHPAD_R_INTEGER64=1 such a column is bit64::integer64 instead (bit64
# is loaded only then).
#
# Environment (set by the launcher; all optional):
#   LAUNCHPAD_R_INTEGER64=1        the operator's integer64 = true (RLauncher)
#   LAUNCHPAD_R_PACKAGES=a,b       packages to attach before the script (for use
#                                  with R_DEFAULT_PACKAGES=NULL; "" = none)
#   LAUNCHPAD_BXL_BATCH_BYTES=n    output batch target (default 4 MiB)
#   LAUNCHPAD_BXL_MAX_FRAME=n      largest accepted frame (default 256 MiB)
#
# The parts are sourced into a private environment (its parent the global
# one, as a local() at top level would have), so the user's global
# environment holds nothing of ours; tests/run.R loads them the same way.
# The JIT is off while the runtime runs: compiling its functions on first
# call costs more CPU than interpreting them once. main() gives the script
# the level Rscript started with.
local({
  user_jit <- compiler::enableJIT(0L)
  self <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1L])
  rt <- new.env(parent = globalenv())
  parts <- c("bxl.R", "decode.R", "encode.R", "frame.R", "params.R", "script.R", "main.R", "chunks.R", "query.R")
  lapply(file.path(dirname(self), parts), sys.source, envir = rt, keep.source = FALSE)
  rt$check_fds()
  # close_std's helpers, loaded (not attached) before HELLO: a warm runtime
  # has them ready, and a job does not pay for them at its end.
  loadNamespace("parallel")
  status <- rt$run(rt$FD_IO, user_jit)
  quit(save = "no", status = status, runLast = FALSE)
})
