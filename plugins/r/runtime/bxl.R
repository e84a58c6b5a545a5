# bxl.R - BXL v1 (docs/bxl.md) for the R runtime: type codes, limits, typed
# errors, little-endian byte helpers, a bounds-checked payload reader, frames,
# dictionaries, schemas and the record batch's buffer table. Column values are
# decode.R's and encode.R's.
#
# Environment (set by the launcher; both optional):
#   LAUNCHPAD_BXL_BATCH_BYTES=n    output batch target (default 4 MiB)
#   LAUNCHPAD_BXL_MAX_FRAME=n      largest accepted frame (default 256 MiB)

FRAME <- c(HELLO = 0L, JOB = 1L, PARAMS = 2L, SCHEMA = 3L, BATCH = 4L, END = 5L, ERROR = 6L, QUERY = 7L)
TYPE_NAMES <- c("bool", "int8", "int16", "int32", "int64", "float32", "float64",
                "decimal", "string", "binary", "date", "time", "datetime",
                "datetimeoffset", "uuid")
# Buffers after validity, by type code.
TYPE_NBUF <- c(1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 2L, 2L, 1L, 1L, 1L, 2L, 1L)
# Fixed value width in bytes (0 = bit-packed or variable), by type code.
TYPE_WIDTH <- c(0, 1, 2, 4, 8, 4, 8, 16, 0, 0, 4, 8, 8, 8, 16)
T_BOOL <- 1L; T_INT8 <- 2L; T_INT16 <- 3L; T_INT32 <- 4L; T_INT64 <- 5L
T_F32 <- 6L; T_F64 <- 7L; T_DEC <- 8L; T_STR <- 9L; T_BIN <- 10L; T_DATE <- 11L
T_TIME <- 12L; T_DT <- 13L; T_DTO <- 14L; T_UUID <- 15L
FLAG_NULLABLE <- 1L; FLAG_OUTPUT <- 2L
US_PER_DAY <- 86400e6
# bit64's NA_integer64_ is INT64_MIN, whose bits read as the double -0.0. Built
# from bytes: a literal -0 can be merged with 0 by the byte-code compiler's
# constant pool (identical(0, -0) is TRUE).
NA_I64 <- readBin(as.raw(c(0, 0, 0, 0, 0, 0, 0, 0x80)), "double", 1L, size = 8L, endian = "little")

env_num <- function(name, default) {
  v <- suppressWarnings(as.numeric(Sys.getenv(name, "")))
  if (is.na(v) || v <= 0) default else v
}
MAX_FRAME <- env_num("LAUNCHPAD_BXL_MAX_FRAME", 256 * 1024^2)
BATCH_BYTES <- env_num("LAUNCHPAD_BXL_BATCH_BYTES", 4 * 1024^2)

# ---- errors ---------------------------------------------------------------

# fail raises a typed Launchpad error; kind is a BXL ERROR kind.
fail <- function(kind, message, column = NULL, type = NULL) {
  stop(structure(class = c("launchpad_error", "error", "condition"),
                 list(message = message, call = NULL, kind = kind,
                      column = column, type = type)))
}

# ---- byte helpers ---------------------------------------------------------

# u32 bits for values in [0, 2^32): R integers are signed and NA is INT_MIN,
# whose bits are exactly 0x80000000, so the wrap-around is lossless.
int32_bits <- function(v) {
  v <- ifelse(v >= 2^31, v - 2^32, v)
  suppressWarnings(as.integer(v))
}
u32_raw <- function(v) writeBin(int32_bits(v), raw(), size = 4L, endian = "little")
u16_raw <- function(v) writeBin(as.integer(v), raw(), size = 2L, endian = "little")
# Exact for any integer-valued double in int64 range (every double above 2^53
# is an integer, and hi/lo splits are power-of-two exact).
i64_raw <- function(v) {
  hi <- floor(v / 2^32)
  lo <- v - hi * 2^32
  hi <- ifelse(hi < 0, hi + 2^32, hi)
  ints <- int32_bits(rbind(lo, hi))
  writeBin(ints, raw(), size = 4L, endian = "little")
}
u64_raw <- i64_raw
pad8 <- function(n) (8 - n %% 8) %% 8
str_raw <- function(s) {
  b <- charToRaw(utf8_safe(s))
  c(u32_raw(length(b)), b)
}
utf8_safe <- function(s) {
  s <- enc2utf8(as.character(s))
  if (!validUTF8(s)) s <- iconv(s, "UTF-8", "UTF-8", sub = "?")
  s
}

# Unsigned 32-bit values from 4-byte little-endian groups of a raw vector.
u32_vec <- function(b) {
  v <- as.double(readBin(b, "integer", length(b) %/% 4L, size = 4L, endian = "little"))
  v[is.na(v)] <- 2^31
  ifelse(v < 0, v + 2^32, v)
}

slice <- function(p, off, len) {
  if (len == 0) raw(0) else p[(off + 1):(off + len)]
}

# reader walks a payload with bounds checks; what names the frame in errors.
reader <- function(p, what) {
  pos <- 0
  need <- function(k) {
    if (pos + k > length(p)) {
      fail("protocol", sprintf("%s: truncated at byte %.0f (need %.0f more, have %.0f)",
                               what, pos, k, length(p) - pos))
    }
  }
  take <- function(k) {
    need(k)
    b <- slice(p, pos, k)
    pos <<- pos + k
    b
  }
  list(
    u8 = function() as.integer(take(1)),
    u16 = function() readBin(take(2), "integer", 1L, size = 2L, signed = FALSE, endian = "little"),
    u32 = function() u32_vec(take(4)),
    u64 = function() { v <- u32_vec(take(8)); v[1] + v[2] * 2^32 },
    str = function() {
      n <- u32_vec(take(4))
      b <- take(n)
      if (any(b == as.raw(0))) fail("protocol", sprintf("%s: string holds a NUL byte", what))
      s <- rawToChar(b)
      Encoding(s) <- "UTF-8"
      if (!validUTF8(s)) fail("protocol", sprintf("%s: string is not valid UTF-8", what))
      s
    },
    bytes = take,
    skip_to8 = function() { k <- pad8(pos); need(k); pos <<- pos + k },
    pos = function() pos,
    rest = function() if (pos < length(p)) p[(pos + 1):length(p)] else raw(0)
  )
}

# ---- framing --------------------------------------------------------------

read_frame <- function(con, index) {
  hdr <- readBin(con, "raw", 5L)
  if (length(hdr) < 5L) {
    fail("protocol", sprintf("frame %d: stream ended before the host's END (got %d header bytes)",
                             index, length(hdr)))
  }
  len <- u32_vec(hdr[1:4])
  type <- as.integer(hdr[5])
  if (len > MAX_FRAME) {
    fail("protocol", sprintf("frame %d: length %.0f exceeds the limit %.0f", index, len, MAX_FRAME))
  }
  # QUERY goes runtime -> host only: from the host it is as unknown as any.
  if (!(type %in% FRAME) || type == FRAME[["QUERY"]]) fail("protocol", sprintf("frame %d: unknown frame type %d", index, type))
  payload <- if (len > 0) readBin(con, "raw", len) else raw(0)
  if (length(payload) < len) {
    fail("protocol", sprintf("frame %d: truncated payload (%d of %.0f bytes)", index, length(payload), len))
  }
  list(type = type, payload = payload)
}

write_frame <- function(con, type, payload) {
  writeBin(c(u32_raw(length(payload)), as.raw(type)), con)
  if (length(payload) > 0) writeBin(payload, con)
}

# BXL 1.1: QUERY (query.R) and the host's answers.
hello_payload <- function() c(charToRaw("BXL1"), u16_raw(1L), u16_raw(1L))

check_hello <- function(p) {
  if (length(p) < 8L || !identical(rawToChar(p[1:4]), "BXL1")) {
    fail("protocol", "frame 0: HELLO without the BXL1 magic")
  }
  major <- readBin(p[5:6], "integer", 1L, size = 2L, signed = FALSE, endian = "little")
  if (major != 1L) fail("protocol", sprintf("frame 0: unsupported BXL major version %d", major))
}

decode_dict <- function(p, what) {
  r <- reader(p, what)
  n <- r$u32()
  out <- list()
  for (i in seq_len(n)) {
    k <- r$str()
    out[[k]] <- r$str()
  }
  out
}

encode_dict <- function(d) {
  d <- d[!vapply(d, is.null, NA)]
  parts <- list(u32_raw(length(d)))
  for (k in names(d)) parts <- c(parts, list(str_raw(k), str_raw(d[[k]])))
  do.call(c, parts)
}

# ---- schema ---------------------------------------------------------------

decode_schema <- function(r, what) {
  n <- r$u32()
  fields <- vector("list", n)
  for (i in seq_len(n)) {
    name <- r$str()
    type <- r$u8(); flags <- r$u8(); prec <- r$u8(); scale <- r$u8()
    if (type < 1L || type > 15L) fail("protocol", sprintf("%s: field %d (%s) has unknown type %d", what, i, name, type))
    if (type == T_DEC && (prec < 1L || prec > 38L || scale > prec)) {
      fail("protocol", sprintf("%s: field %s has invalid decimal(%d,%d)", what, name, prec, scale))
    }
    fields[[i]] <- list(name = name, type = type, flags = flags, prec = prec, scale = scale)
  }
  fields
}

encode_schema <- function(fields) {
  parts <- list(u32_raw(length(fields)))
  for (f in fields) {
    parts <- c(parts, list(str_raw(f$name), as.raw(c(f$type, f$flags, f$prec, f$scale))))
  }
  do.call(c, parts)
}

# ---- decoding batches -------------------------------------------------------

# decode_batch validates a record batch against the schema and returns the row
# count and one plain (class-less) R vector per column; finish_column adds the
# classes once all batches are concatenated.
decode_batch <- function(p, fields, what, opts) {
  if (length(p) < 8L) fail("protocol", sprintf("%s: record batch shorter than its header", what))
  h <- u32_vec(p[1:8])
  n <- h[1]; nb <- h[2]
  want <- sum(1L + TYPE_NBUF[vapply(fields, `[[`, 0L, "type")])
  if (nb != want) fail("protocol", sprintf("%s: %.0f buffers, schema needs %d", what, nb, want))
  hdr_end <- 8 + 16 * nb
  if (hdr_end > length(p)) fail("protocol", sprintf("%s: buffer table runs past the payload", what))
  tab <- if (nb > 0) matrix(u32_vec(p[9:hdr_end]), nrow = 4L) else matrix(0, 4L, 0L)
  off <- tab[1, ] + tab[2, ] * 2^32
  len <- tab[3, ] + tab[4, ] * 2^32
  data_start <- hdr_end + pad8(hdr_end)
  bad <- which(off %% 8 != 0 | (len > 0 & off < data_start) | off + len > length(p))
  if (length(bad)) fail("protocol", sprintf("%s: buffer %d is misaligned or outside the payload", what, bad[1] - 1L))
  nz <- which(len > 0)
  if (length(nz) > 1L) {
    o <- nz[order(off[nz])]
    if (any(off[o][-1] < (off + len)[o][-length(o)])) fail("protocol", sprintf("%s: buffers overlap", what))
  }
  cols <- vector("list", length(fields))
  b <- 0L
  for (j in seq_along(fields)) {
    f <- fields[[j]]
    k <- 1L + TYPE_NBUF[f$type]
    bufs <- lapply(b + seq_len(k), function(i) slice(p, off[i], len[i]))
    b <- b + k
    cols[j] <- list(decode_column(bufs, n, f, sprintf("%s column %d (%s)", what, j, f$name), opts))
  }
  list(n = n, cols = cols)
}

# write_batch streams one record batch frame without building it in one vector.
write_batch <- function(con, n, bufs) {
  nb <- length(bufs)
  hdr_len <- 8 + 16 * nb
  pos <- hdr_len + pad8(hdr_len)
  offs <- numeric(nb); lens <- as.numeric(lengths(bufs))
  for (i in seq_len(nb)) { offs[i] <- pos; pos <- pos + lens[i] + pad8(lens[i]) }
  total <- pos
  if (total > MAX_FRAME) fail("output", sprintf("a single row needs %.0f bytes, over the frame limit", total))
  hdr <- c(u32_raw(c(n, nb)), if (nb) u64_raw(as.vector(rbind(offs, lens))), raw(pad8(hdr_len)))
  writeBin(c(u32_raw(total), as.raw(FRAME[["BATCH"]])), con)
  writeBin(hdr, con)
  for (b in bufs) {
    if (length(b)) writeBin(b, con)
    k <- pad8(length(b))
    if (k) writeBin(raw(k), con)
  }
}

batch_payload_raw <- function(n, bufs) {
  con <- rawConnection(raw(0), "wb")
  on.exit(close(con))
  write_batch(con, n, bufs)
  rawConnectionValue(con)[-(1:5)]
}
