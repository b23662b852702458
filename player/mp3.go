package player

import (
	"errors"
	"fmt"
	"io"
	"os"

	gomp3 "github.com/hajimehoshi/go-mp3"

	"github.com/tapedeck/tapedeck/media"
)

// mp3Decoder drives go-mp3 directly (beep's wrapper reads one frame per call,
// several times slower) and trims the encoder delay and padding that the LAME
// tag declares. go-mp3 also outputs the Xing/Info frame itself as silence.
type mp3Decoder struct {
	f     *os.File
	d     *gomp3.Decoder
	skip  int64 // decoded frames before the first real sample
	total int64 // real frames, or -1
	pos   int64 // next real frame
	buf   []byte
	err   error
}

func newMP3(f *os.File, info media.Info) (*mp3Decoder, error) {
	d, err := gomp3.NewDecoder(newBufReadSeeker(f))
	if err != nil {
		return nil, err
	}
	m := &mp3Decoder{f: f, d: d, total: d.Length() / 4}
	if info.EncoderDelay > 0 || info.EncoderPadding > 0 {
		infoFrame := int64(1152)
		if d.SampleRate() < 32000 {
			infoFrame = 576 // MPEG-2/2.5 layer III frames are half as long
		}
		m.skip = infoFrame + int64(info.EncoderDelay) + mp3DecoderDelay
		m.total -= m.skip + max(0, int64(info.EncoderPadding)-mp3DecoderDelay)
	}
	if m.total <= 0 {
		return nil, errors.New("mp3: no audio frames")
	}
	if err := m.seek(0); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *mp3Decoder) rate() int     { return m.d.SampleRate() }
func (m *mp3Decoder) length() int64 { return m.total }
func (m *mp3Decoder) Err() error    { return m.err }
func (m *mp3Decoder) close() error  { return m.f.Close() }

func (m *mp3Decoder) seek(f int64) error {
	f = min(max(f, 0), m.total)
	if _, err := m.d.Seek((m.skip+f)*4, io.SeekStart); err != nil {
		return fmt.Errorf("mp3: seek: %w", err)
	}
	m.pos = f
	return nil
}

func (m *mp3Decoder) Stream(p [][2]float64) (int, bool) {
	if m.err != nil {
		return 0, false
	}
	want := min(int64(len(p)), m.total-m.pos)
	if want <= 0 {
		return 0, false
	}
	if cap(m.buf) < int(want)*4 {
		m.buf = make([]byte, want*4)
	}
	buf := m.buf[:want*4]
	n, err := io.ReadFull(m.d, buf)
	frames := n / 4
	for i := range frames {
		b := buf[i*4:]
		p[i][0] = float64(int16(uint16(b[0])|uint16(b[1])<<8)) / 32768
		p[i][1] = float64(int16(uint16(b[2])|uint16(b[3])<<8)) / 32768
	}
	m.pos += int64(frames)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		m.err = fmt.Errorf("mp3: %w", err)
	}
	if err != nil && m.pos < m.total && m.err == nil {
		m.err = fmt.Errorf("mp3: truncated: %d of %d frames", m.pos, m.total)
	}
	return frames, frames > 0
}
