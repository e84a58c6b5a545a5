# decode.R - BXL column buffers to R vectors. Every check is vectorised: a
# per-row R loop would cost seconds on a million rows.

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

# decode_column returns one column's values as a plain R vector (classes are
# finish_column's), NULLs as NA (NULL in a binary list).
decode_column <- function(bufs, n, f, where, opts) {
  null <- decode_validity(bufs[[1]], n, where)
  t <- f$type
  w <- TYPE_WIDTH[t]
  if (w > 0) expect_len(bufs[[2]], n * w, where, "values")
  x <- decode_values(bufs, n, null, f, where, opts)
  if (any(null)) {
    if (is.list(x)) x[null] <- list(NULL) else x[null] <- if (t == T_INT64 && opts$bit64) NA_I64 else NA
  }
  x
}

# decode_validity returns the NULL mask; an empty buffer means no NULLs.
decode_validity <- function(vb, n, where) {
  if (!length(vb)) return(rep(FALSE, n))
  expect_len(vb, ceiling(n / 8), where, "validity")
  valid <- bits_to_logical(vb, n)
  if (all(valid)) rep(FALSE, n) else !valid
}

decode_values <- function(bufs, n, null, f, where, opts) {
  col <- f$name
  switch(TYPE_NAMES[f$type],
    bool = {
      expect_len(bufs[[2]], ceiling(n / 8), where, "values")
      bits_to_logical(bufs[[2]], n)
    },
    int8 = readBin(bufs[[2]], "integer", n, size = 1L, signed = TRUE),
    int16 = readBin(bufs[[2]], "integer", n, size = 2L, signed = TRUE, endian = "little"),
    int32 = {
      x <- readBin(bufs[[2]], "integer", n, size = 4L, endian = "little")
      # -2147483648 is NA_integer_: such a batch is double (c() of the
      # batches then makes the whole column double).
      lost <- is.na(x) & !null
      if (any(lost)) { x <- as.double(x); x[lost] <- -2^31 }
      x
    },
    int64 = if (opts$bit64) decode_int64_bits(bufs[[2]], n, null, col) else decode_int64_double(bufs[[2]], n, null, col, opts),
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
}

# decode_int64_bits keeps the int64 bits in a double, as bit64's integer64
# does (finish_column decides the column's class from all its rows); its NA is
# INT64_MIN, whose bits read as -0.0, so that value is refused.
decode_int64_bits <- function(buf, n, null, col) {
  x <- readBin(buf, "double", n, size = 8L, endian = "little")
  if (any(int64_na(x) & !null)) {
    fail("input", sprintf("column %s holds -9223372036854775808, which is NA in bit64::integer64", col), col)
  }
  x[null] <- NA_I64
  x
}

# i64_exact says which int64 values (as i64_parts) a double holds exactly:
# -2^53..2^53.
i64_exact <- function(pt) (pt$hi >= -2^21 & pt$hi < 2^21) | (pt$hi == 2^21 & pt$lo == 0)

# decode_int64_double converts to doubles, refusing values a double would
# round: one such value fails the column, whatever the other batches hold.
decode_int64_double <- function(buf, n, null, col, opts) {
  pt <- i64_parts(buf, n)
  if (any(!i64_exact(pt) & !null)) fail_inexact_int64(col, opts$why_no_integer64)
  i64_double(pt)
}

fail_inexact_int64 <- function(col, why) {
  if (is.null(why)) why <- ""
  fail("input", sprintf(paste0(
    "column %s holds bigint values beyond +-2^53, which neither an R integer nor a double holds exactly; ",
    "CAST it in the query (to varchar(20), or to float to accept rounding)%s"), col, why), col)
}

# int_or_double gives a whole-number column as R's own database readers do:
# integer when every value fits (NA_integer_ is -2^31, so from -2^31 + 1),
# double otherwise (the caller made sure every value is exact as a double).
int_or_double <- function(x) {
  if (all(is.na(x) | (x > -2^31 & x < 2^31))) return(as.integer(x))
  as.double(x)
}

# finish_int64 turns a whole int64 column into integer or double; with
# integer64 allowed (opts$bit64), x holds int64 bits and a column a double
# would round becomes bit64::integer64 instead of failing.
finish_int64 <- function(x, col, opts) {
  if (!opts$bit64) return(int_or_double(x))
  na <- int64_na(x)
  pt <- i64_parts(writeBin(as.double(x), raw(), size = 8L, endian = "little"), length(x))
  if (all(i64_exact(pt) | na)) {
    v <- i64_double(pt)
    v[na] <- NA
    return(int_or_double(v))
  }
  ok <- tryCatch({ loadNamespace("bit64"); TRUE }, error = function(e) conditionMessage(e))
  if (!isTRUE(ok)) fail_inexact_int64(col, sprintf("; integer64 is on for this launcher but bit64 cannot be loaded: %s", ok))
  structure(x, class = "integer64")
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

# decode_uuid gives upper-case text, as SQL Server hands a uniqueidentifier to
# R (str() on Microsoft's r-libraries-and-data-types page shows it so).
decode_uuid <- function(buf, n) {
  if (n == 0) return(character(0))
  h <- matrix(toupper(as.character(buf)), nrow = 16L)
  parts <- lapply(1:16, function(k) h[k, ])
  dash <- rep("-", n)
  do.call(paste0, c(parts[1:4], list(dash), parts[5:6], list(dash), parts[7:8],
                    list(dash), parts[9:10], list(dash), parts[11:16]))
}

# decimal -> double only when every value round-trips: at most 15 significant
# digits, so the double printed with 15 digits is the exact decimal. Anything
# longer fails rather than round silently.
# negate_limbs returns l (8 little-endian 16-bit limbs a column) with the
# columns picked by neg replaced by their two's complement; decoding and
# encoding a decimal both need it.
negate_limbs <- function(l, neg) {
  ln <- 65535 - l[, neg, drop = FALSE]
  carry <- rep(1, sum(neg))
  for (k in 1:8) {
    s <- ln[k, ] + carry
    ln[k, ] <- s %% 65536
    carry <- s %/% 65536
  }
  l[, neg] <- ln
  l
}

decode_decimal <- function(buf, n, null, f, col) {
  if (n == 0) return(double(0))
  l <- matrix(as.double(readBin(buf, "integer", 8L * n, size = 2L, signed = FALSE, endian = "little")), nrow = 8L)
  neg <- l[8, ] >= 32768
  if (any(neg)) l <- negate_limbs(l, neg)
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
    int64 = finish_int64(x, f$name, opts),
    date = structure(x, class = "Date"),
    time = structure(x, units = "secs", class = "difftime"),
    datetime = , datetimeoffset = structure(x, class = c("POSIXct", "POSIXt"), tzone = "UTC"),
    string = { if (length(x) == 0) character(0) else x },
    x)
}
