package media

import (
	"errors"
	"fmt"
	"io"
)

const (
	headSize = 16 << 10 // bytes cached from the start of every file
	maxAlloc = 16 << 20 // largest single read a header may ask for
)

var errShort = errors.New("unexpected end of file")

// source gives random access to a file, serving its first bytes from memory
// so that header parsing costs one read.
type source struct {
	r    io.ReadSeeker
	ra   io.ReaderAt
	size int64
	head []byte
	// win caches one more region (such as an MP4 moov box) read at once.
	win    []byte
	winOff int64
}

// preload reads [off, off+n) into the window cache when it is small enough,
// so that parsing it costs one read instead of one per box.
func (s *source) preload(off, n int64) {
	if n <= 0 || n > 4<<20 || off < 0 || off > s.size || n > s.size-off {
		return
	}
	buf := make([]byte, n)
	if s.readInto(buf, off) == nil {
		s.win, s.winOff = buf, off
	}
}

func newSource(r io.ReadSeeker, size int64) (*source, error) {
	s := &source{r: r, size: size}
	if ra, ok := r.(io.ReaderAt); ok {
		s.ra = ra
	}
	buf := make([]byte, min(size, headSize))
	if err := s.readInto(buf, 0); err != nil {
		return nil, err
	}
	s.head = buf
	return s, nil
}

// readInto fills p from offset off.
func (s *source) readInto(p []byte, off int64) error {
	if off < 0 || off > s.size || int64(len(p)) > s.size-off {
		return errShort
	}
	if off+int64(len(p)) <= int64(len(s.head)) {
		copy(p, s.head[off:])
		return nil
	}
	if off >= s.winOff && off+int64(len(p)) <= s.winOff+int64(len(s.win)) {
		copy(p, s.win[off-s.winOff:])
		return nil
	}
	if s.ra != nil {
		n, err := s.ra.ReadAt(p, off)
		if n == len(p) {
			return nil
		}
		if err == io.EOF || err == nil {
			return errShort
		}
		return err
	}
	if _, err := s.r.Seek(off, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.ReadFull(s.r, p); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return errShort
		}
		return err
	}
	return nil
}

// bytes returns n bytes at off. The result may alias the head cache and must
// not be modified.
func (s *source) bytes(off int64, n int64) ([]byte, error) {
	if n < 0 || n > maxAlloc {
		return nil, fmt.Errorf("block of %d bytes at offset %d is too large", n, off)
	}
	if off < 0 || off > s.size || n > s.size-off {
		return nil, errShort
	}
	if off+n <= int64(len(s.head)) {
		return s.head[off : off+n : off+n], nil
	}
	if w := off - s.winOff; w >= 0 && off+n <= s.winOff+int64(len(s.win)) {
		return s.win[w : w+n : w+n], nil
	}
	p := make([]byte, n)
	return p, s.readInto(p, off)
}

// sectionReader returns a reader over [off, off+n) of the file.
func (s *source) sectionReader(off, n int64) io.Reader {
	if s.ra != nil {
		return io.NewSectionReader(s.ra, off, n)
	}
	return &seekSection{s: s, off: off, end: off + n}
}

type seekSection struct {
	s        *source
	off, end int64
}

func (r *seekSection) Read(p []byte) (int, error) {
	if r.off >= r.end {
		return 0, io.EOF
	}
	if rem := r.end - r.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	if err := r.s.readInto(p, r.off); err != nil {
		return 0, err
	}
	r.off += int64(len(p))
	return len(p), nil
}
