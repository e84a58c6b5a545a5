# chunks.R - chunked jobs (JOB key chunked=1: @r_rowsPerRead, or partitions):
# the script runs once per chunk of the input in one session. The host ends
# each chunk with a BATCH of zero rows, none after the last (docs/bxl.md,
# "Chunks"). Only one chunk is in memory at a time. The script's variables,
# OUTPUT params included, live on from chunk to chunk; the output data set
# is unbound before each run, and the runs' outputs form one result set
# whose columns must be the same in every chunk.

run_chunks <- function(io, job, env, user_jit) {
  on.exit(close(job$con))
  out <- chunk_output(io$output, job$output_name)
  seen <- 0
  chunk <- 0L
  repeat {
    ch <- read_chunk(job$input, job$fields, job$opts, seen)
    seen <- seen + ch$rows
    if (ch$ended && ch$rows == 0 && chunk > 0L) break
    chunk <- chunk + 1L
    assign(job$input_name, ch$df, envir = env)
    ch$df <- NULL
    # Each run starts with the empty output SQL Server predefines.
    if (exists(job$output_name, envir = globalenv(), inherits = FALSE)) rm(list = job$output_name, envir = globalenv())
    assign(job$output_name, data.frame(), envir = env)
    withCallingHandlers(run_user_script(job$script, env, user_jit),
      launchpad_error = function(e) stop(in_chunk(e, chunk)))
    res <- withCallingHandlers(script_results(env, job),
      launchpad_error = function(e) stop(in_chunk(e, chunk)))
    assign(job$input_name, NULL, envir = env)
    out$send(chunk, res$df, res$hints)
    if (ch$ended) break
  }
  finish_chunks(io$output, res$params, out$rows())
}

# in_chunk prefixes an error's message with its chunk; an error already
# naming one is left as it is.
in_chunk <- function(e, chunk) {
  if (!isTRUE(e$chunked)) {
    e$message <- sprintf("chunk %d: %s", chunk, conditionMessage(e))
    e$chunked <- TRUE
  }
  e
}

# read_chunk decodes BATCH frames up to a zero-row BATCH or END into one
# data.frame. seen: the rows of the earlier chunks, for END's count.
# Its loop repeats read_data_frame's on purpose: there a zero-row BATCH is
# just an empty batch, here it ends a chunk; read_data_frame also drops the
# parts before building the frame, which a shared helper could not.
read_chunk <- function(input, fields, opts, seen) {
  parts <- vector("list", length(fields))
  for (j in seq_along(parts)) parts[[j]] <- list()
  total <- 0
  ended <- FALSE
  repeat {
    fr <- input$next_frame(c("BATCH", "END"))
    if (fr$type == FRAME[["END"]]) {
      sent <- reader(fr$payload, "END")$u64()
      if (sent != seen + total) fail("protocol", sprintf("END says %.0f rows, batches held %.0f", sent, seen + total))
      ended <- TRUE
      break
    }
    b <- decode_batch(fr$payload, fields, sprintf("frame %d BATCH", input$index() - 1L), opts)
    if (b$n == 0) break
    total <- total + b$n
    for (j in seq_along(fields)) parts[[j]][[length(parts[[j]]) + 1L]] <- b$cols[[j]]
  }
  cols <- lapply(seq_along(fields), function(j) {
    v <- if (length(parts[[j]])) do.call(c, parts[[j]]) else NULL
    if (is.null(v)) v <- empty_column(fields[[j]]$type)
    finish_column(v, fields[[j]], opts)
  })
  list(df = as_data_frame(cols, vapply(fields, `[[`, "", "name"), total), rows = total, ended = ended)
}

# chunk_output sends each chunk's output data.frame as part of one result
# set: SCHEMA with the first, the same columns checked in the others.
chunk_output <- function(path, name) {
  first <- NULL
  first_chunk <- 0L
  rows <- 0
  shape <- function(fields) vapply(fields, function(f) paste(f$name, TYPE_NAMES[f$type]), "")
  send <- function(chunk, df, hints) {
    if (is.null(df)) return(invisible())
    con <- open_output(path)
    state$out <- con
    on_schema <- function(fields) {
      if (is.null(first)) {
        write_frame(con, FRAME[["SCHEMA"]], encode_schema(fields))
        first <<- fields
        first_chunk <<- chunk
      } else if (!identical(shape(fields), shape(first))) {
        fail("output", sprintf("%s has columns (%s), but chunk %d's had (%s): every chunk must return the same columns",
                               name, paste(shape(fields), collapse = ", "), first_chunk, paste(shape(first), collapse = ", ")))
      }
    }
    n <- withCallingHandlers(write_data_frame(con, df, hints, on_schema),
      launchpad_error = function(e) stop(in_chunk(e, chunk)))
    rows <<- rows + n
    state$out <- NULL
    close(con)
  }
  list(send = send, rows = function() rows)
}

# finish_chunks writes the OUTPUT params' last values and END.
finish_chunks <- function(path, params, rows) {
  flush_std()
  con <- open_output(path)
  state$out <- con
  write_frame(con, FRAME[["PARAMS"]], params)
  close_std()
  write_frame(con, FRAME[["END"]], u64_raw(rows))
  state$out <- NULL
  close(con)
}
