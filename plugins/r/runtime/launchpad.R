# launchpad.R - Launchpad's R runtime (the runtime side of RLauncher).
#
# Run as `Rscript --vanilla launchpad.R` with the job's private folder as the
# working directory. It speaks BXL v1 (docs/bxl.md): it reads the host's stream
# from fd 3 and writes its own stream to fd 4. Both must be pipes: R cannot open
# a unix socket through /dev/fd/N (ENXIO), so the Go launcher bridges the
# host's socket and these two pipes.
#
# Base R only. bit64 is used when installed (bigint -> integer64) and loaded only
# when an int64 column or param arrives.
#
# Environment (set by the launcher; all optional):
#   LAUNCHPAD_R_BIT64=0            behave as if bit64 were not installed
#   LAUNCHPAD_R_PACKAGES=a,b       packages to attach before the script (for use
#                                  with R_DEFAULT_PACKAGES=NULL; "" = none)
#   LAUNCHPAD_BXL_BATCH_BYTES=n    output batch target (default 4 MiB)
#   LAUNCHPAD_BXL_MAX_FRAME=n      largest accepted frame (default 256 MiB)
#
# Everything lives inside local() so the user's global environment holds
# nothing of ours.
#
# Bootstrap: Rscript's file reader re-parses a long top-level expression line
# by line (about 0.45 s CPU for this file), while parse() takes milliseconds.
# So this first expression parses the file and runs the second one, which
# ends in quit(): the reader never reaches it.
local({
  self <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1L])
  eval(parse(self, keep.source = FALSE)[[2L]], globalenv())
})

local({

FRAME <- c(HELLO = 0L, JOB = 1L, PARAMS = 2L, SCHEMA = 3L, BATCH = 4L, END = 5L, ERROR = 6L)
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
  if (!(type %in% FRAME)) fail("protocol", sprintf("frame %d: unknown frame type %d", index, type))
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

hello_payload <- function() c(charToRaw("BXL1"), u16_raw(1L), u16_raw(0L))

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

bits_to_logical <- function(buf, n) as.logical(rawToBits(buf)[seq_len(n)])

expect_len <- function(buf, want, where, which) {
  if (length(buf) != want) {
    fail("protocol", sprintf("%s: %s buffer is %d bytes, expected %.0f", where, which, length(buf), want))
  }
}

# Splits little-endian int64 values into an unsigned low half and a signed high
# half, both doubles, so callers can range-check without bit64.
i64_parts <- function(buf, n) {
  v <- matrix(as.double(readBin(buf, "integer", 2L * n, size = 4L, endian = "little")), nrow = 2L)
  v[is.na(v)] <- -2^31
  lo <- v[1, ]; hi <- v[2, ]
  list(lo = ifelse(lo < 0, lo + 2^32, lo), hi = hi)
}
i64_double <- function(pt) pt$hi * 2^32 + pt$lo

decode_column <- function(bufs, n, f, where, opts) {
  vb <- bufs[[1]]
  valid <- NULL
  if (length(vb)) {
    expect_len(vb, ceiling(n / 8), where, "validity")
    valid <- bits_to_logical(vb, n)
    if (all(valid)) valid <- NULL
  }
  null <- if (is.null(valid)) rep(FALSE, n) else !valid
  t <- f$type
  w <- TYPE_WIDTH[t]
  if (w > 0) expect_len(bufs[[2]], n * w, where, "values")
  col <- f$name
  x <- switch(TYPE_NAMES[t],
    bool = {
      expect_len(bufs[[2]], ceiling(n / 8), where, "values")
      bits_to_logical(bufs[[2]], n)
    },
    int8 = readBin(bufs[[2]], "integer", n, size = 1L, signed = TRUE),
    int16 = readBin(bufs[[2]], "integer", n, size = 2L, signed = TRUE, endian = "little"),
    int32 = {
      x <- readBin(bufs[[2]], "integer", n, size = 4L, endian = "little")
      if (any(is.na(x) & !null)) {
        fail("input", sprintf("column %s holds -2147483648, which is NA in an R integer; CAST it to bigint in the query", col), col)
      }
      x
    },
    int64 = {
      if (opts$bit64) {
        x <- readBin(bufs[[2]], "double", n, size = 8L, endian = "little")
        # integer64 keeps the int64 bits in a double; its NA is INT64_MIN,
        # whose bits read as -0.0.
        if (any(int64_na(x) & !null)) {
          fail("input", sprintf("column %s holds -9223372036854775808, which is NA in bit64::integer64", col), col)
        }
        x[null] <- NA_I64
        x
      } else {
        pt <- i64_parts(bufs[[2]], n)
        exact <- (pt$hi >= -2^21 & pt$hi < 2^21) | (pt$hi == 2^21 & pt$lo == 0)
        if (any(!exact & !null)) {
          fail("input", sprintf(
            "column %s holds bigint values beyond 2^53 that a double would round; install r-cran-bit64 or CAST the column in the query",
            col), col)
        }
        i64_double(pt)
      }
    },
    float32 = readBin(bufs[[2]], "double", n, size = 4L, endian = "little"),
    float64 = readBin(bufs[[2]], "double", n, size = 8L, endian = "little"),
    decimal = decode_decimal(bufs[[2]], n, null, f, col),
    string = decode_strings(bufs[[2]], bufs[[3]], n, where, TRUE, col),
    binary = decode_strings(bufs[[2]], bufs[[3]], n, where, FALSE, col),
    date = {
      x <- readBin(bufs[[2]], "integer", n, size = 4L, endian = "little")
      if (any(is.na(x) & !null)) fail("input", sprintf("column %s holds a date out of R's range", col), col)
      as.double(x)
    },
    time = {
      x <- i64_double(i64_parts(bufs[[2]], n))
      if (any((x < 0 | x >= US_PER_DAY) & !null)) fail("protocol", sprintf("%s: time outside 0..24h", where))
      x / 1e6
    },
    datetime = i64_double(i64_parts(bufs[[2]], n)) / 1e6,
    datetimeoffset = {
      expect_len(bufs[[3]], n * 2, where, "offsets")
      tz <- readBin(bufs[[3]], "integer", n, size = 2L, signed = TRUE, endian = "little")
      if (any(abs(tz) > 840 & !null)) fail("protocol", sprintf("%s: zone offset outside -840..840", where))
      # The zone offset is dropped: POSIXct holds the UTC instant only.
      i64_double(i64_parts(bufs[[2]], n)) / 1e6
    },
    uuid = decode_uuid(bufs[[2]], n)
  )
  if (any(null)) {
    if (is.list(x)) x[null] <- list(NULL) else x[null] <- if (t == T_INT64 && opts$bit64) NA_I64 else NA
  }
  x
}

decode_strings <- function(ob, data, n, where, text, col) {
  if (n == 0 && length(ob) == 0) return(if (text) character(0) else list())
  expect_len(ob, (n + 1) * 4, where, "offsets")
  o <- readBin(ob, "integer", n + 1, size = 4L, endian = "little")
  if (anyNA(o) || o[1] != 0L || any(diff(o) < 0L) || o[n + 1] != length(data)) {
    fail("protocol", sprintf("%s: offsets are not 0..%d and non-decreasing", where, length(data)))
  }
  lens <- diff(o)
  if (!text) {
    if (n == 0) return(list())
    return(unname(split(data, factor(rep.int(seq_len(n), lens), levels = seq_len(n)))))
  }
  if (any(data == as.raw(0))) {
    fail("input", sprintf("column %s holds a NUL character, which R strings cannot hold", col), col)
  }
  x <- readChar(data, lens, useBytes = TRUE)
  # Marking costs a pass per string, so skip it when every byte is ASCII.
  if (any(data > as.raw(0x7f))) {
    Encoding(x) <- "UTF-8"
    if (!all(validUTF8(x))) fail("protocol", sprintf("%s: string data is not valid UTF-8", where))
  }
  x
}

decode_uuid <- function(buf, n) {
  if (n == 0) return(character(0))
  h <- matrix(as.character(buf), nrow = 16L)
  parts <- lapply(1:16, function(k) h[k, ])
  dash <- rep("-", n)
  do.call(paste0, c(parts[1:4], list(dash), parts[5:6], list(dash), parts[7:8],
                    list(dash), parts[9:10], list(dash), parts[11:16]))
}

# decimal -> double only when every value round-trips: at most 15 significant
# digits, so the double printed with 15 digits is the exact decimal. Anything
# longer fails rather than round silently.
decode_decimal <- function(buf, n, null, f, col) {
  if (n == 0) return(double(0))
  l <- matrix(as.double(readBin(buf, "integer", 8L * n, size = 2L, signed = FALSE, endian = "little")), nrow = 8L)
  neg <- l[8, ] >= 32768
  if (any(neg)) {
    ln <- 65535 - l[, neg, drop = FALSE]
    carry <- rep(1, sum(neg))
    for (k in 1:8) {
      s <- ln[k, ] + carry
      ln[k, ] <- s %% 65536
      carry <- s %/% 65536
    }
    l[, neg] <- ln
  }
  small <- colSums(l[5:8, , drop = FALSE]) == 0 & l[4, ] < 32
  v <- l[1, ] + l[2, ] * 65536 + l[3, ] * 2^32 + l[4, ] * 2^48
  if (all(small | null) && all(v[!null] < 1e15)) {
    v <- ifelse(neg, -v, v)
    return(if (f$scale <= 22) v / 10^f$scale else as.numeric(sprintf("%.0fe-%d", v, f$scale)))
  }
  s <- decimal_digits(l)
  sig <- nchar(sub("0+$", "", sub("^0+", "", s)))
  if (any(sig > 15 & !null)) {
    fail("input", sprintf(
      "column %s (decimal(%d,%d)) holds values with more than 15 significant digits that a double would round; CAST it to float or varchar in the query",
      col, f$prec, f$scale), col)
  }
  as.numeric(sprintf("%s%se-%d", ifelse(neg, "-", ""), s, f$scale))
}

# decimal_digits turns 8 x n base-2^16 limbs (least significant first) into
# decimal digit strings, by long division by 10^9 across all rows at once.
decimal_digits <- function(l) {
  chunks <- list()
  for (round in 1:5) {
    rem <- rep(0, ncol(l))
    for (k in 8:1) {
      cur <- rem * 65536 + l[k, ]
      l[k, ] <- cur %/% 1e9
      rem <- cur %% 1e9
    }
    chunks <- c(list(sprintf("%09.0f", rem)), chunks)
  }
  s <- sub("^0+", "", do.call(paste0, chunks))
  ifelse(s == "", "0", s)
}

finish_column <- function(x, f, opts) {
  switch(TYPE_NAMES[f$type],
    int64 = if (opts$bit64) structure(x, class = "integer64") else x,
    date = structure(x, class = "Date"),
    time = structure(x, units = "secs", class = "difftime"),
    datetime = , datetimeoffset = structure(x, class = c("POSIXct", "POSIXt"), tzone = "UTC"),
    string = { if (length(x) == 0) character(0) else x },
    x)
}

as_data_frame <- function(cols, names, n) {
  structure(cols, names = names, class = "data.frame", row.names = .set_row_names(as.integer(n)))
}

# ---- encoding -------------------------------------------------------------

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

# int64_na finds NA_integer64_ (-0.0 bits); NaN patterns are ordinary values.
int64_na <- function(x) {
  r <- x == 0 & 1 / x < 0
  r[is.na(r)] <- FALSE
  r
}

# prep_column turns an R vector into the plain values the encoder writes, a
# NULL mask, and per-row variable byte counts (for cutting batches by size).
prep_column <- function(x, t, name) {
  bad <- function(msg) fail("output", sprintf("column %s: %s", name, msg), name)
  var <- NULL
  na_in <- if (is.list(x) && !inherits(x, "POSIXlt")) NULL else is.na(x)
  if (t == T_INT64 && inherits(x, "integer64")) {
    x <- unclass(x); attributes(x) <- NULL
    null <- int64_na(x)
    x[null] <- 0
    return(list(type = t, null = null, x = x, var = NULL, bits = TRUE))
  }
  switch(TYPE_NAMES[t],
    bool = { x <- suppressWarnings(as.logical(x)); null <- is.na(x); x[null] <- FALSE },
    int8 = , int16 = , int32 = {
      if (!is.integer(x)) {
        x <- suppressWarnings(as.double(x))
        if (any(!is.na(x) & x != round(x))) bad("value is not a whole number")
      }
      lim <- c(2^7, 2^15, 2^31)[t - 1L]
      if (any(!is.na(x) & (x < -lim | x >= lim))) bad(sprintf("value outside %s", TYPE_NAMES[t]))
      x <- suppressWarnings(as.integer(x)); null <- is.na(x); x[null] <- 0L
    },
    int64 = {
      x <- suppressWarnings(as.double(x))
      if (any(!is.na(x) & x != round(x))) bad("value is not a whole number")
      if (any(!is.na(x) & abs(x) >= 2^63)) bad("value outside int64")
      null <- is.na(x); x[null] <- 0
    },
    float32 = , float64 = {
      x <- suppressWarnings(as.double(x)); attributes(x) <- NULL
      # NaN is a value, NA is NULL.
      null <- is.na(x) & !is.nan(x); x[null] <- 0
    },
    decimal = bad("decimal is written for OUTPUT params only"),
    string = {
      x <- if (is.factor(x)) as.character(x) else if (is.character(x)) x else as.character(x)
      null <- is.na(x); x[null] <- ""
      x <- enc2utf8(x)
      if (!all(validUTF8(x))) bad("string is not valid UTF-8")
      var <- nchar(x, type = "bytes")
    },
    binary = {
      if (is.raw(x)) x <- list(x)
      ok <- vapply(x, function(e) is.null(e) || is.raw(e), NA)
      if (!all(ok)) bad("a binary (list) column must hold raw vectors or NULL")
      null <- vapply(x, is.null, NA)
      var <- lengths(x)
    },
    date = {
      if (!inherits(x, "Date")) x <- as.Date(x, tz = "UTC")
      x <- floor(unclass(x)); attributes(x) <- NULL
      null <- is.na(x)
      if (any(!null & abs(x) >= 2^31)) bad("date out of range")
      x <- as.integer(ifelse(null, 0, x))
    },
    time = {
      if (inherits(x, "difftime")) x <- as.double(x, units = "secs")
      else if (is.character(x)) x <- time_from_text(x, bad)
      else x <- as.double(x)
      x <- round(x * 1e6); attributes(x) <- NULL
      null <- is.na(x)
      if (any(!null & (x < 0 | x >= US_PER_DAY))) bad("time outside 00:00:00..24:00:00 (use as.numeric() for durations)")
      x[null] <- 0
    },
    datetime = , datetimeoffset = {
      # POSIXct is an instant; its UTC wall clock is that instant's epoch offset.
      x <- if (inherits(x, "Date")) unclass(x) * 86400
           else if (is.character(x)) unclass(as.POSIXct(x, tz = "UTC"))
           else if (inherits(x, "POSIXt")) unclass(as.POSIXct(x))
           else as.double(x)
      x <- round(as.double(x) * 1e6); attributes(x) <- NULL
      null <- is.na(x)
      if (any(!null & abs(x) >= 2^63)) bad("datetime out of range")
      x[null] <- 0
    },
    uuid = {
      x <- tolower(as.character(x)); null <- is.na(x)
      h <- gsub("-", "", x[!null], fixed = TRUE)
      if (any(!grepl("^[0-9a-f]{32}$", h))) bad("not a UUID")
      x <- h
    }
  )
  if (!is.null(na_in) && any(null & !na_in)) bad(sprintf("a value cannot be converted to %s", TYPE_NAMES[t]))
  list(type = t, null = null, x = x, var = var, bits = FALSE)
}

time_from_text <- function(x, bad) {
  m <- regmatches(x, regexec("^([0-9]{1,2}):([0-9]{2}):([0-9]{2}(\\.[0-9]+)?)$", x))
  ok <- lengths(m) > 0 | is.na(x)
  if (!all(ok)) bad("time text must read HH:MM:SS[.ffffff]")
  vapply(m, function(p) if (length(p)) as.numeric(p[2]) * 3600 + as.numeric(p[3]) * 60 + as.numeric(p[4]) else NA_real_, 0)
}

# encode_decimal converts numbers or decimal text to 16-byte two's-complement
# unscaled values for the declared decimal(p,s).
encode_decimal <- function(v, n, prec, scale, name) {
  null <- is.na(v)
  s <- rep("0", n)
  if (is.numeric(v)) {
    u <- round(as.double(v) * 10^scale)
    if (any(!null & abs(u) >= 2^53)) fail("output", sprintf("param %s does not fit decimal(%d,%d) exactly", name, prec, scale), name)
    s[!null] <- sprintf("%.0f", u[!null])
  } else {
    v <- as.character(v)
    ok <- grepl("^-?[0-9]+(\\.[0-9]*)?$", v) | null
    if (!all(ok)) fail("output", sprintf("param %s is not a decimal number", name), name)
    for (i in which(!null)) {
      p <- strsplit(v[i], ".", fixed = TRUE)[[1]]
      frac <- if (length(p) > 1) p[2] else ""
      if (nchar(frac) > scale) fail("output", sprintf("param %s has more than %d decimals", name, scale), name)
      s[i] <- paste0(p[1], frac, strrep("0", scale - nchar(frac)))
    }
  }
  neg <- startsWith(s, "-")
  digits <- sub("^-?0*", "", s)
  if (any(nchar(digits) > prec)) fail("output", sprintf("param %s does not fit decimal(%d,%d)", name, prec, scale), name)
  l <- matrix(0, 8L, n)
  for (pos in seq_len(max(0L, nchar(digits)))) {
    d <- suppressWarnings(as.numeric(substr(digits, pos, pos)))
    has <- !is.na(d)
    carry <- ifelse(has, d, 0)
    for (k in 1:8) {
      cur <- ifelse(has, l[k, ] * 10, l[k, ]) + carry
      l[k, ] <- cur %% 65536
      carry <- cur %/% 65536
    }
  }
  if (any(neg)) {
    ln <- 65535 - l[, neg, drop = FALSE]
    carry <- rep(1, sum(neg))
    for (k in 1:8) {
      s2 <- ln[k, ] + carry
      ln[k, ] <- s2 %% 65536
      carry <- s2 %/% 65536
    }
    l[, neg] <- ln
  }
  writeBin(as.integer(l), raw(), size = 2L, endian = "little")
}

validity_raw <- function(null) {
  if (!any(null)) return(raw(0))
  v <- !null
  packBits(c(v, logical(pad8(length(v)))), "raw")
}

# enc_slice returns the buffers of one column for rows idx.
enc_slice <- function(pc, idx, f) {
  n <- length(idx)
  null <- pc$null[idx]
  valid <- validity_raw(null)
  t <- pc$type
  x <- if (t == T_DEC) NULL else pc$x[idx]
  vals <- switch(TYPE_NAMES[t],
    bool = list(packBits(c(x, logical(pad8(n))), "raw")),
    int8 = list(writeBin(x, raw(), size = 1L)),
    int16 = list(writeBin(x, raw(), size = 2L, endian = "little")),
    int32 = , date = list(writeBin(x, raw(), size = 4L, endian = "little")),
    int64 = list(if (pc$bits) writeBin(x, raw(), size = 8L, endian = "little") else i64_raw(x)),
    float32 = list(writeBin(x, raw(), size = 4L, endian = "little")),
    float64 = list(writeBin(x, raw(), size = 8L, endian = "little")),
    decimal = list(encode_decimal(pc$x$x[idx], n, f$prec, f$scale, f$name)),
    string = {
      nb <- pc$var[idx]
      list(u32_raw(c(0, cumsum(as.double(nb)))), charToRaw(paste(x, collapse = "")))
    },
    binary = {
      d <- unlist(x, use.names = FALSE)
      list(u32_raw(c(0, cumsum(as.double(pc$var[idx])))), if (is.null(d)) raw(0) else d)
    },
    time = , datetime = list(i64_raw(x)),
    datetimeoffset = list(i64_raw(x), writeBin(integer(n), raw(), size = 2L)),
    uuid = {
      h <- rep(strrep("0", 32), n)
      h[!null] <- x
      list(as.raw(strtoi(substring(paste(h, collapse = ""), seq(1, 32 * n, 2), seq(2, 32 * n, 2)), 16L)))
    }
  )
  c(list(valid), vals)
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

row_fixed_bytes <- function(t) TYPE_WIDTH[t] + if (t %in% c(T_STR, T_BIN)) 4 else if (t == T_DTO) 2 else if (t == T_BOOL) 0.125 else 0

write_data_frame <- function(con, df) {
  n <- nrow(df)
  names <- names(df)
  if (is.null(names)) names <- rep("", length(df))
  names[is.na(names)] <- ""
  fields <- vector("list", length(df))
  prep <- vector("list", length(df))
  rowb <- rep(0, n)
  for (j in seq_along(df)) {
    x <- df[[j]]
    if (length(x) != n) fail("output", sprintf("column %s has %d values for %d rows", names[j], length(x), n), names[j])
    t <- infer_type(x, names[j])
    fields[[j]] <- list(name = names[j], type = t, flags = FLAG_NULLABLE, prec = 0L, scale = 0L)
    prep[[j]] <- prep_column(x, t, names[j])
    rowb <- rowb + row_fixed_bytes(t) + 0.125 + if (is.null(prep[[j]]$var)) 0 else prep[[j]]$var
  }
  write_frame(con, FRAME[["SCHEMA"]], encode_schema(fields))
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

# ---- params ---------------------------------------------------------------

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

# ---- running the script ----------------------------------------------------

script_frames <- function(calls, srcfile) {
  out <- list()
  for (cl in calls) {
    sr <- attr(cl, "srcref")
    if (!is.null(sr) && identical(attr(sr, "srcfile"), srcfile)) {
      out[[length(out) + 1L]] <- list(line = sr[1], call = paste(deparse(cl, nlines = 1L, width.cutoff = 80L)[1]))
    }
  }
  out
}

# user_call hides our own eval() of a top-level expression, which says
# nothing about the user's script.
user_call <- function(cl) if (identical(cl, quote(eval(exprs[[i]], env)))) NULL else cl

run_script <- function(exprs, lines, srcfile, env) {
  calls <- NULL
  on_error <- function(e) calls <<- sys.calls()
  on_warning <- function(w) {
    warn <- getOption("warn", 0)
    if (warn >= 2) return(invisible())
    if (warn >= 0) {
      cl <- user_call(conditionCall(w))
      msg <- if (is.null(cl)) sprintf("Warning: %s\n", conditionMessage(w))
             else sprintf("Warning in %s : %s\n", deparse(cl, nlines = 1L)[1], conditionMessage(w))
      cat(msg, file = stderr())
    }
    if (!is.null(findRestart("muffleWarning"))) invokeRestart("muffleWarning")
  }
  srcrefs <- attr(exprs, "srcref")
  for (i in seq_along(exprs)) {
    calls <- NULL
    res <- tryCatch(
      withCallingHandlers({
        r <- withVisible(eval(exprs[[i]], env))
        if (r$visible) print(r$value)
        NULL
      }, error = on_error, warning = on_warning),
      error = function(e) e)
    if (inherits(res, "error")) {
      top <- srcrefs[[i]][1]
      frames <- script_frames(calls, srcfile)
      tb <- c(sprintf("<script>#%d: %s", top, trimws(lines[top])),
              vapply(frames, function(fr) sprintf("<script>#%d: %s", fr$line, fr$call), ""))
      line <- if (length(frames)) frames[[length(frames)]]$line else top
      cl <- user_call(conditionCall(res))
      msg <- conditionMessage(res)
      return(list(kind = "script", type = class(res)[1], message = msg,
                  traceback = paste(c(if (!is.null(cl)) sprintf("Error in %s", deparse(cl, nlines = 1L)[1]),
                                      tb), collapse = "\n"),
                  line = as.character(line)))
    }
  }
  NULL
}

attach_packages <- function() {
  spec <- Sys.getenv("LAUNCHPAD_R_PACKAGES", unset = NA)
  if (is.na(spec)) return(invisible())
  pk <- trimws(strsplit(spec, ",", fixed = TRUE)[[1]])
  for (p in rev(pk[nzchar(pk)])) {
    if (!(paste0("package:", p) %in% search())) library(p, character.only = TRUE)
  }
}

# ---- main -----------------------------------------------------------------

flush_std <- function() {
  try(flush(stdout()), silent = TRUE)
  try(flush(stderr()), silent = TRUE)
}

# state$out is the open output connection once results are being written, so
# an ERROR follows whatever frames are already buffered on it.
state <- new.env()

send_error <- function(e) {
  flush_std()
  d <- list(kind = if (is.null(e$kind)) "internal" else e$kind,
            type = if (!is.null(e$type)) e$type else class(e)[1],
            message = conditionMessage(e),
            traceback = e$traceback, line = e$line, column = e$column)
  ok <- tryCatch({
    con <- if (!is.null(state$out)) state$out else file("/dev/fd/4", "wb", raw = TRUE)
    write_frame(con, FRAME[["ERROR"]], encode_dict(d))
    close(con)
    TRUE
  }, error = function(e2) FALSE)
  if (!ok) cat(sprintf("launchpad: cannot send ERROR (%s): %s\n", d$kind, d$message), file = stderr())
  ok
}

check_fds <- function() {
  for (fd in 3:4) {
    l <- Sys.readlink(sprintf("/proc/self/fd/%d", fd))
    # Refuse anything else: opening /dev/fd/4 "wb" on a regular file would
    # truncate it.
    if (!startsWith(l, "pipe:")) {
      cat(sprintf("launchpad: fd %d must be a pipe (is %s)\n", fd, if (nzchar(l)) l else "closed"), file = stderr())
      quit(save = "no", status = 2L, runLast = FALSE)
    }
  }
}

# jit switches R's byte-code JIT: compiling this file's functions on first
# call costs more CPU than interpreting them once, while the user's script
# keeps the JIT level it was started with.
jit <- function(level) {
  if (is.na(level)) return(NA_integer_)
  compiler::enableJIT(level)
}

main <- function() {
  user_jit <- jit(0L)
  check_fds()
  out <- file("/dev/fd/4", "wb", raw = TRUE)
  write_frame(out, FRAME[["HELLO"]], hello_payload())
  # Reopened after the script, so closeAllConnections() in a script is harmless.
  close(out)

  bit64_ok <- Sys.getenv("LAUNCHPAD_R_BIT64", "1") != "0" &&
    length(find.package("bit64", quiet = TRUE)) > 0
  opts <- list(bit64 = bit64_ok)

  input <- file("/dev/fd/3", "rb", raw = TRUE)
  frame <- 0L
  next_frame <- function(want) {
    fr <- read_frame(input, frame)
    if (fr$type == FRAME[["ERROR"]]) {
      d <- tryCatch(decode_dict(fr$payload, "ERROR"), error = function(e) list())
      cat(sprintf("launchpad: host aborted the job: %s\n", paste(d$message, collapse = "")), file = stderr())
      quit(save = "no", status = 3L, runLast = FALSE)
    }
    if (!(fr$type %in% FRAME[want])) {
      fail("protocol", sprintf("frame %d: got %s, want %s", frame, names(FRAME)[fr$type + 1L], paste(want, collapse = " or ")))
    }
    frame <<- frame + 1L
    fr
  }
  check_hello(next_frame("HELLO")$payload)
  job <- decode_dict(next_frame("JOB")$payload, "JOB")
  script <- if (is.null(job$script)) "" else job$script
  input_name <- if (is.null(job$input_name) || !nzchar(job$input_name)) "InputDataSet" else job$input_name
  output_name <- if (is.null(job$output_name) || !nzchar(job$output_name)) "OutputDataSet" else job$output_name

  pfr <- next_frame("PARAMS")
  sfr <- next_frame("SCHEMA")
  fields <- decode_schema(reader(sfr$payload, "SCHEMA"), "SCHEMA")
  has_int64 <- any(vapply(fields, `[[`, 0L, "type") == T_INT64)
  params_raw <- pfr$payload
  if (opts$bit64 && (has_int64 || length(params_raw) > 0)) {
    # Load bit64 only when needed: it pulls in methods (~100 ms).
    pneed <- has_int64 || any(vapply(params_fields(params_raw), `[[`, 0L, "type") == T_INT64)
    if (pneed) {
      okns <- tryCatch({ loadNamespace("bit64"); TRUE }, error = function(e) {
        cat(sprintf("launchpad: bit64 is installed but fails to load (%s); bigint arrives as double\n",
                    conditionMessage(e)), file = stderr())
        FALSE
      })
      opts$bit64 <- okns
    }
  }
  params <- decode_params(params_raw, opts)

  parts <- vector("list", length(fields))
  for (j in seq_along(parts)) parts[[j]] <- list()
  total <- 0
  repeat {
    fr <- next_frame(c("BATCH", "END"))
    if (fr$type == FRAME[["END"]]) {
      r <- reader(fr$payload, "END")
      sent <- r$u64()
      if (sent != total) fail("protocol", sprintf("END says %.0f rows, batches held %.0f", sent, total))
      break
    }
    b <- decode_batch(fr$payload, fields, sprintf("frame %d BATCH", frame - 1L), opts)
    total <- total + b$n
    for (j in seq_along(fields)) parts[[j]][[length(parts[[j]]) + 1L]] <- b$cols[[j]]
  }
  close(input)
  cols <- lapply(seq_along(fields), function(j) {
    v <- if (length(parts[[j]])) do.call(c, parts[[j]]) else NULL
    if (is.null(v)) v <- switch(TYPE_NAMES[fields[[j]]$type],
      bool = logical(0), int8 = , int16 = , int32 = integer(0), binary = list(),
      string = , uuid = character(0), double(0))
    finish_column(v, fields[[j]], opts)
  })
  rm(parts)
  df <- as_data_frame(cols, vapply(fields, `[[`, "", "name"), total)
  rm(cols)

  env <- new.env(parent = globalenv())
  assign(input_name, df, envir = env)
  rm(df)
  for (j in seq_along(params$fields)) assign(params$fields[[j]]$name, params$values[[j]], envir = env)

  lines <- strsplit(script, "\r?\n")[[1]]
  if (length(lines) == 0) lines <- ""
  srcfile <- srcfilecopy("<script>", lines)
  exprs <- tryCatch(parse(text = lines, keep.source = TRUE, srcfile = srcfile), error = function(e) e)
  if (inherits(exprs, "error")) {
    m <- regmatches(conditionMessage(exprs), regexec("<script>:([0-9]+):", conditionMessage(exprs)))[[1]]
    fail_obj <- structure(class = c("launchpad_error", "error", "condition"),
      list(message = conditionMessage(exprs), call = NULL, kind = "script", type = "parseError",
           line = if (length(m)) m[2] else NULL))
    stop(fail_obj)
  }
  attach_packages()
  jit(user_jit)
  err <- run_script(exprs, lines, srcfile, env)
  jit(0L)
  while (sink.number() > 0L) sink()
  if (!is.null(err)) stop(structure(class = c("launchpad_error", "error", "condition"),
                                    c(err[c("message")], list(call = NULL), err[c("kind", "type", "traceback", "line")])))

  lookup <- function(name) {
    if (exists(name, envir = env, inherits = FALSE)) return(list(get(name, envir = env, inherits = FALSE)))
    if (exists(name, envir = globalenv(), inherits = FALSE)) return(list(get(name, envir = globalenv(), inherits = FALSE)))
    NULL
  }
  outdf <- lookup(output_name)
  if (!is.null(outdf) && !is.data.frame(outdf[[1]])) {
    fail("output", sprintf("%s is a %s, not a data.frame", output_name, paste(class(outdf[[1]]), collapse = "/")))
  }
  outf <- Filter(function(f) bitwAnd(f$flags, FLAG_OUTPUT) != 0L, params$fields)
  outv <- lapply(outf, function(f) { v <- lookup(f$name); if (is.null(v)) NULL else v[[1]] })
  out_params <- encode_out_params(outf, outv)

  flush_std()
  con <- file("/dev/fd/4", "wb", raw = TRUE)
  state$out <- con
  rows <- 0
  if (!is.null(outdf)) rows <- write_data_frame(con, outdf[[1]])
  write_frame(con, FRAME[["PARAMS"]], out_params)
  flush_std()
  write_frame(con, FRAME[["END"]], u64_raw(rows))
  state$out <- NULL
  close(con)
}

status <- tryCatch({ main(); 0L }, error = function(e) {
  if (send_error(e)) 1L else 2L
})
quit(save = "no", status = status, runLast = FALSE)
})
