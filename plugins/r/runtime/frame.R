# frame.R - data.frames in and out: the input frame built from the host's
# record batches, and the output frame's column types inferred from R classes
# and cut into batches of about BATCH_BYTES.

# read_data_frame decodes BATCH frames up to END into one data.frame. Batches
# are decoded to plain vectors and concatenated once per column: appending
# row by row or classing each batch would cost a copy per batch.
read_data_frame <- function(input, fields, opts) {
  parts <- vector("list", length(fields))
  for (j in seq_along(parts)) parts[[j]] <- list()
  total <- 0
  repeat {
    fr <- input$next_frame(c("BATCH", "END"))
    if (fr$type == FRAME[["END"]]) {
      r <- reader(fr$payload, "END")
      sent <- r$u64()
      if (sent != total) fail("protocol", sprintf("END says %.0f rows, batches held %.0f", sent, total))
      break
    }
    b <- decode_batch(fr$payload, fields, sprintf("frame %d BATCH", input$index() - 1L), opts)
    total <- total + b$n
    for (j in seq_along(fields)) parts[[j]][[length(parts[[j]]) + 1L]] <- b$cols[[j]]
  }
  cols <- lapply(seq_along(fields), function(j) {
    v <- if (length(parts[[j]])) do.call(c, parts[[j]]) else NULL
    if (is.null(v)) v <- empty_column(fields[[j]]$type)
    finish_column(v, fields[[j]], opts)
  })
  rm(parts)
  as_data_frame(cols, vapply(fields, `[[`, "", "name"), total)
}

# empty_column is the zero-row vector of a type, so an empty input still has
# typed columns.
empty_column <- function(t) {
  switch(TYPE_NAMES[t],
    bool = logical(0), int8 = , int16 = , int32 = integer(0), binary = list(),
    string = , uuid = character(0), double(0))
}

as_data_frame <- function(cols, names, n) {
  structure(cols, names = names, class = "data.frame", row.names = .set_row_names(as.integer(n)))
}

infer_type <- function(x, name) {
  if (inherits(x, "integer64")) return(T_INT64)
  if (is.factor(x)) return(T_STR)
  if (inherits(x, "Date")) return(T_DATE)
  if (inherits(x, "POSIXt")) return(T_DT)
  if (inherits(x, "difftime")) return(T_TIME)
  if (is.list(x) && (!is.object(x) || identical(class(x), "AsIs"))) return(T_BIN)
  if (is.null(dim(x))) {
    if (is.logical(x)) return(T_BOOL)
    if (is.integer(x)) return(T_INT32)
    if (is.double(x)) return(T_F64)
    if (is.character(x)) return(T_STR)
  }
  fail("output", sprintf("column %s has unsupported class %s", name, paste(class(x), collapse = "/")), name)
}
row_fixed_bytes <- function(t) TYPE_WIDTH[t] + if (t %in% c(T_STR, T_BIN)) 4 else if (t == T_DTO) 2 else if (t == T_BOOL) 0.125 else 0

# write_data_frame sends df as SCHEMA and BATCH frames and returns its row
# count. hints: the input's fields; an output column named like an integer
# input column keeps an integer type (see hinted_int_type). on_schema, when
# given, takes the fields in place of writing SCHEMA (a chunked job writes it
# once and checks the later chunks' fields).
write_data_frame <- function(con, df, hints = NULL, on_schema = NULL) {
  names <- names(df)
  if (is.null(names)) names <- rep("", length(df))
  names[is.na(names)] <- ""
  df <- raw_as_one_value(df, names)
  n <- nrow(df)
  hint_types <- vapply(hints, `[[`, 0L, "type")
  names(hint_types) <- vapply(hints, `[[`, "", "name")
  fields <- vector("list", length(df))
  prep <- vector("list", length(df))
  rowb <- rep(0, n)
  for (j in seq_along(df)) {
    x <- df[[j]]
    if (length(x) != n) fail("output", sprintf("column %s has %d values for %d rows", names[j], length(x), n), names[j])
    t <- hinted_int_type(x, infer_type(x, names[j]), hint_types[names[j]])
    fields[[j]] <- list(name = names[j], type = t, flags = FLAG_NULLABLE, prec = 0L, scale = 0L)
    prep[[j]] <- prep_column(x, t, names[j])
    rowb <- rowb + row_fixed_bytes(t) + 0.125 + if (is.null(prep[[j]]$var)) 0 else prep[[j]]$var
  }
  if (is.null(on_schema)) write_frame(con, FRAME[["SCHEMA"]], encode_schema(fields)) else on_schema(fields)
  if (n == 0) return(0)
  cut <- if (length(df)) floor(cumsum(rowb) / BATCH_BYTES) else rep(0, n)
  starts <- which(!duplicated(cut))
  ends <- c(starts[-1] - 1L, n)
  for (k in seq_along(starts)) {
    idx <- starts[k]:ends[k]
    bufs <- do.call(c, lapply(seq_along(prep), function(j) enc_slice(prep[[j]], idx, fields[[j]])))
    write_batch(con, length(idx), if (is.null(bufs)) list() else bufs)
  }
  n
}


# hinted_int_type: integers reach the script as integer, or double when they
# do not fit, so an output column named like an int64 input column goes back
# as int64 (as it came), and a double column named like a smaller integer
# input as int32 (R's integer), when every value is a whole number in range
# (int64: within +-2^53, where a double is exact). Anything else keeps type t.
hinted_int_type <- function(x, t, hint) {
  if (is.na(hint) || !(hint %in% c(T_INT8, T_INT16, T_INT32, T_INT64)) || !(t %in% c(T_INT32, T_F64))) return(t)
  if (hint != T_INT64 && t == T_INT32) return(t)
  lim <- if (hint == T_INT64) 2^53 else 2^31 - 1
  if (t == T_F64 && (any(is.nan(x)) || !all(is.na(x) | (x == round(x) & abs(x) <= lim)))) return(t)
  if (hint == T_INT64) T_INT64 else T_INT32
}

# raw_as_one_value: SQL Server returns a data.frame column of class raw as
# ONE varbinary(max) value, which is how R tutorials return a serialized
# model: data.frame(model = as.raw(serialize(m, NULL))) has one row per
# byte. Such a frame becomes one row: each raw column its whole vector, every
# other column its one value (it must hold one value, repeated by data.frame;
# different values fail rather than lose rows). A frame of no rows stays
# empty (an empty binary column).
raw_as_one_value <- function(df, names) {
  israw <- vapply(df, function(x) is.raw(x) && is.null(dim(x)), NA)
  if (!any(israw)) return(df)
  if (nrow(df) == 0L) {
    df[israw] <- list(list())
    return(df)
  }
  cols <- lapply(seq_along(df), function(j) {
    x <- df[[j]]
    if (israw[j]) return(list(as.vector(x)))
    if (length(unique(x)) > 1L) {
      fail("output", sprintf(paste0(
        "column %s holds different values, but raw column %s makes the output one row ",
        "(a raw column is one varbinary value, as in SQL Server); use I(list(raw vectors)) for one value per row"),
        names[j], names[which(israw)[1]]), names[j])
    }
    x[1]
  })
  as_data_frame(cols, names, 1L)
}
