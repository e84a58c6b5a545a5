// Command r is RLauncher, the first-party launcher for R: a go-plugin
// satellite that stages its embedded runtime (runtime/launchpad.R and the
// parts it sources: bxl.R, decode.R, encode.R, frame.R, params.R, script.R,
// main.R) into the job's working folder and runs launchpad.R with the
// configured Rscript (default /usr/bin/Rscript). R cannot open a socket
// descriptor, so the launcher bridges the data plane to two pipes
// (descriptors 3 and 4).
package main
