package signing

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const minisignTool = "/usr/bin/minisign"

func needMinisign(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(minisignTool); err != nil {
		t.Skipf("minisign tool not installed at %s: %v", minisignTool, err)
	}
}

func writeBinary(t *testing.T, dir string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, "launcher")
	if err := os.WriteFile(p, content, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func testManifest() Manifest {
	return Manifest{Name: "PythonLauncher", Languages: []string{"Python"}, Version: "0.1.0", APIVersion: 1}
}

func TestManifest_RoundTrip(t *testing.T) {
	m := Manifest{Name: "RLauncher", Languages: []string{"R", "Rlang"}, Version: "1.2.3-rc1", APIVersion: 1, SHA256: strings.Repeat("ab", 32)}
	got, err := ParseManifest(m.String())
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != m.String() {
		t.Fatalf("round trip: got %q want %q", got.String(), m.String())
	}
	want := "launchpad-manifest v1 name=RLauncher languages=R,Rlang version=1.2.3-rc1 api=1 sha256=" + strings.Repeat("ab", 32)
	if m.String() != want {
		t.Fatalf("format: got %q want %q", m.String(), want)
	}
}

func TestParseManifest_RejectsMalformed(t *testing.T) {
	h := strings.Repeat("0", 64)
	tests := map[string]struct {
		comment string
		want    error
	}{
		"plain minisign comment": {"timestamp:1700000000\tfile:launcher\tprehashed", ErrNoManifest},
		"missing sha":            {"launchpad-manifest v1 name=A languages=Python version=1 api=1", ErrInvalidManifest},
		"duplicate key":          {"launchpad-manifest v1 name=A name=B languages=Python version=1 api=1 sha256=" + h, ErrInvalidManifest},
		"unknown key":            {"launchpad-manifest v1 name=A languages=Python version=1 api=1 sha256=" + h + " extra=1", ErrInvalidManifest},
		"uppercase sha":          {"launchpad-manifest v1 name=A languages=Python version=1 api=1 sha256=" + strings.Repeat("A", 64), ErrInvalidManifest},
		"bad language":           {"launchpad-manifest v1 name=A languages=Py/thon version=1 api=1 sha256=" + h, ErrInvalidManifest},
		"duplicate language":     {"launchpad-manifest v1 name=A languages=R,r version=1 api=1 sha256=" + h, ErrInvalidManifest},
		"empty language":         {"launchpad-manifest v1 name=A languages=R, version=1 api=1 sha256=" + h, ErrInvalidManifest},
		"api not a number":       {"launchpad-manifest v1 name=A languages=R version=1 api=one sha256=" + h, ErrInvalidManifest},
		"double space":           {"launchpad-manifest v1 name=A  languages=R version=1 api=1 sha256=" + h, ErrInvalidManifest},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseManifest(tc.comment)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSignFile_VerifiesAndBindsEverything(t *testing.T) {
	dir := t.TempDir()
	content := []byte("launcher bytes v1")
	bin := writeBinary(t, dir, content)
	pub, priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	m, err := SignFile(priv, bin, testManifest())
	if err != nil {
		t.Fatal(err)
	}
	if m.SHA256 != sha(content) || m.APIVersion != 1 {
		t.Fatalf("manifest not completed: %+v", m)
	}
	got, err := VerifyFile(pub, bin)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != m.String() {
		t.Fatalf("verified manifest %q, want %q", got, m)
	}

	otherPub, _, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyFile(otherPub, bin); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("other key: got %v, want ErrKeyMismatch", err)
	}

	// One changed byte breaks the signature.
	tampered := bytes.Clone(content)
	tampered[0] ^= 1
	if err := os.WriteFile(bin, tampered, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyFile(pub, bin); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered binary: got %v, want ErrBadSignature", err)
	}

	// Editing the trusted comment (e.g. to add a language) breaks it too.
	if err := os.WriteFile(bin, content, 0o755); err != nil {
		t.Fatal(err)
	}
	sigText, err := os.ReadFile(bin + SignatureSuffix)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(sigText, []byte("languages=Python"), []byte("languages=Python,R"), 1)
	if bytes.Equal(edited, sigText) {
		t.Fatal("test setup: comment not found")
	}
	if err := os.WriteFile(bin+SignatureSuffix, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyFile(pub, bin); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("edited comment: got %v, want ErrBadSignature", err)
	}
}

func TestPrivateKey_MarshalRoundTrip(t *testing.T) {
	pub, priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	text, err := MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePrivateKey(text, "")
	if err != nil {
		t.Fatal(err)
	}
	if !back.Public().Equal(pub) || back.ID() != pub.ID() {
		t.Fatal("round trip changed the key")
	}
}

func TestPrivateKey_EncryptedNeedsPassword(t *testing.T) {
	if testing.Short() {
		t.Skip("scrypt with minisign's parameters needs 1 GiB and seconds")
	}
	pub, priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	text, err := MarshalPrivateKey(priv, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivateKey(text, ""); !errors.Is(err, ErrKeyEncrypted) {
		t.Fatalf("no password: got %v", err)
	}
	if _, err := ParsePrivateKey(text, "wrong"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong password: got %v", err)
	}
	back, err := ParsePrivateKey(text, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if !back.Public().Equal(pub) {
		t.Fatal("decrypted another key")
	}
}

func TestWriteKeyPair_ModesAndNoOverwrite(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "acme")
	pub, err := WriteKeyPair(prefix, "")
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{prefix + ".key": 0o600, prefix + ".pub": 0o644} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	got, err := ReadPublicKeyFile(prefix + ".pub")
	if err != nil || !got.Equal(pub) {
		t.Fatalf("read back public key: %v", err)
	}
	if _, err := WriteKeyPair(prefix, ""); !errors.Is(err, os.ErrExist) {
		t.Fatalf("second generate: got %v, want ErrExist", err)
	}
}

// Keys and signatures from the real minisign tool work in Launchpad.
func TestInterop_MinisignToolSignsLaunchpadVerifies(t *testing.T) {
	needMinisign(t)
	dir := t.TempDir()
	content := []byte("a launcher signed by the minisign tool")
	bin := writeBinary(t, dir, content)
	pubPath, keyPath := filepath.Join(dir, "tool.pub"), filepath.Join(dir, "tool.key")
	run(t, minisignTool, "-G", "-W", "-p", pubPath, "-s", keyPath)
	m := testManifest()
	m.SHA256 = sha(content)
	run(t, minisignTool, "-S", "-s", keyPath, "-t", m.String(), "-m", bin)

	pub, err := ReadPublicKeyFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifyFile(pub, bin)
	if err != nil {
		t.Fatalf("launchpad rejects minisign's signature: %v", err)
	}
	if got.String() != m.String() {
		t.Fatalf("manifest %q, want %q", got, m)
	}
	// A key written by minisign -W also signs in Launchpad.
	priv, err := ReadPrivateKeyFile(keyPath, "")
	if err != nil {
		t.Fatal(err)
	}
	if priv.ID() != pub.ID() {
		t.Fatalf("key ids differ: %s vs %s", priv.ID(), pub.ID())
	}

	// A plain `minisign -S` (no manifest) verifies cryptographically but
	// carries no manifest.
	run(t, minisignTool, "-S", "-s", keyPath, "-m", bin)
	if _, err := VerifyFile(pub, bin); !errors.Is(err, ErrNoManifest) {
		t.Fatalf("no manifest: got %v", err)
	}
	// Legacy signatures are refused with a clear error.
	run(t, minisignTool, "-S", "-l", "-s", keyPath, "-t", m.String(), "-m", bin)
	if _, err := VerifyFile(pub, bin); !errors.Is(err, ErrLegacySignature) {
		t.Fatalf("legacy: got %v", err)
	}
}

// Launchpad's keys and signatures verify with the real minisign tool, and
// its unencrypted key file is accepted by `minisign -S -W`.
func TestInterop_LaunchpadSignsMinisignToolVerifies(t *testing.T) {
	needMinisign(t)
	dir := t.TempDir()
	content := []byte("a launcher signed by launchpad")
	bin := writeBinary(t, dir, content)
	prefix := filepath.Join(dir, "lp")
	pub, err := WriteKeyPair(prefix, "")
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ReadPrivateKeyFile(prefix+".key", "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := SignFile(priv, bin, testManifest())
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, minisignTool, "-V", "-p", prefix+".pub", "-m", bin)
	if !strings.Contains(out, "Trusted comment: "+m.String()) {
		t.Fatalf("minisign -V output lacks the manifest:\n%s", out)
	}
	out = run(t, minisignTool, "-V", "-P", pub.String(), "-m", bin)
	if !strings.Contains(out, "Signature and comment signature verified") {
		t.Fatalf("minisign -V -P: %s", out)
	}
	// minisign refuses a tampered binary, so the interop check can fail.
	if err := os.WriteFile(bin, append(content, '!'), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(minisignTool, "-V", "-p", prefix+".pub", "-m", bin).CombinedOutput(); err == nil {
		t.Fatalf("minisign accepted a tampered binary: %s", out)
	}
	// Our unencrypted key file works in the tool (it checks the checksum).
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, content, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, minisignTool, "-S", "-W", "-s", prefix+".key", "-m", other)
	run(t, minisignTool, "-V", "-p", prefix+".pub", "-m", other)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
