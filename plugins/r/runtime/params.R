# params.R - the PARAMS frame: a schema and a one-row batch. Input params
# become R values in the script's environment; OUTPUT params are read back
# from it after the script.

params_fields <- function(p) {
  r <- reader(p, "PARAMS")
  decode_schema(reader(r$bytes(r$u32()), "PARAMS schema"), "PARAMS schema")
}

decode_params <- function(p, opts) {
  r <- reader(p, "PARAMS")
  slen <- r$u32()
  sch <- reader(r$bytes(slen), "PARAMS schema")
  fields <- decode_schema(sch, "PARAMS schema")
  r$skip_to8()
  b <- decode_batch(r$rest(), fields, "PARAMS batch", opts)
  if (length(fields) && b$n != 1) fail("protocol", sprintf("PARAMS batch has %.0f rows, want 1", b$n))
  vals <- lapply(seq_along(fields), function(j) {
    v <- finish_column(b$cols[[j]], fields[[j]], opts)
    if (is.list(v)) v[[1]] else v
  })
  list(fields = fields, values = vals)
}

encode_out_params <- function(fields, values) {
  sch <- encode_schema(fields)
  head <- c(u32_raw(length(sch)), sch)
  head <- c(head, raw(pad8(length(head))))
  bufs <- list()
  for (j in seq_along(fields)) {
    f <- fields[[j]]
    v <- values[[j]]
    if (f$type == T_BIN) {
      v <- list(if (is.raw(v)) v else if (is.null(v)) NULL else fail("output", sprintf("param %s must be a raw vector", f$name), f$name))
    } else {
      if (is.null(v) || length(v) == 0) v <- NA
      if (length(v) != 1) fail("output", sprintf("param %s must be a single value, has %d", f$name, length(v)), f$name)
      if (is.factor(v)) v <- as.character(v)
      if (f$type == T_INT64 && !inherits(v, "integer64") && !is.numeric(v) && !is.na(v)) {
        v <- suppressWarnings(as.numeric(v))
      }
    }
    pc <- if (f$type == T_DEC) {
      list(type = T_DEC, null = is.na(v), x = list(x = v), var = NULL)
    } else {
      prep_column(v, f$type, f$name)
    }
    bufs <- c(bufs, enc_slice(pc, 1L, f))
  }
  n <- if (length(fields)) 1L else 0L
  c(head, batch_payload_raw(n, bufs))
}
