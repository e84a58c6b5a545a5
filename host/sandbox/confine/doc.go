// Package confine is sandbox-init: the code that runs in a job's new
// namespaces, as root, before any launcher or job code, and builds the
// sandbox from the inside (mounts, the job's disk alone, hostname and
// loopback, rlimits, an empty bounding set, a fresh session keyring, the
// worker's uid, no_new_privs, Landlock, the parent-death signal, seccomp)
// and then becomes the launcher by execveat of the verified bytes. The host
// side (package sandbox) builds the Spec it is given. It is a package of
// its own so that launchpad-sandbox-init, which every job starts as, links
// nothing else.
package confine
