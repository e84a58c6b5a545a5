# query.R - launchpad_query(query): a query the script makes back to the
# instance during its job, as SQL Server scripts do with implied
# authentication. It travels to the host as a BXL QUERY frame (docs/bxl.md);
# the host runs it with the caller's rights (the grant's tables on the SQLite
# instance, EXECUTE AS the caller's login on SQL Server) within the job's
# query limits, and answers SCHEMA BATCH* END, read into a data.frame typed
# as the input data set is, or ERROR, raised in the script as a condition of
# class launchpad_query_error (tryCatch may handle it). No credentials, no
# network. Not available in a chunked job: the host is still sending input.

# MAX_QUERY is the host's default limit on a QUERY payload.
MAX_QUERY <- 1024^2

# query_function returns the script's launchpad_query for the job's data
# plane io, once the whole input was read.
query_function <- function(io, opts) {
  function(query) {
    if (!is.character(query) || length(query) != 1L || is.na(query)) {
      stop("launchpad_query takes the query as one character string")
    }
    payload <- encode_dict(list(query = query))
    if (length(payload) > MAX_QUERY) {
      stop(query_error(sprintf("query of %d bytes exceeds the %.0f-byte limit", length(payload), MAX_QUERY)))
    }
    out <- open_output(io$output)
    write_frame(out, FRAME[["QUERY"]], payload)
    close(out)
    con <- file(io$input, "rb", raw = TRUE)
    on.exit(close(con))
    answer <- input_stream(con, on_error = query_error)
    fields <- decode_schema(reader(answer$next_frame("SCHEMA")$payload, "SCHEMA"), "SCHEMA")
    read_data_frame(answer, fields, opts)
  }
}

# no_query_function is launchpad_query in a chunked job.
no_query_function <- function() {
  function(query) {
    stop(query_error("launchpad_query is not available in a chunked job (@r_rowsPerRead, partitions): the host is still sending its input"))
  }
}

query_error <- function(message) {
  structure(class = c("launchpad_query_error", "error", "condition"), list(message = message, call = NULL))
}
