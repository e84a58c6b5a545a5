# run.R - the R runtime's unit tests, plain base R:
#
#   Rscript --vanilla plugins/r/runtime/tests/run.R [test_bxl.R ...]
#
# Each test file (default: every test_*.R beside this one) is sourced into a
# fresh copy of the runtime: the parts launchpad.R sources, in a private
# environment whose parent is the global one, as in a job. Every function
# named test_* then runs on its own; the helpers below are in scope. Prints
# "ok <file> <test>" or "FAIL <file> <test>: <message>" per test (a warning
# the runtime leaves unhandled is a failure too); the exit
# status is 1 when a test failed or a file holds none.
local({
  self <- normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1L]))
  here <- dirname(self)
  runtime <- dirname(here)
  parts <- setdiff(list.files(runtime, pattern = "[.]R$"), "launchpad.R")
  files <- commandArgs(TRUE)
  if (!length(files)) files <- list.files(here, pattern = "^test_.*[.]R$")

  helpers <- list(
    # expect_equal compares with identical(); tol > 0 compares numbers with
    # all.equal(tolerance = tol).
    expect_equal = function(got, want, tol = 0) {
      ok <- if (tol > 0) isTRUE(all.equal(got, want, tolerance = tol)) else identical(got, want)
      if (!ok) {
        stop(sprintf("got %s\n  want %s", paste(deparse(got), collapse = " "),
                     paste(deparse(want), collapse = " ")), call. = FALSE)
      }
    },
    # expect_fail runs expr and wants a launchpad_error of kind whose message
    # matches pattern; it returns the condition.
    expect_fail = function(expr, kind, pattern = "") {
      e <- tryCatch({ expr; NULL }, error = function(e) e)
      if (is.null(e)) stop(sprintf("no error, want a %s error matching %s", kind, dQuote(pattern)), call. = FALSE)
      if (!inherits(e, "launchpad_error") || !identical(e$kind, kind) || !grepl(pattern, conditionMessage(e))) {
        stop(sprintf("got %s error %s, want a %s error matching %s", class(e)[1],
                     dQuote(conditionMessage(e)), kind, dQuote(pattern)), call. = FALSE)
      }
      e
    },
    # with_limit sets a runtime setting (MAX_FRAME, BATCH_BYTES) for expr.
    with_limit = function(name, value, expr) {
      old <- get(name, envir = rt_env)
      assign(name, value, envir = rt_env)
      on.exit(assign(name, old, envir = rt_env))
      expr
    }
  )

  run_file <- function(file) {
    rt <- new.env(parent = globalenv())
    for (p in parts) sys.source(file.path(runtime, p), envir = rt, keep.source = FALSE)
    te <- new.env(parent = rt)
    for (h in names(helpers)) {
      fn <- helpers[[h]]
      environment(fn) <- list2env(list(rt_env = rt), parent = environment(fn))
      assign(h, fn, envir = te)
    }
    sys.source(file.path(here, file), envir = te, keep.source = TRUE)
    tests <- sort(grep("^test_", ls(te), value = TRUE))
    if (!length(tests)) {
      cat(sprintf("FAIL %s: no test_ functions\n", file))
      return(1L)
    }
    failed <- 0L
    for (t in tests) {
      # A warning the runtime does not handle itself fails the test.
      err <- tryCatch({
        withCallingHandlers(get(t, envir = te)(), warning = function(w) {
          # warn = 2 makes R turn it into an error itself.
          if (getOption("warn", 0) < 2) stop(sprintf("warning: %s", conditionMessage(w)), call. = FALSE)
        })
        NULL
      }, error = function(e) conditionMessage(e))
      if (is.null(err)) {
        cat(sprintf("ok   %s %s\n", file, t))
      } else {
        failed <- failed + 1L
        cat(sprintf("FAIL %s %s: %s\n", file, t, err))
      }
    }
    failed
  }

  failed <- sum(vapply(files, run_file, 0L))
  quit(save = "no", status = if (failed > 0L) 1L else 0L, runLast = FALSE)
})
