# Tests of decode.R and encode.R: every BXL type through prep_column,
# enc_slice, a real batch payload, decode_batch and finish_column, with NULLs
# and edge values; and the values each side refuses.

NO64 <- list(bit64 = FALSE)
HAS_BIT64 <- length(find.package("bit64", quiet = TRUE)) > 0

col_field <- function(t, prec = 0L, scale = 0L) {
  list(name = "c", type = t, flags = FLAG_NULLABLE, prec = prec, scale = scale)
}

# encode_column writes x as one column of type t for rows idx (all by default)
# and returns the batch payload.
encode_column <- function(x, t, idx = seq_along(x), prec = 0L, scale = 0L) {
  f <- col_field(t, prec, scale)
  pc <- if (t == T_DEC) list(type = T_DEC, null = is.na(x), x = list(x = x), var = NULL) else prep_column(x, t, "c")
  batch_payload_raw(length(idx), enc_slice(pc, idx, f))
}

decode_column_of <- function(p, t, opts = NO64, prec = 0L, scale = 0L) {
  f <- col_field(t, prec, scale)
  finish_column(decode_batch(p, list(f), "B", opts)$cols[[1]], f, opts)
}

round_trip <- function(x, t, opts = NO64, prec = 0L, scale = 0L) {
  decode_column_of(encode_column(x, t, prec = prec, scale = scale), t, opts, prec, scale)
}

utc <- function(s) as.POSIXct(s, tz = "UTC")

test_bool_round_trips <- function() {
  expect_equal(round_trip(c(TRUE, NA, FALSE, TRUE), T_BOOL), c(TRUE, NA, FALSE, TRUE))
  x <- rep(c(TRUE, FALSE, NA), 7)
  expect_equal(round_trip(x, T_BOOL), x)
  expect_equal(round_trip(logical(0), T_BOOL), logical(0))
}

test_small_ints_round_trip_their_edges <- function() {
  expect_equal(round_trip(c(-128L, NA, 127L, 0L), T_INT8), c(-128L, NA, 127L, 0L))
  expect_equal(round_trip(c(-32768L, NA, 32767L), T_INT16), c(-32768L, NA, 32767L))
  expect_equal(round_trip(c(-2147483647L, NA, 2147483647L), T_INT32), c(-2147483647L, NA, 2147483647L))
  expect_equal(round_trip(c(1, 2, NA), T_INT32), c(1L, 2L, NA))
}

test_small_ints_refuse_values_out_of_range <- function() {
  expect_fail(prep_column(c(1L, 128L), T_INT8, "c"), "output", "column c: value outside int8")
  expect_fail(prep_column(-32769, T_INT16, "c"), "output", "value outside int16")
  expect_fail(prep_column(2^31, T_INT32, "c"), "output", "value outside int32")
  expect_fail(prep_column(1.5, T_INT32, "c"), "output", "not a whole number")
  expect_fail(prep_column("x", T_INT32, "c"), "output", "cannot be converted to int32")
}

test_int32_min_arrives_as_double <- function() {
  # -2147483648 is NA_integer_ in R: the column is double, never an NA.
  p <- batch_payload_raw(2, list(raw(0), as.raw(c(0, 0, 0, 0x80, 7, 0, 0, 0))))
  expect_equal(decode_column_of(p, T_INT32), c(-2^31, 7))
  expect_equal(round_trip(c(-2147483647L, NA), T_INT32), c(-2147483647L, NA))
}

test_int64_is_integer_when_every_value_fits <- function() {
  x <- c(-(2^31 - 1), NA, 2^31 - 1, 0)
  expect_equal(round_trip(x, T_INT64), as.integer(x))
  expect_equal(round_trip(x, T_INT64, list(bit64 = TRUE)), as.integer(x))
  # -2^31 is NA_integer_, 2^31 is past the top: double, still exact.
  expect_equal(round_trip(c(-2^31, NA), T_INT64), c(-2^31, NA))
  expect_equal(round_trip(c(2^31, 1), T_INT64, list(bit64 = TRUE)), c(2^31, 1))
}

test_int64_as_double_round_trips_up_to_2_53 <- function() {
  x <- c(-2^53, NA, 2^53, 0, -1)
  expect_equal(round_trip(x, T_INT64), x)
  expect_fail(prep_column(2^63, T_INT64, "c"), "output", "value outside int64")
  expect_fail(prep_column(0.5, T_INT64, "c"), "output", "not a whole number")
}

test_int64_beyond_2_53_is_refused_without_bit64 <- function() {
  big <- c(0, 0, 0x20, 0, 0, 0, 0x20, 0)  # 2^53 + 2^21
  p <- batch_payload_raw(1, list(raw(0), as.raw(big)))
  e <- expect_fail(decode_column_of(p, T_INT64), "input", "column c holds bigint values beyond \\+-2\\^53.*CAST it in the query")
  expect_equal(e$column, "c")
  expect_fail(decode_column_of(p, T_INT64, list(bit64 = FALSE, why_no_integer64 = "; ASK")), "input", "float to accept rounding\\); ASK$")
  # With bit64 the same bits are kept as they are.
  got <- decode_column_of(p, T_INT64, list(bit64 = TRUE))
  expect_equal(unclass(got), readBin(as.raw(big), "double", 1L, size = 8L, endian = "little"))
}

test_int64_round_trips_with_bit64 <- function() {
  if (!HAS_BIT64) return(invisible())
  loadNamespace("bit64")
  x <- bit64::as.integer64(c("-9223372036854775807", NA, "9223372036854775807", "0", "9007199254740993"))
  got <- round_trip(x, T_INT64, list(bit64 = TRUE))
  expect_equal(class(got), "integer64")
  expect_equal(as.character(got), as.character(x))
  min64 <- batch_payload_raw(1, list(raw(0), as.raw(c(rep(0, 7), 0x80))))
  expect_fail(decode_column_of(min64, T_INT64, list(bit64 = TRUE)), "input", "-9223372036854775808")
}

test_floats_keep_nan_infinities_and_na <- function() {
  x <- c(-0, NaN, NA, Inf, -Inf, .Machine$double.xmax, 5e-324)
  got <- round_trip(x, T_F64)
  expect_equal(got, x)
  expect_equal(1 / got[1], -Inf)
  expect_equal(is.nan(got), c(FALSE, TRUE, FALSE, FALSE, FALSE, FALSE, FALSE))
  f32 <- round_trip(c(0.1, NA, NaN, Inf, 16777217), T_F32)
  expect_equal(f32, c(as.double(readBin(writeBin(0.1, raw(), size = 4L), "double", size = 4L)), NA, NaN, Inf, 16777216))
}

test_decimals_round_trip_to_doubles <- function() {
  expect_equal(round_trip(c("12345.67", NA, "-0.01", "0"), T_DEC, prec = 10L, scale = 2L), c(12345.67, NA, -0.01, 0))
  expect_equal(round_trip(c(1.5, -2.25), T_DEC, prec = 5L, scale = 2L), c(1.5, -2.25))
  expect_equal(round_trip("999999999999999", T_DEC, prec = 38L, scale = 0L), 999999999999999)
  expect_equal(round_trip("-0.000000000000000000000000000001", T_DEC, prec = 38L, scale = 30L), -1e-30)
  expect_equal(round_trip("123456789012345000000000", T_DEC, prec = 38L, scale = 0L), 1.23456789012345e23)
}

test_wide_decimals_are_refused_not_rounded <- function() {
  p <- encode_column(c("1234567890123456", NA), T_DEC, prec = 38L, scale = 0L)
  expect_fail(decode_column_of(p, T_DEC, prec = 38L, scale = 0L), "input", "more than 15 significant digits")
  p <- encode_column("-99999999999999999999999999999999999999", T_DEC, prec = 38L, scale = 0L)
  expect_fail(decode_column_of(p, T_DEC, prec = 38L, scale = 0L), "input", "decimal\\(38,0\\)")
}

test_decimal_encoder_refuses_what_does_not_fit <- function() {
  expect_fail(encode_decimal("123.456", 1L, 10L, 2L, "p"), "output", "more than 2 decimals")
  expect_fail(encode_decimal("12345", 1L, 4L, 0L, "p"), "output", "does not fit decimal\\(4,0\\)")
  expect_fail(encode_decimal("1e5", 1L, 10L, 0L, "p"), "output", "not a decimal number")
  expect_fail(encode_decimal(2^60, 1L, 38L, 0L, "p"), "output", "exactly")
}

test_strings_round_trip_utf8_empty_and_na <- function() {
  x <- c("", NA, "h\u00e9llo", "\u65e5\u672c\u8a9e", "plain", strrep("x", 1000))
  got <- round_trip(x, T_STR)
  expect_equal(got, x)
  expect_equal(Encoding(got[3]), "UTF-8")
  expect_equal(round_trip(factor(c("b", NA, "a")), T_STR), c("b", NA, "a"))
  expect_equal(round_trip(character(0), T_STR), character(0))
}

test_strings_with_nul_are_refused_on_input <- function() {
  p <- batch_payload_raw(1, list(raw(0), u32_raw(c(0, 3)), as.raw(c(0x61, 0, 0x62))))
  expect_fail(decode_column_of(p, T_STR), "input", "NUL character")
  p <- batch_payload_raw(1, list(raw(0), u32_raw(c(0, 2)), as.raw(c(0xc3, 0x28))))
  expect_fail(decode_column_of(p, T_STR), "protocol", "not valid UTF-8")
  p <- batch_payload_raw(2, list(raw(0), u32_raw(c(0, 2, 1)), as.raw(c(0x61, 0x62))))
  expect_fail(decode_column_of(p, T_STR), "protocol", "offsets are not 0..2 and non-decreasing")
}

test_binary_round_trips_empty_null_and_every_byte <- function() {
  x <- list(raw(0), NULL, as.raw(0:255), as.raw(7))
  expect_equal(round_trip(x, T_BIN), x)
  expect_equal(round_trip(list(), T_BIN), list())
  expect_fail(prep_column(list("a"), T_BIN, "c"), "output", "must hold raw vectors or NULL")
}

test_dates_round_trip_far_and_negative <- function() {
  x <- as.Date(c("1970-01-01", NA, "0001-01-01", "9999-12-31", "1969-12-31"))
  expect_equal(round_trip(x, T_DATE), x)
  expect_equal(round_trip(c("2024-02-29", NA), T_DATE), as.Date(c("2024-02-29", NA)))
  expect_equal(round_trip(utc("2024-02-29 23:59:59"), T_DATE), as.Date("2024-02-29"))
}

test_times_round_trip_to_the_microsecond <- function() {
  x <- as.difftime(c(0, NA, 86399.999999, 3723.5), units = "secs")
  got <- round_trip(x, T_TIME)
  expect_equal(units(got), "secs")
  expect_equal(as.double(got), as.double(x), tol = 1e-12)
  expect_equal(as.double(round_trip(c("01:02:03.5", NA, "23:59:59"), T_TIME)), c(3723.5, NA, 86399))
  expect_fail(prep_column(86400, T_TIME, "c"), "output", "time outside")
  expect_fail(prep_column(-1, T_TIME, "c"), "output", "time outside")
  expect_fail(prep_column("1:2", T_TIME, "c"), "output", "HH:MM:SS")
  p <- batch_payload_raw(1, list(raw(0), i64_raw(86400e6)))
  expect_fail(decode_column_of(p, T_TIME), "protocol", "time outside 0..24h")
}

test_datetimes_round_trip_before_and_after_1970 <- function() {
  x <- utc(c("1969-12-31 23:59:59.25", NA, "2024-06-01 12:34:56.5", "0001-01-01 00:00:00", "9999-12-31 23:59:59"))
  got <- round_trip(x, T_DT)
  expect_equal(attr(got, "tzone"), "UTC")
  expect_equal(as.double(got), as.double(x))
  # POSIXct is an instant: a zoned value arrives as its UTC instant.
  ny <- as.POSIXct("2024-01-01 07:00:00", tz = "America/New_York")
  expect_equal(format(round_trip(ny, T_DT)), "2024-01-01 12:00:00")
  expect_equal(as.double(round_trip(as.Date("1970-01-02"), T_DT)), 86400)
}

test_datetimeoffsets_arrive_as_utc_instants <- function() {
  p <- batch_payload_raw(2, list(as.raw(1), i64_raw(c(1.5e6, 0)), writeBin(c(-300L, 0L), raw(), size = 2L, endian = "little")))
  got <- decode_column_of(p, T_DTO)
  expect_equal(as.double(got), c(1.5, NA))
  expect_equal(attr(got, "tzone"), "UTC")
  bad <- batch_payload_raw(1, list(raw(0), i64_raw(0), writeBin(841L, raw(), size = 2L, endian = "little")))
  expect_fail(decode_column_of(bad, T_DTO), "protocol", "zone offset outside")
  expect_equal(as.double(round_trip(utc("2000-01-01"), T_DTO)), 946684800)
}

test_uuids_round_trip_uppercase_with_dashes <- function() {
  x <- c("12345678-9ABC-def0-1234-56789abcdef0", NA, "00000000000000000000000000000000")
  expect_equal(round_trip(x, T_UUID), c("12345678-9ABC-DEF0-1234-56789ABCDEF0", NA, "00000000-0000-0000-0000-000000000000"))
  expect_fail(prep_column("12345", T_UUID, "c"), "output", "not a UUID")
}

test_slices_encode_the_rows_they_name <- function() {
  x <- c("a", NA, "ccc", "dd", NA, "f")
  u <- ifelse(is.na(x), NA, strrep(substr(x, 1, 1), 32))
  cases <- list(list(x, T_STR), list(u, T_UUID), list(c(1L, NA, 3L, 4L, NA, 6L), T_INT32),
                list(lapply(x, function(s) if (is.na(s)) NULL else charToRaw(s)), T_BIN))
  for (cs in cases) {
    want <- round_trip(cs[[1]], cs[[2]])
    got <- decode_column_of(encode_column(cs[[1]], cs[[2]], idx = 4:6), cs[[2]])
    expect_equal(got, want[4:6])
  }
}

test_validity_is_empty_without_nulls <- function() {
  expect_equal(validity_raw(c(FALSE, FALSE)), raw(0))
  expect_equal(validity_raw(c(FALSE, TRUE, FALSE)), as.raw(5))
  p <- encode_column(1:3, T_INT32)
  tab <- matrix(u32_vec(p[9:40]), nrow = 4L)
  expect_equal(tab[3, 1], 0)
}

test_validity_buffer_length_is_checked <- function() {
  p <- batch_payload_raw(9, list(as.raw(0xff), writeBin(1:9, raw(), size = 4L, endian = "little")))
  expect_fail(decode_column_of(p, T_INT32), "protocol", "validity buffer is 1 bytes, expected 2")
}
