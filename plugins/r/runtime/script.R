# script.R - running the user's script: parsed with its own srcfile so errors
# name the script's lines, evaluated one top-level expression at a time in
# the job's environment, with R's console behaviour (visible values printed,
# warnings on stderr as they happen).

# parse_script parses the script text; a syntax error is a script error with
# the line R names.
parse_script <- function(script) {
  lines <- strsplit(script, "\r?\n")[[1]]
  if (length(lines) == 0) lines <- ""
  srcfile <- srcfilecopy("<script>", lines)
  exprs <- tryCatch(parse(text = lines, keep.source = TRUE, srcfile = srcfile), error = function(e) e)
  if (inherits(exprs, "error")) {
    m <- regmatches(conditionMessage(exprs), regexec("<script>:([0-9]+):", conditionMessage(exprs)))[[1]]
    stop(structure(class = c("launchpad_error", "error", "condition"),
      list(message = conditionMessage(exprs), call = NULL, kind = "script", type = "parseError",
           line = if (length(m)) m[2] else NULL)))
  }
  list(exprs = exprs, lines = lines, srcfile = srcfile)
}

# run_user_script runs the script in env with the user's JIT level and the
# packages the operator asked for, then undoes the script's sinks; a script
# error becomes a launchpad_error.
run_user_script <- function(script, env, user_jit) {
  s <- parse_script(script)
  attach_packages()
  jit(user_jit)
  err <- run_script(s$exprs, s$lines, s$srcfile, env)
  jit(0L)
  while (sink.number() > 0L) sink()
  if (!is.null(err)) stop(structure(class = c("launchpad_error", "error", "condition"),
                                    c(err[c("message")], list(call = NULL), err[c("kind", "type", "traceback", "line")])))
  invisible()
}

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

# run_script evaluates each top-level expression in env; on the first error it
# returns the error's description (see script_error), else NULL.
run_script <- function(exprs, lines, srcfile, env) {
  calls <- NULL
  on_error <- function(e) calls <<- sys.calls()
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
    if (inherits(res, "error")) return(script_error(res, srcrefs[[i]][1], lines, calls, srcfile))
  }
  NULL
}

# on_warning prints a warning when it happens, as R's console does with
# warn = 1, instead of R's deferred "Warning message:" list; warn = 2 leaves
# it to R, which makes it an error.
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

# script_error describes an error raised by the top-level expression starting
# at line top: the line is the deepest script frame's (calls are the stack at
# the error), the traceback lists the script's frames only.
script_error <- function(res, top, lines, calls, srcfile) {
  frames <- script_frames(calls, srcfile)
  tb <- c(sprintf("<script>#%d: %s", top, trimws(lines[top])),
          vapply(frames, function(fr) sprintf("<script>#%d: %s", fr$line, fr$call), ""))
  line <- if (length(frames)) frames[[length(frames)]]$line else top
  cl <- user_call(conditionCall(res))
  list(kind = "script", type = class(res)[1], message = conditionMessage(res),
       traceback = paste(c(if (!is.null(cl)) sprintf("Error in %s", deparse(cl, nlines = 1L)[1]),
                           tb), collapse = "\n"),
       line = as.character(line))
}

# attach_packages attaches LAUNCHPAD_R_PACKAGES (a,b,...) in that search
# order, for runtimes started with R_DEFAULT_PACKAGES=NULL; unset = none.
attach_packages <- function() {
  spec <- Sys.getenv("LAUNCHPAD_R_PACKAGES", unset = NA)
  if (is.na(spec)) return(invisible())
  pk <- trimws(strsplit(spec, ",", fixed = TRUE)[[1]])
  for (p in rev(pk[nzchar(pk)])) {
    if (!(paste0("package:", p) %in% search())) library(p, character.only = TRUE)
  }
}

# jit switches R's byte-code JIT: compiling the runtime's functions on first
# call costs more CPU than interpreting them once, while the user's script
# keeps the JIT level it was started with.
jit <- function(level) {
  if (is.na(level)) return(NA_integer_)
  compiler::enableJIT(level)
}

