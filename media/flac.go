package media

import (
	"encoding/binary"
	"fmt"
)

const maxFLACBlocks = 1024 // metadata blocks read at most

func readFLAC(s *source, info *Info) error {
	info.Format, info.Codec = "flac", "flac"
	m := tagMap{}
	var tagErrs error
	off := int64(0)
	if hdr, err := s.bytes(0, 10); err == nil {
		if n := id3Size(hdr); n > 0 {
			if err := readID3v2(s, 0, m); err != nil {
				tagErrs = err
			}
			off = n
		}
	}
	magic, err := s.bytes(off, 4)
	if err != nil || string(magic) != "fLaC" {
		return malformed("flac", "no fLaC signature")
	}
	off += 4
	var total uint64
	seenInfo := false
	for i := 0; ; i++ {
		if i == maxFLACBlocks {
			return malformed("flac", "more than %d metadata blocks", maxFLACBlocks)
		}
		h, err := s.bytes(off, 4)
		if err != nil {
			return malformed("flac", "metadata block header at offset %d: %v", off, err)
		}
		last, typ := h[0]&0x80 != 0, h[0]&0x7f
		n := int64(h[1])<<16 | int64(h[2])<<8 | int64(h[3])
		off += 4
		if n > s.size-off {
			return malformed("flac", "metadata block of %d bytes runs past end of file", n)
		}
		switch typ {
		case 0:
			b, err := s.bytes(off, n)
			if err != nil || n < 34 {
				return malformed("flac", "STREAMINFO too short")
			}
			total = flacStreamInfo(b, info)
			seenInfo = true
		case 4:
			if b, err := s.bytes(off, n); err != nil {
				tagErrs = err
			} else if err := readVorbisComments(b, m); err != nil && tagErrs == nil {
				tagErrs = err
			}
		case 127:
			return malformed("flac", "invalid metadata block type 127")
		}
		off += n
		if last {
			break
		}
	}
	if !seenInfo || info.SampleRate == 0 {
		return malformed("flac", "no valid STREAMINFO block")
	}
	if total == 0 {
		return malformed("flac", "STREAMINFO has no total sample count")
	}
	info.DurationMs = toMs(int64(total), int64(info.SampleRate))
	if info.DurationMs > 0 {
		info.Bitrate = int((s.size - off) * 8 / info.DurationMs)
	}
	m.apply(info)
	if tagErrs != nil {
		return tagErr(fmt.Errorf("flac: %w", tagErrs))
	}
	return nil
}

// flacStreamInfo decodes STREAMINFO and returns the total sample count.
func flacStreamInfo(b []byte, info *Info) uint64 {
	v := binary.BigEndian.Uint64(b[10:18])
	info.SampleRate = int(v >> 44)
	info.Channels = int(v>>41&7) + 1
	return v & (1<<36 - 1)
}
