package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/openlaunchpad/launchpad/host/job"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

//go:embed numpy_baseline.py
var numpyBaselinePy string

//go:embed csv_baseline.py
var csvBaselinePy string

//go:embed csv_baseline.R
var csvBaselineR string

// errBaseline means a baseline's child did not return what it was given.
var errBaseline = errors.New("baseline failed")

// numpyBaseline sends rows of shape as the host would (same frames, same
// batches) through a socketpair to a python3 child that receives them into
// preallocated numpy arrays. roundTrip has it send the arrays back as BXL
// batches; decodeStrings has it turn the string column into Python str
// objects (and encode them back) first. The clock starts once numpy is
// imported and stops when the child's END arrives.
func numpyBaseline(python, shape string, rows int64, batchBytes int, roundTrip, decodeStrings bool) (time.Duration, error) {
	conn, child, err := job.NewDataPlane()
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	mode, strs := "in", "raw"
	if roundTrip {
		mode = "rt"
	}
	if decodeStrings {
		strs = "str"
	}
	cmd := exec.Command(python, "-c", numpyBaselinePy, shape, strconv.FormatInt(rows, 10), mode, strs)
	cmd.ExtraFiles = []*os.File{child}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		child.Close()
		return 0, err
	}
	child.Close()
	wait := func(err error) error {
		if err != nil {
			conn.Close()
		}
		return reap(cmd, err, &stderr)
	}
	rd := bxl.NewReader(conn, 0)
	if t, _, err := rd.Next(); err != nil || t != bxl.FrameHello {
		return 0, wait(fmt.Errorf("%w: numpy child never said HELLO (%s): %w", errBaseline, t, err))
	}

	start := time.Now()
	src, err := newSynthRows(shape, rows, batchBytes)
	if err != nil {
		return 0, wait(err)
	}
	werr := make(chan error, 1)
	go func() { werr <- sendBXL(conn, src) }()

	var got uint64
	for {
		t, p, err := rd.Next()
		if err != nil {
			return 0, wait(fmt.Errorf("%w: numpy child: %w", errBaseline, err))
		}
		if t == bxl.FrameEnd {
			n, err := bxl.DecodeEnd(p)
			if err != nil {
				return 0, wait(err)
			}
			got = n
			break
		}
	}
	elapsed := time.Since(start)
	if err := <-werr; err != nil {
		return 0, wait(err)
	}
	want := uint64(0)
	if roundTrip {
		want = uint64(rows)
	}
	if got != want || rd.Rows() != want {
		return 0, wait(fmt.Errorf("%w: numpy child sent %d rows back (END says %d), want %d", errBaseline, rd.Rows(), got, want))
	}
	return elapsed, wait(nil)
}

// sendBXL writes the frames the host writes for a job (host/job's writeInput).
func sendBXL(conn *net.UnixConn, src *synthRows) error {
	w := bxl.NewWriter(conn)
	err := w.WriteHello()
	if err == nil {
		err = w.WriteJob(bxl.JobHeader{JobID: "baseline", Language: "Python", Script: identityScripts["Python"],
			InputName: "InputDataSet", OutputName: "OutputDataSet"})
	}
	if err == nil {
		err = w.WriteParams(&bxl.Schema{}, bxl.NewBuilder(&bxl.Schema{}).Build())
	}
	if err == nil {
		err = w.WriteSchema(src.Schema())
	}
	for err == nil {
		b, nerr := src.Next()
		if nerr == io.EOF {
			break
		}
		if nerr != nil {
			return nerr
		}
		err = w.WriteBatch(b)
	}
	if err == nil {
		err = w.WriteEnd(w.Rows())
	}
	return err
}

// csvBaseline writes rows of shape as CSV into the stdin of argv (python3
// with pandas.read_csv/to_csv, or Rscript with read.csv/write.csv), which
// writes them back to a pipe this process reads and discards. The clock
// starts once the child says (on descriptor 3) that it is up. It returns the
// elapsed time and the CSV bytes sent.
func csvBaseline(argv []string, shape string, rows int64) (time.Duration, int64, error) {
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return 0, 0, err
	}
	defer readyR.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.ExtraFiles = []*os.File{readyW}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		readyW.Close()
		return 0, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		readyW.Close()
		return 0, 0, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		readyW.Close()
		return 0, 0, err
	}
	readyW.Close()
	wait := func(err error) error { return reap(cmd, err, &stderr) }
	var ready [1]byte
	if _, err := io.ReadFull(readyR, ready[:]); err != nil {
		stdin.Close()
		return 0, 0, wait(fmt.Errorf("%w: csv child never got ready: %w", errBaseline, err))
	}

	start := time.Now()
	type sent struct {
		n   int64
		err error
	}
	werr := make(chan sent, 1)
	go func() {
		n, err := writeCSV(stdin, shape, rows)
		werr <- sent{n, errors.Join(err, stdin.Close())}
	}()
	lines, err := countLines(stdout)
	elapsed := time.Since(start)
	s := <-werr
	if err = errors.Join(err, s.err); err != nil {
		return 0, 0, wait(err)
	}
	if lines != rows+1 {
		return 0, 0, wait(fmt.Errorf("%w: csv child wrote %d lines, want %d", errBaseline, lines, rows+1))
	}
	return elapsed, s.n, wait(nil)
}

// writeCSV writes a header and the same values as the synthetic source.
func writeCSV(w io.Writer, shape string, rows int64) (int64, error) {
	per := int64(max(1, bxl.DefaultBatchBytes/rowBytes(shape)))
	bw := bufio.NewWriterSize(w, 1<<20)
	header := "id,x\n"
	if shape == shapeMixed {
		header = "id,x,s\n"
	}
	n, _ := bw.WriteString(header)
	total := int64(n)
	line := make([]byte, 0, 64)
	for r := range rows {
		i := r % per // the synthetic source repeats its template batch
		line = strconv.AppendInt(line[:0], i, 10)
		line = append(line, ',')
		line = strconv.AppendFloat(line, float64(i)/2, 'g', -1, 64)
		if shape == shapeMixed {
			line = appendPadded(append(line, ",s"...), i, strLen-1)
		}
		line = append(line, '\n')
		n, err := bw.Write(line)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, bw.Flush()
}

func countLines(r io.Reader) (int64, error) {
	buf := make([]byte, 1<<20)
	var lines int64
	for {
		n, err := r.Read(buf)
		lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return lines, err
		}
	}
}

// appendPadded appends i in decimal, zero-padded to width digits.
func appendPadded(dst []byte, i int64, width int) []byte {
	var tmp [20]byte
	d := strconv.AppendInt(tmp[:0], i, 10)
	for range width - len(d) {
		dst = append(dst, '0')
	}
	return append(dst, d...)
}

// reap waits for a child and explains a failure with the end of its stderr
// (a successful child's stderr, e.g. warnings, is not an error).
func reap(cmd *exec.Cmd, err error, stderr *bytes.Buffer) error {
	werr := cmd.Wait()
	if err == nil && werr == nil {
		return nil
	}
	s := stderr.String()
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return errors.Join(err, werr, fmt.Errorf("child stderr: %s", s))
}
