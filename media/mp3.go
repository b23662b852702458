package media

import (
	"bufio"
	"encoding/binary"
	"io"
)

const (
	mp3SearchWindow = 64 << 10 // how far past the tags the first frame may be
	mp3MaxCount     = 1 << 20  // frames counted at most in the VBR fallback
)

// mpegHeader is one decoded MPEG audio frame header.
type mpegHeader struct {
	version    int // 1, 2 or 25 (MPEG 2.5)
	layer      int // 1, 2, 3
	bitrate    int // kbit/s
	sampleRate int
	channels   int
	length     int // frame length in bytes
	samples    int // samples per frame
}

var mpegBitrates = [2][3][16]int{
	{ // MPEG 1: layer 1, 2, 3
		{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},
	},
	{ // MPEG 2 and 2.5
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
	},
}

var mpegRates = [3]int{44100, 48000, 32000}

// parseMPEGHeader decodes 4 bytes; ok is false for anything that is not a
// valid, non-free-format frame header.
func parseMPEGHeader(b []byte) (h mpegHeader, ok bool) {
	if len(b) < 4 || b[0] != 0xff || b[1]&0xe0 != 0xe0 {
		return h, false
	}
	verBits, layerBits := (b[1]>>3)&3, (b[1]>>1)&3
	brIdx, srIdx := b[2]>>4, (b[2]>>2)&3
	if verBits == 1 || layerBits == 0 || brIdx == 0 || brIdx == 15 || srIdx == 3 {
		return h, false
	}
	switch verBits {
	case 3:
		h.version = 1
	case 2:
		h.version = 2
	default:
		h.version = 25
	}
	h.layer = 4 - int(layerBits)
	row := 0
	if h.version != 1 {
		row = 1
	}
	h.bitrate = mpegBitrates[row][h.layer-1][brIdx]
	h.sampleRate = mpegRates[srIdx]
	if h.version == 2 {
		h.sampleRate /= 2
	} else if h.version == 25 {
		h.sampleRate /= 4
	}
	h.channels = 2
	if b[3]>>6 == 3 {
		h.channels = 1
	}
	pad := int(b[2]>>1) & 1
	switch {
	case h.layer == 1:
		h.samples = 384
		h.length = (12*h.bitrate*1000/h.sampleRate + pad) * 4
	case h.layer == 3 && h.version != 1:
		h.samples = 576
		h.length = 72*h.bitrate*1000/h.sampleRate + pad
	default:
		h.samples = 1152
		h.length = 144*h.bitrate*1000/h.sampleRate + pad
	}
	return h, h.length >= 4
}

func sameStream(a, b mpegHeader) bool {
	return a.version == b.version && a.layer == b.layer && a.sampleRate == b.sampleRate
}

func readMP3(s *source, info *Info) error {
	info.Format, info.Codec = "mp3", "mp3"
	m := tagMap{}
	var tagErrs error
	start := int64(0)
	for range 4 { // leading ID3v2 tags, sometimes more than one
		hdr, err := s.bytes(start, 10)
		if err != nil {
			break
		}
		n := id3Size(hdr)
		if n == 0 {
			break
		}
		if err := readID3v2(s, start, m); err != nil && tagErrs == nil {
			tagErrs = err
		}
		start += n
	}
	end := mp3AudioEnd(s, m)

	off, h, err := findFirstFrame(s, start, end)
	if err != nil {
		return err
	}
	info.SampleRate, info.Channels = h.sampleRate, h.channels
	if err := mp3Duration(s, info, off, end, h); err != nil {
		return err
	}
	m.apply(info)
	return tagErr(tagErrs)
}

// mp3AudioEnd finds where the audio ends, before a trailing ID3v1 tag and
// an APEv2 tag; the ID3v1 tag fills m only where ID3v2 left it empty.
func mp3AudioEnd(s *source, m tagMap) int64 {
	end := s.size
	if end >= 128 {
		if b, err := s.bytes(end-128, 128); err == nil && string(b[:3]) == "TAG" {
			if len(m) == 0 {
				readID3v1(b, m)
			}
			end -= 128
		}
	}
	if end >= 32 {
		if b, err := s.bytes(end-32, 32); err == nil && string(b[:8]) == "APETAGEX" {
			n := int64(binary.LittleEndian.Uint32(b[12:16]))
			if binary.LittleEndian.Uint32(b[20:24])&(1<<31) != 0 {
				n += 32 // header present
			}
			if n <= end {
				end -= n
			}
		}
	}
	return end
}

// findFirstFrame looks for a frame header whose successor is also a frame
// header of the same stream, which random data rarely produces.
func findFirstFrame(s *source, start, end int64) (int64, mpegHeader, error) {
	// Most files have the frame right there: look at a small window first.
	if off, h, err := scanFrames(s, start, end, 4<<10); err == nil {
		return off, h, nil
	}
	return scanFrames(s, start, end, mp3SearchWindow)
}

func scanFrames(s *source, start, end, window int64) (int64, mpegHeader, error) {
	n := min(end-start, window+4)
	if n < 4 {
		return 0, mpegHeader{}, malformed("mp3", "no MPEG frame: file too short")
	}
	win, err := s.bytes(start, n)
	if err != nil {
		return 0, mpegHeader{}, malformed("mp3", "reading first frame: %v", err)
	}
	for i := 0; i+4 <= len(win); i++ {
		if win[i] != 0xff {
			continue
		}
		h, ok := parseMPEGHeader(win[i:])
		if !ok {
			continue
		}
		off := start + int64(i)
		next := off + int64(h.length)
		if next == end || (next < end && next+4 > end) {
			return off, h, nil
		}
		nb, err := s.bytes(next, 4)
		if err != nil {
			continue
		}
		if h2, ok := parseMPEGHeader(nb); ok && sameStream(h, h2) {
			return off, h, nil
		}
	}
	return 0, mpegHeader{}, malformed("mp3", "no MPEG frame found in first 64 KiB")
}

// mp3Duration sets duration, bitrate and gapless fields from a Xing/Info or
// VBRI header, from the bitrate (CBR) or by counting frames (VBR).
func mp3Duration(s *source, info *Info, off, end int64, h mpegHeader) error {
	frame, err := s.bytes(off, min(int64(h.length), end-off))
	if err != nil {
		return malformed("mp3", "reading first frame: %v", err)
	}
	audio := end - off
	if frames, bytes, ok := xingHeader(frame, h, info); ok {
		if bytes > 0 && bytes <= audio {
			audio = bytes
		}
		setMP3Duration(info, int64(frames)*int64(h.samples), audio, h)
		return nil
	}
	if frames, bytes, ok := vbriHeader(frame); ok {
		if bytes > 0 && bytes <= audio {
			audio = bytes
		}
		setMP3Duration(info, int64(frames)*int64(h.samples), audio, h)
		return nil
	}
	if isCBR(s, off, end, h) {
		info.Bitrate = h.bitrate
		info.DurationMs = toMs(audio*8, int64(h.bitrate)*1000)
		return nil
	}
	frames, err := countFrames(s, off, end)
	if err != nil {
		return err
	}
	setMP3Duration(info, frames*int64(h.samples), audio, h)
	return nil
}

func setMP3Duration(info *Info, samples, audio int64, h mpegHeader) {
	samples -= int64(info.EncoderDelay + info.EncoderPadding)
	if samples <= 0 {
		return
	}
	info.DurationMs = toMs(samples, int64(h.sampleRate))
	if info.DurationMs > 0 {
		info.Bitrate = int((audio*8 + info.DurationMs/2) / info.DurationMs)
	}
}

// xingHeader reads a Xing/Info header and its LAME extension (encoder delay
// and padding) from the first frame.
func xingHeader(frame []byte, h mpegHeader, info *Info) (frames uint32, bytes int64, ok bool) {
	side := 32
	switch {
	case h.version == 1 && h.channels == 1:
		side = 17
	case h.version != 1 && h.channels == 2:
		side = 17
	case h.version != 1:
		side = 9
	}
	p := 4 + side
	if len(frame) < p+8 {
		return 0, 0, false
	}
	tag := string(frame[p : p+4])
	if tag != "Xing" && tag != "Info" {
		return 0, 0, false
	}
	flags := binary.BigEndian.Uint32(frame[p+4:])
	q := p + 8
	if flags&1 == 0 {
		return 0, 0, false // no frame count: useless for duration
	}
	if len(frame) < q+4 {
		return 0, 0, false
	}
	frames = binary.BigEndian.Uint32(frame[q:])
	q += 4
	if flags&2 != 0 && len(frame) >= q+4 {
		bytes = int64(binary.BigEndian.Uint32(frame[q:]))
		q += 4
	}
	if flags&4 != 0 {
		q += 100
	}
	if flags&8 != 0 {
		q += 4
	}
	// LAME extension: 9-byte encoder string, then delay/padding at +21.
	if len(frame) >= q+24 && printable(frame[q:q+4]) {
		d := frame[q+21 : q+24]
		info.EncoderDelay = int(d[0])<<4 | int(d[1])>>4
		info.EncoderPadding = int(d[1]&0x0f)<<8 | int(d[2])
	}
	return frames, bytes, frames > 0
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func vbriHeader(frame []byte) (frames uint32, bytes int64, ok bool) {
	const p = 4 + 32
	if len(frame) < p+18 || string(frame[p:p+4]) != "VBRI" {
		return 0, 0, false
	}
	bytes = int64(binary.BigEndian.Uint32(frame[p+10:]))
	frames = binary.BigEndian.Uint32(frame[p+14:])
	return frames, bytes, frames > 0
}

// isCBR samples frames spread over the file: all at the same bitrate means
// constant bitrate.
func isCBR(s *source, off, end int64, h mpegHeader) bool {
	pos := off
	for i := 0; i < 8; i++ {
		b, err := s.bytes(pos, 4)
		if err != nil {
			return true
		}
		h2, ok := parseMPEGHeader(b)
		if !ok {
			return true // lost sync: trust the first frame
		}
		if h2.bitrate != h.bitrate {
			return false
		}
		pos += int64(h2.length)
		if pos+4 > end {
			return true
		}
	}
	return true
}

// countFrames walks every frame header; the work is bounded by mp3MaxCount,
// past which the count is extrapolated from the bytes covered.
func countFrames(s *source, off, end int64) (int64, error) {
	br := bufio.NewReaderSize(s.sectionReader(off, end-off), 64<<10)
	var frames, pos int64
	for frames < mp3MaxCount {
		b, err := br.Peek(4)
		if err != nil {
			break
		}
		h, ok := parseMPEGHeader(b)
		if !ok {
			break
		}
		if _, err := br.Discard(h.length); err != nil {
			if err == io.EOF {
				frames++
			}
			break
		}
		frames++
		pos += int64(h.length)
	}
	if frames == 0 {
		return 0, malformed("mp3", "no frames counted")
	}
	if frames >= mp3MaxCount && pos > 0 {
		frames = frames * (end - off) / pos
	}
	return frames, nil
}
