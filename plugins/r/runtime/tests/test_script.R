# Tests of script.R: parse errors and runtime errors name the script's lines,
# the traceback holds the script's frames only, values print and warnings
# reach stderr as at R's console, and the script's sinks and JIT level do not
# outlive it.

# captured runs expr and returns its value with what it wrote to stdout and
# stderr.
captured <- function(expr) {
  err <- character(0)
  econ <- textConnection("err", "w", local = TRUE)
  sink(econ, type = "message")
  out <- tryCatch(utils::capture.output(value <- expr), finally = { sink(type = "message"); close(econ) })
  list(value = value, out = out, err = err)
}

# run_text runs script text in a fresh environment like a job's and returns
# run_script's result with the output.
run_text <- function(text, env = new.env(parent = globalenv())) {
  s <- parse_script(text)
  captured(run_script(s$exprs, s$lines, s$srcfile, env))
}

test_parse_error_names_its_line <- function() {
  e <- expect_fail(parse_script("x <- 1\ny <- (2 +\nz <- ]\n"), "script", "unexpected")
  expect_equal(e$type, "parseError")
  expect_equal(e$line, "3")
  e <- expect_fail(parse_script("f(\n"), "script", "")
  expect_equal(e$type, "parseError")
}

test_parse_keeps_lines_of_any_ending <- function() {
  s <- parse_script("a <- 1\r\nb <- 2\n\nc <- 3")
  expect_equal(s$lines, c("a <- 1", "b <- 2", "", "c <- 3"))
  expect_equal(length(s$exprs), 3L)
  expect_equal(parse_script("")$lines, "")
}

test_top_level_error_names_its_line <- function() {
  r <- run_text("a <- 1\nb <- 2\nstop(\"boom\")\nc <- 3\n")
  err <- r$value
  expect_equal(err$kind, "script")
  expect_equal(err$type, "simpleError")
  expect_equal(err$message, "boom")
  expect_equal(err$line, "3")
  expect_equal(err$traceback, "<script>#3: stop(\"boom\")")
}

test_error_inside_functions_names_the_deepest_user_line <- function() {
  text <- "f <- function() {\n  g()\n}\ng <- function() {\n  x <- 1\n  stop(\"deep\")\n}\nf()\n"
  err <- run_text(text)$value
  expect_equal(err$line, "6")
  expect_equal(err$message, "deep")
  expect_equal(strsplit(err$traceback, "\n")[[1]],
               c("Error in g()", "<script>#8: f()", "<script>#2: g()", "<script>#6: stop(\"deep\")"))
}

test_error_in_base_code_keeps_the_users_line <- function() {
  err <- run_text("x <- 1\ny <- log(-1:1, base = \"a\")\n")$value
  expect_equal(err$line, "2")
  expect_equal(grepl("non-numeric argument", err$message), TRUE)
  expect_equal(grepl("eval(", err$traceback, fixed = TRUE), FALSE)
}

test_custom_condition_classes_are_the_error_type <- function() {
  err <- run_text("stop(structure(class = c(\"myError\", \"error\", \"condition\"), list(message = \"m\", call = NULL)))\n")$value
  expect_equal(err$type, "myError")
}

test_visible_values_print_and_assignments_do_not <- function() {
  r <- run_text("x <- 5\nx\ninvisible(7)\nprint(\"p\")\ncat(\"c\\n\")\n")
  expect_equal(r$value, NULL)
  expect_equal(r$out, c("[1] 5", "[1] \"p\"", "c"))
}

test_warnings_reach_stderr_when_they_happen <- function() {
  r <- run_text("warning(\"careful\")\nf <- function() warning(\"inner\")\nf()\nmessage(\"note\")\ncat(\"after\\n\")\n")
  expect_equal(r$value, NULL)
  expect_equal(r$err, c("Warning: careful", "Warning in f() : inner", "note"))
  expect_equal(r$out, "after")
}

test_warn_option_is_respected <- function() {
  old <- options(warn = 2)
  on.exit(options(old))
  err <- run_text("warning(\"now fatal\")\n")$value
  expect_equal(grepl("now fatal", err$message), TRUE)
  options(warn = -1)
  r <- run_text("warning(\"quiet\")\n")
  expect_equal(r$value, NULL)
  expect_equal(r$err, character(0))
}

test_script_runs_in_the_environment_it_is_given <- function() {
  env <- new.env(parent = globalenv())
  assign("InputDataSet", data.frame(a = 1:3), envir = env)
  r <- run_text("OutputDataSet <- InputDataSet[InputDataSet$a > 1, , drop = FALSE]\nn <- nrow(OutputDataSet)\n", env)
  expect_equal(r$value, NULL)
  expect_equal(get("n", envir = env), 2L)
  expect_equal(exists("n", envir = globalenv(), inherits = FALSE), FALSE)
}

test_run_user_script_undoes_sinks_and_restores_the_jit <- function() {
  old <- compiler::enableJIT(0L)
  on.exit(compiler::enableJIT(old))
  env <- new.env(parent = globalenv())
  run_user_script("lvl <- compiler::enableJIT(-1)\nsink(tempfile())\nsink(tempfile())\n", env, 2L)
  expect_equal(get("lvl", envir = env), 2L)
  expect_equal(sink.number(), 0L)
  expect_equal(compiler::enableJIT(-1), 0L)
}

test_run_user_script_raises_the_scripts_error <- function() {
  e <- expect_fail(run_user_script("\n\nstop(\"third\")\n", new.env(), 0L), "script", "third")
  expect_equal(e$line, "3")
  expect_equal(e$type, "simpleError")
  expect_equal(e$traceback, "<script>#3: stop(\"third\")")
}

test_attach_packages_follows_the_setting <- function() {
  old <- Sys.getenv("LAUNCHPAD_R_PACKAGES", unset = NA)
  on.exit(if (is.na(old)) Sys.unsetenv("LAUNCHPAD_R_PACKAGES") else Sys.setenv(LAUNCHPAD_R_PACKAGES = old))
  Sys.setenv(LAUNCHPAD_R_PACKAGES = " tools , ")
  attach_packages()
  on.exit(detach("package:tools"), add = TRUE)
  expect_equal("package:tools" %in% search(), TRUE)
  Sys.setenv(LAUNCHPAD_R_PACKAGES = "no.such.package.here")
  expect_equal(inherits(tryCatch(attach_packages(), error = function(e) e), "error"), TRUE)
}
