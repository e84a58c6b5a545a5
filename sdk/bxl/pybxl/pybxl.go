package pybxl

import _ "embed"

// FileName is the name the runtime imports the module by (launchpad_bxl):
// prefixed, so it cannot shadow or be shadowed by a module of the user's script.
const FileName = "launchpad_bxl.py"

// Module is the source of launchpad_bxl.py. Stage it read-only; do not modify it.
//
//go:embed launchpad_bxl.py
var Module []byte
