// Package config reads a host's HCL configuration file (`launchpad serve
// --config FILE.hcl`) and holds the defaults `launchpad dev` uses.
package config
