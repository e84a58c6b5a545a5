// Package claim gives a host machine-wide ownership of what it sweeps: its
// state folder, its worker uid range, its cgroup parent and its work root.
// Each claim is an flock on a file in a machine-wide lock folder, so a
// claim dies with its process (kill -9 included) and only a range whose
// previous owner is gone can be taken over and swept.
package claim
