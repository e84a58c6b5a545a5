# Tests of bxl.R: byte helpers, the payload reader, frames, dictionaries,
# schemas and the record batch's buffer table.

field <- function(name, type, flags = FLAG_NULLABLE, prec = 0L, scale = 0L) {
  list(name = name, type = type, flags = flags, prec = prec, scale = scale)
}

# frames_of reads every frame back from bytes written by write_frame.
frames_of <- function(bytes) {
  con <- rawConnection(bytes, "rb")
  on.exit(close(con))
  out <- list()
  while (length(hdr <- readBin(con, "raw", 5L)) == 5L) {
    len <- u32_vec(hdr[1:4])
    out[[length(out) + 1L]] <- list(type = as.integer(hdr[5]), payload = readBin(con, "raw", len))
  }
  out
}

written <- function(fn) {
  con <- rawConnection(raw(0), "wb")
  on.exit(close(con))
  fn(con)
  rawConnectionValue(con)
}

test_u32_round_trips_the_whole_range <- function() {
  v <- c(0, 1, 255, 2^31 - 1, 2^31, 2^32 - 1)
  b <- u32_raw(v)
  expect_equal(length(b), 24L)
  expect_equal(b[21:24], as.raw(c(0xff, 0xff, 0xff, 0xff)))
  expect_equal(u32_vec(b), v)
}

test_i64_round_trips_edges <- function() {
  v <- c(0, -1, 1, 2^53, -2^53, -2^63, 2^63 - 1024, 123456789012, -123456789012)
  b <- i64_raw(v)
  expect_equal(length(b), 8L * length(v))
  expect_equal(b[9:16], as.raw(rep(0xff, 8)))
  expect_equal(b[41:48], as.raw(c(rep(0, 7), 0x80)))
  expect_equal(i64_double(i64_parts(b, length(v))), v)
}

test_pad8 <- function() {
  expect_equal(pad8(c(0, 1, 7, 8, 9, 16)), c(0, 7, 1, 0, 7, 0))
}

test_reader_reads_every_width <- function() {
  p <- c(as.raw(7), u16_raw(65535L), u32_raw(2^32 - 1), u64_raw(2^40 + 5), str_raw("h\u00e9llo"), as.raw(1:3))
  r <- reader(p, "test")
  expect_equal(r$u8(), 7L)
  expect_equal(r$u16(), 65535L)
  expect_equal(r$u32(), 2^32 - 1)
  expect_equal(r$u64(), 2^40 + 5)
  s <- r$str()
  expect_equal(s, "h\u00e9llo")
  expect_equal(Encoding(s), "UTF-8")
  expect_equal(r$pos(), 1 + 2 + 4 + 8 + 4 + 6)
  expect_equal(r$rest(), as.raw(1:3))
}

test_reader_refuses_truncation <- function() {
  expect_fail(reader(as.raw(1:3), "JOB")$u32(), "protocol", "JOB: truncated at byte 0 \\(need 4 more, have 3\\)")
  r <- reader(c(u32_raw(10), charToRaw("short")), "JOB")
  expect_fail(r$str(), "protocol", "truncated")
  r <- reader(as.raw(1:3), "PARAMS")
  r$u8()
  expect_fail(r$skip_to8(), "protocol", "truncated")
}

test_reader_refuses_nul_and_invalid_utf8 <- function() {
  expect_fail(reader(c(u32_raw(3), as.raw(c(0x61, 0, 0x62))), "JOB")$str(), "protocol", "NUL")
  expect_fail(reader(c(u32_raw(2), as.raw(c(0xc3, 0x28))), "JOB")$str(), "protocol", "not valid UTF-8")
}

test_str_raw_escapes_invalid_utf8 <- function() {
  s <- rawToChar(as.raw(c(0x61, 0xff)))
  b <- str_raw(s)
  expect_equal(reader(b, "t")$str(), "a<ff>")
}

test_frames_round_trip <- function() {
  b <- written(function(con) {
    write_frame(con, FRAME[["HELLO"]], hello_payload())
    write_frame(con, FRAME[["END"]], u64_raw(42))
    write_frame(con, FRAME[["PARAMS"]], raw(0))
  })
  con <- rawConnection(b, "rb")
  on.exit(close(con))
  fr <- read_frame(con, 0L)
  expect_equal(fr$type, FRAME[["HELLO"]])
  check_hello(fr$payload)
  fr <- read_frame(con, 1L)
  expect_equal(fr$type, FRAME[["END"]])
  expect_equal(reader(fr$payload, "END")$u64(), 42)
  expect_equal(read_frame(con, 2L), list(type = FRAME[["PARAMS"]], payload = raw(0)))
  expect_fail(read_frame(con, 3L), "protocol", "frame 3: stream ended before the host's END \\(got 0 header bytes\\)")
}

test_read_frame_refuses_bad_headers <- function() {
  read_one <- function(bytes) {
    con <- rawConnection(bytes, "rb")
    on.exit(close(con))
    read_frame(con, 4L)
  }
  expect_fail(read_one(as.raw(c(0, 0, 0))), "protocol", "got 3 header bytes")
  expect_fail(read_one(c(u32_raw(0), as.raw(7))), "protocol", "frame 4: unknown frame type 7")
  expect_fail(read_one(c(u32_raw(10), as.raw(1), as.raw(1:4))), "protocol", "truncated payload \\(4 of 10 bytes\\)")
  with_limit("MAX_FRAME", 8, {
    expect_fail(read_one(c(u32_raw(9), as.raw(1), raw(9))), "protocol", "length 9 exceeds the limit 8")
    expect_equal(read_one(c(u32_raw(8), as.raw(1), raw(8)))$payload, raw(8))
  })
}

test_check_hello_refuses_other_protocols <- function() {
  expect_fail(check_hello(c(charToRaw("BXL2"), u16_raw(1L), u16_raw(0L))), "protocol", "without the BXL1 magic")
  expect_fail(check_hello(charToRaw("BXL1")), "protocol", "without the BXL1 magic")
  expect_fail(check_hello(c(charToRaw("BXL1"), u16_raw(2L), u16_raw(0L))), "protocol", "major version 2")
  check_hello(c(charToRaw("BXL1"), u16_raw(1L), u16_raw(9L)))
}

test_dict_round_trips_and_drops_nulls <- function() {
  d <- list(script = "x <- 1\n", "cl\u00e9" = "\u65e5\u672c", empty = "", gone = NULL)
  got <- decode_dict(encode_dict(d), "JOB")
  expect_equal(got, list(script = "x <- 1\n", "cl\u00e9" = "\u65e5\u672c", empty = ""))
  expect_equal(decode_dict(encode_dict(list()), "JOB"), list())
  expect_fail(decode_dict(u32_raw(2), "JOB"), "protocol", "JOB: truncated")
}

test_schema_round_trips <- function() {
  fields <- list(field("a", T_INT32), field("\u00e9", T_DEC, FLAG_NULLABLE + FLAG_OUTPUT, 38L, 10L),
                 field("", T_UUID, 0L))
  expect_equal(decode_schema(reader(encode_schema(fields), "SCHEMA"), "SCHEMA"), fields)
  expect_equal(decode_schema(reader(encode_schema(list()), "SCHEMA"), "SCHEMA"), vector("list", 0))
}

test_schema_refuses_unknown_types_and_bad_decimals <- function() {
  bad <- function(type, prec = 0L, scale = 0L) {
    decode_schema(reader(encode_schema(list(field("c", type, 1L, prec, scale))), "SCHEMA"), "SCHEMA")
  }
  expect_fail(bad(0L), "protocol", "field 1 \\(c\\) has unknown type 0")
  expect_fail(bad(16L), "protocol", "unknown type 16")
  expect_fail(bad(T_DEC, 0L), "protocol", "invalid decimal\\(0,0\\)")
  expect_fail(bad(T_DEC, 39L), "protocol", "invalid decimal\\(39,0\\)")
  expect_fail(bad(T_DEC, 5L, 6L), "protocol", "invalid decimal\\(5,6\\)")
}

test_write_batch_aligns_every_buffer <- function() {
  bufs <- list(raw(0), as.raw(1:3), raw(0), as.raw(1:9))
  p <- batch_payload_raw(3, bufs)
  h <- u32_vec(p[1:8])
  expect_equal(h, c(3, 4))
  tab <- matrix(u32_vec(p[9:(8 + 16 * 4)]), nrow = 4L)
  off <- tab[1, ]; len <- tab[3, ]
  expect_equal(len, c(0, 3, 0, 9))
  expect_equal(off %% 8, c(0, 0, 0, 0))
  expect_equal(off[1], 8 + 16 * 4)
  expect_equal(as.numeric(length(p)), off[4] + 16)
  expect_equal(p[(off[4] + 1):(off[4] + 9)], as.raw(1:9))
}

test_write_batch_refuses_frames_over_the_limit <- function() {
  with_limit("MAX_FRAME", 64, {
    expect_fail(batch_payload_raw(1, list(raw(0), raw(64))), "output", "over the frame limit")
  })
}

test_decode_batch_refuses_bad_buffer_tables <- function() {
  f <- list(field("x", T_INT32))
  good <- batch_payload_raw(2, list(raw(0), writeBin(1:2, raw(), size = 4L, endian = "little")))
  expect_equal(decode_batch(good, f, "B", list(bit64 = FALSE))$cols[[1]], 1:2)
  set_u32 <- function(p, at, v) { p[(at + 1):(at + 4)] <- u32_raw(v); p }
  cases <- list(
    short = list(good[1:7], "shorter than its header"),
    count = list(set_u32(good, 4, 3), "3 buffers, schema needs 2"),
    table = list(good[1:30], "buffer table runs past the payload"),
    misaligned = list(set_u32(good, 8 + 16, 44), "buffer 1 is misaligned"),
    outside = list(set_u32(good, 8 + 16 + 8, 4096), "buffer 1 is misaligned or outside"),
    inside_header = list(set_u32(set_u32(good, 8, 8), 16, 8), "buffer 0 is misaligned or outside"),
    overlap = list(set_u32(set_u32(good, 8, 40), 16, 8), "buffers overlap"),
    values = list(set_u32(good, 8 + 16 + 8, 4), "values buffer is 4 bytes, expected 8")
  )
  for (name in names(cases)) {
    tryCatch(expect_fail(decode_batch(cases[[name]][[1]], f, "B", list(bit64 = FALSE)), "protocol", cases[[name]][[2]]),
             error = function(e) stop(sprintf("%s: %s", name, conditionMessage(e)), call. = FALSE))
  }
}
