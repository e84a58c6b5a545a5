# Baseline (b) for R: what an R user would do without Launchpad —
# CSV in on stdin with read.csv, CSV out on stdout with write.csv.
ready <- file("/dev/fd/3", "wb", raw = TRUE)
writeBin(as.raw(82L), ready) # R is up: the clock starts now
close(ready)
df <- read.csv(file("stdin"), stringsAsFactors = FALSE)
write.csv(df, stdout(), row.names = FALSE)
