# encode.R - R vectors to BXL column buffers: prep_column normalises a column
# once (values, NULL mask, bytes per row), enc_slice writes the buffers of a
# range of its rows. Every step is vectorised.


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
  na_in <- if (is.list(x) && !inherits(x, "POSIXlt")) NULL else is.na(x)
  if (t == T_INT64 && inherits(x, "integer64")) {
    x <- unclass(x); attributes(x) <- NULL
    null <- int64_na(x)
    x[null] <- 0
    return(list(type = t, null = null, x = x, var = NULL, bits = TRUE))
  }
  p <- switch(TYPE_NAMES[t],
    bool = { x <- suppressWarnings(as.logical(x)); null <- is.na(x); x[null] <- FALSE; list(x = x, null = null) },
    int8 = , int16 = , int32 = prep_int(x, t, bad),
    int64 = prep_int64(x, bad),
    float32 = , float64 = {
      x <- suppressWarnings(as.double(x)); attributes(x) <- NULL
      # NaN is a value, NA is NULL.
      null <- is.na(x) & !is.nan(x); x[null] <- 0
      list(x = x, null = null)
    },
    decimal = bad("decimal is written for OUTPUT params only"),
    string = prep_string(x, bad),
    binary = prep_binary(x, bad),
    date = prep_date(x, bad),
    time = prep_time(x, bad),
    datetime = , datetimeoffset = prep_datetime(x, bad),
    uuid = prep_uuid(x, bad)
  )
  if (!is.null(na_in) && any(p$null & !na_in)) bad(sprintf("a value cannot be converted to %s", TYPE_NAMES[t]))
  list(type = t, null = p$null, x = p$x, var = p$var, bits = FALSE)
}

# The prep_* helpers return list(x = values with NULLs zeroed, null = mask,
# var = bytes per row for variable-width types); bad(msg) raises the column's
# output error.

prep_int <- function(x, t, bad) {
  if (!is.integer(x)) {
    x <- suppressWarnings(as.double(x))
    if (any(!is.na(x) & x != round(x))) bad("value is not a whole number")
  }
  lim <- c(2^7, 2^15, 2^31)[t - 1L]
  if (any(!is.na(x) & (x < -lim | x >= lim))) bad(sprintf("value outside %s", TYPE_NAMES[t]))
  x <- suppressWarnings(as.integer(x)); null <- is.na(x); x[null] <- 0L
  list(x = x, null = null)
}

prep_int64 <- function(x, bad) {
  x <- suppressWarnings(as.double(x))
  if (any(!is.na(x) & x != round(x))) bad("value is not a whole number")
  if (any(!is.na(x) & abs(x) >= 2^63)) bad("value outside int64")
  null <- is.na(x); x[null] <- 0
  list(x = x, null = null)
}

prep_string <- function(x, bad) {
  x <- if (is.factor(x)) as.character(x) else if (is.character(x)) x else as.character(x)
  null <- is.na(x); x[null] <- ""
  x <- enc2utf8(x)
  if (!all(validUTF8(x))) bad("string is not valid UTF-8")
  list(x = x, null = null, var = nchar(x, type = "bytes"))
}

prep_binary <- function(x, bad) {
  if (is.raw(x)) x <- list(x)
  ok <- vapply(x, function(e) is.null(e) || is.raw(e), NA)
  if (!all(ok)) bad("a binary (list) column must hold raw vectors or NULL")
  list(x = x, null = vapply(x, is.null, NA), var = lengths(x))
}

prep_date <- function(x, bad) {
  if (!inherits(x, "Date")) x <- as.Date(x, tz = "UTC")
  x <- floor(unclass(x)); attributes(x) <- NULL
  null <- is.na(x)
  if (any(!null & abs(x) >= 2^31)) bad("date out of range")
  list(x = as.integer(ifelse(null, 0, x)), null = null)
}

prep_time <- function(x, bad) {
  if (inherits(x, "difftime")) x <- as.double(x, units = "secs")
  else if (is.character(x)) x <- time_from_text(x, bad)
  else x <- as.double(x)
  x <- round(x * 1e6); attributes(x) <- NULL
  null <- is.na(x)
  if (any(!null & (x < 0 | x >= US_PER_DAY))) bad("time outside 00:00:00..24:00:00 (use as.numeric() for durations)")
  x[null] <- 0
  list(x = x, null = null)
}

prep_datetime <- function(x, bad) {
  # POSIXct is an instant; its UTC wall clock is that instant's epoch offset.
  x <- if (inherits(x, "Date")) unclass(x) * 86400
       else if (is.character(x)) unclass(as.POSIXct(x, tz = "UTC"))
       else if (inherits(x, "POSIXt")) unclass(as.POSIXct(x))
       else as.double(x)
  x <- round(as.double(x) * 1e6); attributes(x) <- NULL
  null <- is.na(x)
  if (any(!null & abs(x) >= 2^63)) bad("datetime out of range")
  x[null] <- 0
  list(x = x, null = null)
}

# prep_uuid keeps 32 lowercase hex digits per row (NA where NULL).
prep_uuid <- function(x, bad) {
  x <- tolower(as.character(x)); null <- is.na(x)
  h <- gsub("-", "", x[!null], fixed = TRUE)
  if (any(!grepl("^[0-9a-f]{32}$", h))) bad("not a UUID")
  x[!null] <- h
  list(x = x, null = null)
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
  if (any(neg)) l <- negate_limbs(l, neg)
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
      h[!null] <- x[!null]
      list(as.raw(strtoi(substring(paste(h, collapse = ""), seq(1, 32 * n, 2), seq(2, 32 * n, 2)), 16L)))
    }
  )
  c(list(valid), vals)
}
