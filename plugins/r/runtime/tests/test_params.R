# Tests of params.R: the PARAMS payload (schema + one-row batch) both ways.

NO64 <- list(bit64 = FALSE)

pfield <- function(name, type, out = TRUE, prec = 0L, scale = 0L) {
  list(name = name, type = type, flags = FLAG_NULLABLE + if (out) FLAG_OUTPUT else 0L, prec = prec, scale = scale)
}

test_every_type_round_trips_as_a_param <- function() {
  fields <- list(pfield("b", T_BOOL), pfield("i8", T_INT8), pfield("i16", T_INT16), pfield("i32", T_INT32),
                 pfield("i64", T_INT64), pfield("f32", T_F32), pfield("f64", T_F64),
                 pfield("dec", T_DEC, prec = 10L, scale = 3L), pfield("s", T_STR), pfield("bin", T_BIN),
                 pfield("d", T_DATE), pfield("t", T_TIME), pfield("dt", T_DT), pfield("dto", T_DTO),
                 pfield("u", T_UUID))
  values <- list(TRUE, -128L, 32767L, -5L, 2^53, 0.5, -1e300, "-1234.567", "h\u00e9", as.raw(0:3),
                 as.Date("2024-02-29"), as.difftime(3723.5, units = "secs"),
                 as.POSIXct("1969-07-20 20:17:40", tz = "UTC"), as.POSIXct("2000-01-01", tz = "UTC"),
                 "12345678-9abc-def0-1234-56789abcdef0")
  got <- decode_params(encode_out_params(fields, values), NO64)
  expect_equal(got$fields, fields)
  expect_equal(got$values[1:11], list(TRUE, -128L, 32767L, -5L, 2^53, 0.5, -1e300, -1234.567, "h\u00e9",
                                      as.raw(0:3), as.Date("2024-02-29")))
  expect_equal(as.double(got$values[[12]]), 3723.5)
  expect_equal(as.double(got$values[[13]]), as.double(values[[13]]))
  expect_equal(as.double(got$values[[14]]), 946684800)
  expect_equal(got$values[[15]], toupper(values[[15]]))
  expect_equal(vapply(params_fields(encode_out_params(fields, values)), `[[`, "", "name"),
               vapply(fields, `[[`, "", "name"))
}

test_missing_and_na_params_are_null <- function() {
  fields <- list(pfield("a", T_INT32), pfield("b", T_STR), pfield("c", T_BIN), pfield("d", T_DEC, prec = 5L))
  got <- decode_params(encode_out_params(fields, list(NULL, NA, NULL, NA)), NO64)
  expect_equal(got$values, list(NA_integer_, NA_character_, NULL, NA_real_))
}

test_params_are_converted_like_columns <- function() {
  fields <- list(pfield("s", T_STR), pfield("i64", T_INT64), pfield("i", T_INT32))
  got <- decode_params(encode_out_params(fields, list(factor("lvl"), "9007199254740992", 3)), NO64)
  expect_equal(got$values, list("lvl", 2^53, 3L))
}

test_output_params_refuse_what_does_not_fit <- function() {
  one <- function(f, v) encode_out_params(list(f), list(v))
  expect_fail(one(pfield("p", T_INT32), 1:2), "output", "param p must be a single value, has 2")
  expect_fail(one(pfield("p", T_BIN), "text"), "output", "param p must be a raw vector")
  expect_fail(one(pfield("p", T_INT8), 300L), "output", "column p: value outside int8")
  expect_fail(one(pfield("p", T_DEC, prec = 3L), 12345), "output", "param p does not fit decimal\\(3,0\\)")
  e <- expect_fail(one(pfield("p", T_UUID), "nope"), "output", "not a UUID")
  expect_equal(e$column, "p")
}

test_no_params <- function() {
  p <- encode_out_params(list(), list())
  got <- decode_params(p, NO64)
  expect_equal(length(got$fields), 0L)
  expect_equal(got$values, list())
}

test_a_params_batch_must_hold_one_row <- function() {
  f <- list(pfield("a", T_INT32))
  sch <- encode_schema(f)
  head <- c(u32_raw(length(sch)), sch)
  head <- c(head, raw(pad8(length(head))))
  p <- c(head, batch_payload_raw(2, list(raw(0), writeBin(1:2, raw(), size = 4L, endian = "little"))))
  expect_fail(decode_params(p, NO64), "protocol", "PARAMS batch has 2 rows, want 1")
  expect_fail(decode_params(head[1:6], NO64), "protocol", "PARAMS")
}
