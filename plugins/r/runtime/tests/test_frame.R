# Tests of frame.R: output types inferred from R classes, data.frames written
# as SCHEMA + BATCH frames cut by size, and read back from BATCH + END.

NO64 <- list(bit64 = FALSE)

# through_frames writes df as the runtime sends it, adds END, and reads it
# back as the runtime reads the host's input: list(fields, df, batches).
through_frames <- function(df, opts = NO64, hints = NULL) {
  con <- rawConnection(raw(0), "wb")
  bytes <- tryCatch({
    rows <- write_data_frame(con, df, hints)
    write_frame(con, FRAME[["END"]], u64_raw(rows))
    rawConnectionValue(con)
  }, finally = close(con))
  con <- rawConnection(bytes, "rb")
  on.exit(close(con))
  sch <- read_frame(con, 0L)
  expect_equal(sch$type, FRAME[["SCHEMA"]])
  fields <- decode_schema(reader(sch$payload, "SCHEMA"), "SCHEMA")
  input <- input_stream(con)
  got <- read_data_frame(input, fields, opts)
  list(fields = fields, df = got, batches = input$index() - 1L)
}

test_infer_type_maps_r_classes <- function() {
  cases <- list(
    list(TRUE, T_BOOL), list(1L, T_INT32), list(1.5, T_F64), list("a", T_STR),
    list(factor("a"), T_STR), list(Sys.Date(), T_DATE), list(Sys.time(), T_DT),
    list(as.POSIXlt(Sys.time()), T_DT), list(as.difftime(1, units = "mins"), T_TIME),
    list(list(raw(1)), T_BIN), list(I(list(raw(1))), T_BIN),
    list(structure(0, class = "integer64"), T_INT64))
  for (cs in cases) expect_equal(infer_type(cs[[1]], "c"), cs[[2]])
}

test_infer_type_refuses_other_classes <- function() {
  expect_fail(infer_type(matrix(1:4, 2), "m"), "output", "column m has unsupported class matrix/array")
  expect_fail(infer_type(1i, "z"), "output", "unsupported class complex")
  expect_fail(infer_type(data.frame(a = 1), "d"), "output", "unsupported class data.frame")
}

test_every_output_class_round_trips <- function() {
  df <- data.frame(b = c(TRUE, NA, FALSE), i = c(1L, NA, -2147483647L), f = c(0.5, NA, NaN),
                   s = c("x", NA, "\u00e9"), fa = factor(c("u", "v", NA)),
                   d = as.Date(c("2024-01-31", NA, "1900-03-01")),
                   t = as.POSIXct(c("2024-01-31 10:00:00.5", NA, "1900-03-01 00:00:01"), tz = "UTC"),
                   stringsAsFactors = FALSE)
  df$bin <- list(as.raw(1:3), NULL, raw(0))
  df$tm <- as.difftime(c(1.5, NA, 0), units = "mins")
  got <- through_frames(df)
  expect_equal(vapply(got$fields, `[[`, 0L, "type"),
               c(T_BOOL, T_INT32, T_F64, T_STR, T_STR, T_DATE, T_DT, T_BIN, T_TIME))
  expect_equal(vapply(got$fields, `[[`, 0L, "flags"), rep(FLAG_NULLABLE, 9))
  expect_equal(names(got$df), names(df))
  for (j in c("b", "i", "f", "s", "d", "bin")) expect_equal(got$df[[j]], df[[j]])
  expect_equal(got$df$fa, c("u", "v", NA))
  expect_equal(as.double(got$df$t), as.double(df$t))
  expect_equal(as.double(got$df$tm), c(90, NA, 0))
  expect_equal(.row_names_info(got$df), -3L)
}

test_batches_are_cut_by_size <- function() {
  n <- 10000
  df <- data.frame(i = seq_len(n), s = ifelse(seq_len(n) %% 7 == 0, NA, sprintf("v%d", seq_len(n))),
                   stringsAsFactors = FALSE)
  got <- with_limit("BATCH_BYTES", 4096, through_frames(df))
  # About 4 + 1/8 bytes of int32, 4 + 1/8 + 5 of string per row.
  expect_equal(got$batches >= floor(n * 13 / 4096), TRUE)
  expect_equal(got$df, df)
  expect_equal(through_frames(df)$batches, 1L)
}

test_empty_frames <- function() {
  got <- through_frames(data.frame(a = integer(0), s = character(0)))
  expect_equal(got$batches, 0L)
  expect_equal(got$df, data.frame(a = integer(0), s = character(0)))
  got <- through_frames(data.frame()[1:3, , drop = FALSE])
  expect_equal(got$batches, 1L)
  expect_equal(dim(got$df), c(3L, 0L))
  got <- through_frames(data.frame())
  expect_equal(dim(got$df), c(0L, 0L))
}

test_unnamed_columns_are_written_with_empty_names <- function() {
  df <- structure(list(1:2, 3:4), names = c("a", NA), class = "data.frame", row.names = 1:2)
  expect_equal(vapply(through_frames(df)$fields, `[[`, "", "name"), c("a", ""))
}

test_write_refuses_a_column_of_the_wrong_length <- function() {
  df <- structure(list(a = 1:3), class = "data.frame", row.names = 1:2)
  con <- rawConnection(raw(0), "wb")
  on.exit(close(con))
  e <- expect_fail(write_data_frame(con, df), "output", "column a has 3 values for 2 rows")
  expect_equal(e$column, "a")
}

test_read_refuses_an_end_that_disagrees <- function() {
  con <- rawConnection(raw(0), "wb")
  write_batch(con, 2, list(raw(0), writeBin(1:2, raw(), size = 4L, endian = "little")))
  write_frame(con, FRAME[["END"]], u64_raw(3))
  bytes <- rawConnectionValue(con)
  close(con)
  con <- rawConnection(bytes, "rb")
  on.exit(close(con))
  f <- list(list(name = "x", type = T_INT32, flags = 1L, prec = 0L, scale = 0L))
  expect_fail(read_data_frame(input_stream(con), f, NO64), "protocol", "END says 3 rows, batches held 2")
}

test_empty_input_keeps_column_types <- function() {
  types <- seq_len(15)
  fields <- lapply(types, function(t) list(name = TYPE_NAMES[t], type = t, flags = 1L, prec = 10L, scale = 2L))
  con <- rawConnection(c(u32_raw(8), as.raw(FRAME[["END"]]), u64_raw(0)), "rb")
  on.exit(close(con))
  df <- read_data_frame(input_stream(con), fields, NO64)
  expect_equal(dim(df), c(0L, 15L))
  expect_equal(vapply(df, function(x) class(x)[1], ""),
               c(bool = "logical", int8 = "integer", int16 = "integer", int32 = "integer", int64 = "integer",
                 float32 = "numeric", float64 = "numeric", decimal = "numeric", string = "character",
                 binary = "list", date = "Date", time = "difftime", datetime = "POSIXct",
                 datetimeoffset = "POSIXct", uuid = "character"))
}

int_field <- function(name, t) list(name = name, type = t, flags = FLAG_NULLABLE, prec = 0L, scale = 0L)

test_int64_class_is_decided_over_all_batches <- function() {
  # The NULL is in the first batch, the value that decides in the last: the
  # column is one class, from all its rows.
  small <- c(NA, seq(1, 3000), 2^31 - 1)
  wide <- c(NA, seq(1, 3000), 2^31)
  big <- c(NA, seq(1, 3000), 2^53 + 2)
  hints <- list(int_field("v", T_INT64))
  with_limit("BATCH_BYTES", 4096, {
    got <- through_frames(data.frame(v = small), hints = hints)
    expect_equal(got$fields[[1]]$type, T_INT64)
    expect_equal(got$batches > 2L, TRUE)
    expect_equal(got$df$v, as.integer(small))
    got <- through_frames(data.frame(v = wide), hints = hints)
    expect_equal(got$df$v, wide)
    got <- through_frames(data.frame(v = as.integer(small[-3002])), hints = hints)
    expect_equal(got$fields[[1]]$type, T_INT64)
    expect_equal(got$df$v, as.integer(small[-3002]))
    expect_equal(through_frames(data.frame(v = wide), list(bit64 = TRUE), hints)$df$v, wide)
  })
  # Beyond 2^53 a double would round: the hint does not apply (the output is
  # float64, not a changed int64), and as int64 input it fails or, with
  # integer64 allowed, is bit64::integer64.
  expect_equal(through_frames(data.frame(v = big), hints = hints)$fields[[1]]$type, T_F64)
  if (length(find.package("bit64", quiet = TRUE))) {
    x <- bit64::as.integer64(c(NA, "9007199254740993", "1"))
    expect_fail(through_frames(data.frame(v = x)), "input", "column v holds bigint values beyond")
    got <- through_frames(data.frame(v = x), list(bit64 = TRUE))$df$v
    expect_equal(class(got), "integer64")
    expect_equal(as.character(got), c(NA, "9007199254740993", "1"))
  }
}

test_hinted_int_type_keeps_numbers_unchanged <- function() {
  cases <- list(
    list(c(1, NA, -5), T_F64, T_INT64, T_INT64),
    list(c(1L, NA), T_INT32, T_INT64, T_INT64),
    list(c(1L, NA), T_INT32, T_INT16, T_INT32),
    list(c(1, 2^31 - 1), T_F64, T_INT32, T_INT32),
    list(c(1, -2^31), T_F64, T_INT32, T_F64),
    list(c(1.5, 2), T_F64, T_INT64, T_F64),
    list(c(NaN, 2), T_F64, T_INT64, T_F64),
    list(c(Inf, 2), T_F64, T_INT64, T_F64),
    list(c(2^53 + 2), T_F64, T_INT64, T_F64),
    list(c(1, 2), T_F64, T_F64, T_F64),
    list(c(1, 2), T_F64, NA_integer_, T_F64))
  for (cs in cases) expect_equal(hinted_int_type(cs[[1]], cs[[2]], cs[[3]]), cs[[4]])
}

test_raw_column_is_one_varbinary_value <- function() {
  m <- serialize(list(coef = c(1.5, -2)), NULL)
  df <- data.frame(name = "model", model = as.raw(m), stringsAsFactors = FALSE)
  expect_equal(nrow(df), length(m))
  got <- through_frames(df)
  expect_equal(vapply(got$fields, `[[`, 0L, "type"), c(T_STR, T_BIN))
  expect_equal(nrow(got$df), 1L)
  expect_equal(got$df$name, "model")
  expect_equal(unserialize(got$df$model[[1]]), list(coef = c(1.5, -2)))
  expect_equal(nrow(through_frames(data.frame(model = raw(0)))$df), 0L)
  bad <- data.frame(id = seq_along(m), model = as.raw(m))
  expect_fail(through_frames(bad), "output", "column id holds different values, but raw column model")
}
