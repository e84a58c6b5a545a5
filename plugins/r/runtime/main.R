# main.R - one job, start to end: HELLO, the host's input into the script's
# environment, the script, then the output frames or one ERROR frame.

# FD_IO is the data plane as the launcher gives it: the host's stream on fd 3,
# ours on fd 4 (both pipes, see check_fds). Tests pass files instead.
FD_IO <- list(input = "/dev/fd/3", output = "/dev/fd/4")

# run does one job and returns the process exit status: 0 done, 1 failed and
# the ERROR frame was sent, 2 the ERROR could not be sent, 3 the host aborted.
run <- function(io, user_jit) {
  tryCatch({ main(io, user_jit); 0L },
    launchpad_abort = function(a) {
      cat(sprintf("launchpad: host aborted the job: %s\n", conditionMessage(a)), file = stderr())
      3L
    },
    error = function(e) if (send_error(e, io$output)) 1L else 2L)
}

main <- function(io, user_jit) {
  send_hello(io$output)
  env <- new.env(parent = globalenv())
  job <- read_input(io$input, env)
  attach_query(if (job$chunked) no_query_function() else query_function(io, int64_opts()))
  if (job$chunked) return(run_chunks(io, job, env, user_jit))
  run_user_script(job$script, env, user_jit)
  send_output(io$output, script_results(env, job))
}

# attach_query puts launchpad_query on the search path, not in the script's
# environment: a model the script serializes carries that environment (its
# formula's), and must not carry the runtime along. An environment named
# "package:…" is serialized by reference.
attach_query <- function(f) {
  if ("package:launchpad" %in% search()) detach("package:launchpad") # tests run several jobs
  e <- attach(NULL, name = "package:launchpad", warn.conflicts = FALSE)
  assign("launchpad_query", f, envir = e)
}

# open_output opens our stream for one write phase. It is reopened after the
# script, so closeAllConnections() in a script is harmless; append mode keeps
# earlier frames when io$output is a file (pipes ignore it).
open_output <- function(path) file(path, "ab", raw = TRUE)

send_hello <- function(path) {
  out <- open_output(path)
  write_frame(out, FRAME[["HELLO"]], hello_payload())
  close(out)
}

# read_input reads the host's stream up to END: the job's settings come back,
# the input data.frame and the input params go into env.
# A chunked job's input stays open after the SCHEMA: job$input reads on and
# run_chunks closes job$con.
read_input <- function(path, env) {
  con <- file(path, "rb", raw = TRUE)
  keep <- FALSE
  on.exit(if (!keep) close(con))
  input <- input_stream(con)
  check_hello(input$next_frame("HELLO")$payload)
  job <- job_settings(decode_dict(input$next_frame("JOB")$payload, "JOB"))
  pfr <- input$next_frame("PARAMS")
  fields <- decode_schema(reader(input$next_frame("SCHEMA")$payload, "SCHEMA"), "SCHEMA")
  opts <- int64_opts()
  job$params <- decode_params(pfr$payload, opts)
  job$fields <- fields
  # SQL Server's R session predefines both data frames: the input (an empty
  # data.frame() without an input query) and an empty output. A chunked job
  # reads its input chunk by chunk (chunks.R).
  if (job$chunked) {
    keep <- TRUE
    job[c("con", "input", "opts")] <- list(con, input, opts)
  } else {
    assign(job$input_name, read_data_frame(input, fields, opts), envir = env)
  }
  assign(job$output_name, data.frame(), envir = env)
  for (j in seq_along(job$params$fields)) {
    assign(job$params$fields[[j]]$name, job$params$values[[j]], envir = env)
  }
  job
}

# input_stream reads the host's frames in order: next_frame(want) returns the
# next frame if its type is one of want, and turns the host's ERROR into the
# condition on_error makes of its message (a launchpad_abort; a query's
# answer makes it a launchpad_query_error). index() counts the frames read.
input_stream <- function(con, on_error = abort_condition) {
  frame <- 0L
  next_frame <- function(want) {
    fr <- read_frame(con, frame)
    if (fr$type == FRAME[["ERROR"]]) {
      d <- tryCatch(decode_dict(fr$payload, "ERROR"), error = function(e) list())
      stop(on_error(paste(d$message, collapse = "")))
    }
    if (!(fr$type %in% FRAME[want])) {
      fail("protocol", sprintf("frame %d: got %s, want %s", frame, names(FRAME)[fr$type + 1L], paste(want, collapse = " or ")))
    }
    frame <<- frame + 1L
    fr
  }
  list(next_frame = next_frame, index = function() frame)
}

abort_condition <- function(message) {
  structure(class = c("launchpad_abort", "condition"), list(message = message, call = NULL))
}

# job_settings reads the JOB dictionary with its defaults.
job_settings <- function(d) {
  name_or <- function(v, def) if (is.null(v) || !nzchar(v)) def else v
  list(script = if (is.null(d$script)) "" else d$script,
       input_name = name_or(d$input_name, "InputDataSet"),
       output_name = name_or(d$output_name, "OutputDataSet"),
       chunked = identical(d$chunked, "1"))
}

# int64_opts: bit64 says whether a bigint column a double would round may
# arrive as bit64::integer64, which the administrator turns on for the
# launcher (launcher "RLauncher" { integer64 = true } sets
# LAUNCHPAD_R_INTEGER64=1); otherwise such a column fails, and
# why_no_integer64 ends that error. bit64 is loaded only for such a column.
int64_opts <- function() {
  on <- identical(Sys.getenv("LAUNCHPAD_R_INTEGER64"), "1")
  list(bit64 = on,
       why_no_integer64 = if (on) "" else ", or have the administrator set integer64 = true for RLauncher (bit64::integer64)")
}


# script_results finds what the script left: the output data.frame (NULL if
# none) and the OUTPUT params' payload. The script's own environment wins over
# the global one, which a script reaches with <<- or assign(), unless it
# holds only the predefined empty output. A data.frame without columns is no
# result set, as in SQL Server. hints: the input's fields (see write_data_frame).
script_results <- function(env, job) {
  lookup <- function(name, skip_empty = FALSE) {
    for (e in list(env, globalenv())) {
      if (!exists(name, envir = e, inherits = FALSE)) next
      v <- get(name, envir = e, inherits = FALSE)
      if (skip_empty && identical(e, env) && no_columns(v) && exists(name, envir = globalenv(), inherits = FALSE)) next
      return(list(v))
    }
    NULL
  }
  outdf <- lookup(job$output_name, skip_empty = TRUE)
  if (!is.null(outdf) && !is.data.frame(outdf[[1]])) {
    fail("output", sprintf("%s is a %s, not a data.frame", job$output_name, paste(class(outdf[[1]]), collapse = "/")))
  }
  if (!is.null(outdf) && no_columns(outdf[[1]])) outdf <- NULL
  outf <- Filter(function(f) bitwAnd(f$flags, FLAG_OUTPUT) != 0L, job$params$fields)
  outv <- lapply(outf, function(f) { v <- lookup(f$name); if (is.null(v)) NULL else v[[1]] })
  list(df = if (is.null(outdf)) NULL else outdf[[1]], params = encode_out_params(outf, outv),
       hints = job$fields)
}

no_columns <- function(v) is.data.frame(v) && length(v) == 0L

# send_output writes [SCHEMA BATCH*] PARAMS END. state$out holds the open
# connection meanwhile, so an ERROR follows the frames already written.
send_output <- function(path, res) {
  flush_std()
  con <- open_output(path)
  state$out <- con
  rows <- 0
  if (!is.null(res$df)) rows <- write_data_frame(con, res$df, res$hints)
  write_frame(con, FRAME[["PARAMS"]], res$params)
  close_std()
  write_frame(con, FRAME[["END"]], u64_raw(rows))
  state$out <- NULL
  close(con)
}

flush_std <- function() {
  try(flush(stdout()), silent = TRUE)
  try(flush(stderr()), silent = TRUE)
}

# close_std flushes, then points fds 1 and 2 at /dev/null (parallel's own
# helpers, as mcfork's children use): the launcher sees the output end, and
# the host answers the job without waiting for R's exit (about 20 ms).
close_std <- function() {
  flush_std()
  try({
    parallel:::closeStdout(TRUE)
    parallel:::closeStderr(TRUE)
  }, silent = TRUE)
}

# state$out is the open output connection once results are being written.
state <- new.env()

# send_error sends e as the job's ERROR frame; FALSE (and a line on stderr)
# when even that fails.
send_error <- function(e, path) {
  flush_std()
  d <- list(kind = if (is.null(e$kind)) "internal" else e$kind,
            type = if (!is.null(e$type)) e$type else class(e)[1],
            message = conditionMessage(e),
            traceback = e$traceback, line = e$line, column = e$column)
  ok <- tryCatch({
    con <- if (!is.null(state$out)) state$out else open_output(path)
    state$out <- NULL
    write_frame(con, FRAME[["ERROR"]], encode_dict(d))
    close(con)
    TRUE
  }, error = function(e2) FALSE)
  if (!ok) cat(sprintf("launchpad: cannot send ERROR (%s): %s\n", d$kind, d$message), file = stderr())
  ok
}

# check_fds exits (status 2) unless fds 3 and 4 are pipes: opening
# /dev/fd/4 for writing on a regular file would write into that file.
check_fds <- function() {
  for (fd in 3:4) {
    l <- Sys.readlink(sprintf("/proc/self/fd/%d", fd))
    if (!startsWith(l, "pipe:")) {
      cat(sprintf("launchpad: fd %d must be a pipe (is %s)\n", fd, if (nzchar(l)) l else "closed"), file = stderr())
      quit(save = "no", status = 2L, runLast = FALSE)
    }
  }
}
