# Tests of frame.R: output types inferred from R classes, data.frames written
# as SCHEMA + BATCH frames cut by size, and read back from BATCH + END.

NO64 <- list(bit64 = FALSE)

# through_frames writes df as the runtime sends it, adds END, and reads it
# back as the runtime reads the host's input: list(fields, df, batches).
through_frames <- function(df, opts = NO64) {
  con <- rawConnection(raw(0), "wb")
  rows <- write_data_frame(con, df)
  write_frame(con, FRAME[["END"]], u64_raw(rows))
  bytes <- rawConnectionValue(con)
  close(con)
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
               c(bool = "logical", int8 = "integer", int16 = "integer", int32 = "integer", int64 = "numeric",
                 float32 = "numeric", float64 = "numeric", decimal = "numeric", string = "character",
                 binary = "list", date = "Date", time = "difftime", datetime = "POSIXct",
                 datetimeoffset = "POSIXct", uuid = "character"))
}
