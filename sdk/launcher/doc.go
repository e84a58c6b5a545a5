// Package launcher is what a launcher author imports: the Launcher interface a
// language launcher implements, Serve to run it as a go-plugin satellite, and
// RunRuntime to start the language runtime with the job's data plane.
//
// A launcher is a small program: the host starts it (inside the job's sandbox)
// once per job and calls Run; the launcher starts its runtime (python3,
// Rscript, …) in the job's working folder with the BXL data plane on file
// descriptor 3 (docs/bxl.md) and reports the runtime's exit. Bulk data never
// passes through the launcher's gRPC connection. Protobuf types stay inside
// this package.
package launcher
