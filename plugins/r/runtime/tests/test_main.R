# Tests of main.R: whole jobs through run(), with the host's stream in a file
# (written with the runtime's own encoders) and ours read back from a file.

NO64 <- list(bit64 = FALSE)

pfield <- function(name, type, out = FALSE) {
  list(name = name, type = type, flags = FLAG_NULLABLE + if (out) FLAG_OUTPUT else 0L, prec = 0L, scale = 0L)
}

# host_stream is what the host sends: HELLO JOB PARAMS SCHEMA BATCH* END.
host_stream <- function(script, df = data.frame(), params = list(), values = list(), job = list(), cut = 0L) {
  con <- rawConnection(raw(0), "wb")
  on.exit(close(con))
  write_frame(con, FRAME[["HELLO"]], hello_payload())
  write_frame(con, FRAME[["JOB"]], encode_dict(c(list(script = script), job)))
  write_frame(con, FRAME[["PARAMS"]], encode_out_params(params, values))
  rows <- write_data_frame(con, df)
  write_frame(con, FRAME[["END"]], u64_raw(rows))
  b <- rawConnectionValue(con)
  b[seq_len(length(b) - cut)]
}

# run_job runs one job on the bytes and returns the exit status, our frames,
# and what went to stderr.
run_job <- function(bytes) {
  dir <- tempfile("job")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE))
  io <- list(input = file.path(dir, "in"), output = file.path(dir, "out"))
  writeBin(bytes, io$input)
  file.create(io$output)
  err <- character(0)
  econ <- textConnection("err", "w", local = TRUE)
  sink(econ, type = "message")
  status <- tryCatch(run(io, 0L), finally = { sink(type = "message"); close(econ) })
  out <- readBin(io$output, "raw", file.size(io$output))
  list(status = status, frames = frames_in(out), err = err)
}

frames_in <- function(bytes) {
  con <- rawConnection(bytes, "rb")
  on.exit(close(con))
  out <- list()
  repeat {
    fr <- tryCatch(read_frame(con, length(out)), error = function(e) NULL)
    if (is.null(fr)) return(out)
    out[[length(out) + 1L]] <- fr
  }
}

frame_names <- function(res) names(FRAME)[vapply(res$frames, `[[`, 0L, "type") + 1L]

# output_of decodes a successful job's data.frame and OUTPUT params.
output_of <- function(res) {
  fr <- res$frames
  types <- vapply(fr, `[[`, 0L, "type")
  pi <- which(types == FRAME[["PARAMS"]])
  params <- decode_params(fr[[pi]]$payload, NO64)
  if (types[2] != FRAME[["SCHEMA"]]) return(list(df = NULL, params = params))
  fields <- decode_schema(reader(fr[[2]]$payload, "SCHEMA"), "SCHEMA")
  con <- rawConnection(raw(0), "wb")
  for (f in fr[seq_len(pi - 3L) + 2L]) write_frame(con, f$type, f$payload)
  write_frame(con, FRAME[["END"]], fr[[pi + 1L]]$payload)
  b <- rawConnectionValue(con)
  close(con)
  con <- rawConnection(b, "rb")
  on.exit(close(con))
  list(df = read_data_frame(input_stream(con), fields, NO64), params = params)
}

error_of <- function(res) {
  fr <- res$frames[[length(res$frames)]]
  expect_equal(fr$type, FRAME[["ERROR"]])
  decode_dict(fr$payload, "ERROR")
}

test_identity_job_with_params <- function() {
  df <- data.frame(i = c(1L, NA, 3L), s = c("a", "b", NA), stringsAsFactors = FALSE)
  params <- list(pfield("in_n", T_INT32), pfield("out_n", T_INT32, TRUE), pfield("out_s", T_STR, TRUE))
  res <- run_job(host_stream("OutputDataSet <- InputDataSet\nout_n <- in_n + 1L\n", df, params, list(41L, NULL, NULL)))
  expect_equal(res$status, 0L)
  expect_equal(frame_names(res), c("HELLO", "SCHEMA", "BATCH", "PARAMS", "END"))
  out <- output_of(res)
  expect_equal(out$df, df)
  expect_equal(vapply(out$params$fields, `[[`, "", "name"), c("out_n", "out_s"))
  expect_equal(out$params$values, list(42L, NA_character_))
}

test_configurable_names <- function() {
  res <- run_job(host_stream("result <- df[df$x > 1, , drop = FALSE]\n", data.frame(x = 1:3),
                             job = list(input_name = "df", output_name = "result")))
  expect_equal(res$status, 0L)
  expect_equal(output_of(res)$df$x, 2:3)
}

test_no_output_frame_sends_params_and_end_only <- function() {
  res <- run_job(host_stream("n <- nrow(InputDataSet)\n", data.frame(x = 1:3)))
  expect_equal(res$status, 0L)
  expect_equal(frame_names(res), c("HELLO", "PARAMS", "END"))
  expect_equal(reader(res$frames[[3]]$payload, "END")$u64(), 0)
}

test_script_sees_only_its_input_and_params <- function() {
  params <- list(pfield("p", T_STR))
  res <- run_job(host_stream(paste0("OutputDataSet <- data.frame(env = paste(ls(environment()), collapse = \",\"),\n",
                                    "  global = length(ls(globalenv(), all.names = TRUE)))\n"),
                             data.frame(x = 1L), params, list("v")))
  expect_equal(res$status, 0L)
  # SQL Server's R session predefines the output as an empty data.frame.
  expect_equal(output_of(res)$df, data.frame(env = "InputDataSet,OutputDataSet,p", global = 0L))
}

test_query_function_is_found_but_not_serialized_with_models <- function() {
  # launchpad_query (query.R) is on the search path, not in the script's
  # environment, which a model's formula captures: serialize(model) must not
  # carry the runtime (it did, and models outgrew a 128 KiB argument).
  res <- run_job(host_stream(paste0("m <- lm(y ~ x, data = data.frame(x = 1:3, y = c(2, 4, 7)))\n",
                                    "OutputDataSet <- data.frame(found = is.function(launchpad_query),\n",
                                    "  bytes = length(serialize(m, NULL)))\n"),
                             data.frame(x = 1L), list(), list()))
  expect_equal(res$status, 0L)
  out <- output_of(res)$df
  expect_equal(out$found, TRUE)
  if (out$bytes > 20000) stop(sprintf("a 3-row lm serializes to %d bytes: the script's environment carries the runtime", out$bytes))
}

test_output_assigned_globally_is_found <- function() {
  # A function's <<- reaches the predefined output in the script's
  # environment; a top-level <<- or assign() the global one, which then wins
  # over the untouched predefined one.
  scripts <- c(inner = "f <- function() OutputDataSet <<- data.frame(a = 1)\nf()\n",
               top = "OutputDataSet <<- data.frame(a = 1)\n",
               assign = "assign(\"OutputDataSet\", data.frame(a = 1), envir = globalenv())\n")
  for (s in scripts) {
    res <- run_job(host_stream(s))
    if (exists("OutputDataSet", envir = globalenv(), inherits = FALSE)) rm("OutputDataSet", envir = globalenv())
    expect_equal(res$status, 0L)
    expect_equal(output_of(res)$df, data.frame(a = 1))
  }
}

test_predefined_frames_without_input_query <- function() {
  # No input query: InputDataSet is data.frame(); leaving OutputDataSet as
  # predefined (or any frame without columns) is no result set, as in SQL Server.
  for (s in c("stopifnot(identical(InputDataSet, data.frame()), identical(OutputDataSet, data.frame()))\n",
              "OutputDataSet <- data.frame(a = 1)[0]\n")) {
    res <- run_job(host_stream(s))
    expect_equal(res$status, 0L)
    expect_equal(frame_names(res), c("HELLO", "PARAMS", "END"))
  }
}

test_script_error_is_an_error_frame <- function() {
  res <- run_job(host_stream("x <- 1\nstop(\"nope\")\n", data.frame(x = 1L)))
  expect_equal(res$status, 1L)
  expect_equal(frame_names(res), c("HELLO", "ERROR"))
  e <- error_of(res)
  expect_equal(e[c("kind", "type", "message", "line")], list(kind = "script", type = "simpleError", message = "nope", line = "2"))
}

test_output_that_is_not_a_data_frame <- function() {
  res <- run_job(host_stream("OutputDataSet <- 1:3\n"))
  expect_equal(res$status, 1L)
  expect_equal(error_of(res)[c("kind", "message")], list(kind = "output", message = "OutputDataSet is a integer, not a data.frame"))
}

test_error_while_writing_follows_the_frames_sent <- function() {
  bytes <- host_stream("OutputDataSet <- data.frame(s = strrep(\"x\", 200))\n")
  res <- with_limit("MAX_FRAME", 128, run_job(bytes))
  expect_equal(res$status, 1L)
  expect_equal(frame_names(res), c("HELLO", "SCHEMA", "ERROR"))
  expect_equal(error_of(res)$kind, "output")
}

test_bad_input_is_a_protocol_error <- function() {
  good <- host_stream("OutputDataSet <- InputDataSet\n", data.frame(x = 1:2))
  cases <- list(truncated = good[seq_len(length(good) - 7)], empty = raw(0),
                end_mismatch = c(good[seq_len(length(good) - 8)], u64_raw(3)))
  for (name in names(cases)) {
    res <- run_job(cases[[name]])
    expect_equal(c(name, res$status), c(name, 1L))
    expect_equal(c(name, error_of(res)$kind), c(name, "protocol"))
  }
}

test_host_error_aborts_with_status_3 <- function() {
  con <- rawConnection(raw(0), "wb")
  write_frame(con, FRAME[["HELLO"]], hello_payload())
  write_frame(con, FRAME[["ERROR"]], encode_dict(list(kind = "cancelled", message = "stop now")))
  bytes <- rawConnectionValue(con)
  close(con)
  res <- run_job(bytes)
  expect_equal(res$status, 3L)
  expect_equal(frame_names(res), "HELLO")
  expect_equal(res$err, "launchpad: host aborted the job: stop now")
}

test_unwritable_output_is_status_2 <- function() {
  res <- captured_status(run(list(input = "/nonexistent/in", output = "/nonexistent/out"), 0L))
  expect_equal(res$status, 2L)
  expect_equal(grepl("launchpad: cannot send ERROR", res$err), TRUE)
}

captured_status <- function(expr) {
  err <- character(0)
  econ <- textConnection("err", "w", local = TRUE)
  sink(econ, type = "message")
  status <- suppressWarnings(tryCatch(expr, finally = { sink(type = "message"); close(econ) }))
  list(status = status, err = err)
}

test_integer64_is_the_administrators_choice <- function() {
  old <- Sys.getenv("LAUNCHPAD_R_INTEGER64", unset = NA)
  on.exit(if (is.na(old)) Sys.unsetenv("LAUNCHPAD_R_INTEGER64") else Sys.setenv(LAUNCHPAD_R_INTEGER64 = old))
  Sys.unsetenv("LAUNCHPAD_R_INTEGER64")
  o <- int64_opts()
  expect_equal(o$bit64, FALSE)
  expect_equal(grepl("integer64 = true for RLauncher", o$why_no_integer64), TRUE)
  Sys.setenv(LAUNCHPAD_R_INTEGER64 = "1")
  expect_equal(int64_opts(), list(bit64 = TRUE, why_no_integer64 = ""))
}
