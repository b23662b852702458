package media

import (
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	oggMaxHeaderPages = 512      // pages scanned for the header packets
	oggMaxPacket      = maxAlloc // largest header packet assembled
	oggTail           = 64 << 10 // bytes read from the end for the last granule
)

// oggPage is a parsed page header.
type oggPage struct {
	flags   byte
	granule int64
	serial  uint32
	lacing  []byte
	hdrLen  int64 // 27 + segments
	bodyLen int64
}

func parseOggPage(b []byte) (p oggPage, ok bool) {
	if len(b) < 27 || string(b[:4]) != "OggS" || b[4] != 0 {
		return p, false
	}
	n := int(b[26])
	if len(b) < 27+n {
		return p, false
	}
	p.flags = b[5]
	p.granule = int64(binary.LittleEndian.Uint64(b[6:14]))
	p.serial = binary.LittleEndian.Uint32(b[14:18])
	p.lacing = b[27 : 27+n]
	p.hdrLen = int64(27 + n)
	for _, l := range p.lacing {
		p.bodyLen += int64(l)
	}
	return p, true
}

// oggTable is for Ogg's CRC-32: polynomial 0x04c11db7, not reflected, which
// hash/crc32 (reflected only) cannot compute.
var oggTable = func() *[256]uint32 {
	var t [256]uint32
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return &t
}()

// oggCRC computes the page checksum (with the CRC field zeroed).
func oggCRC(page []byte) uint32 {
	var crc uint32
	for i, c := range page {
		if i >= 22 && i < 26 {
			c = 0
		}
		crc = crc<<8 ^ oggTable[byte(crc>>24)^c]
	}
	return crc
}

func readOgg(s *source, info *Info) error {
	info.Format = "ogg"
	r := &oggReader{s: s}
	id, err := r.packet()
	if err != nil {
		return malformed("ogg", "identification header: %v", err)
	}
	var prefix string
	preskip := int64(0)
	switch {
	case len(id) >= 30 && string(id[:7]) == "\x01vorbis":
		info.Codec = "vorbis"
		info.Channels = int(id[11])
		info.SampleRate = int(binary.LittleEndian.Uint32(id[12:16]))
		prefix = "\x03vorbis"
	case len(id) >= 19 && string(id[:8]) == "OpusHead":
		info.Format, info.Codec = "opus", "opus"
		info.Channels = int(id[9])
		info.SampleRate = 48000
		preskip = int64(binary.LittleEndian.Uint16(id[10:12]))
		info.EncoderDelay = int(preskip)
		prefix = "OpusTags"
	default:
		return malformed("ogg", "first packet is neither Vorbis nor Opus")
	}
	if info.SampleRate <= 0 || info.Channels <= 0 {
		return malformed(info.Format, "bad sample rate or channel count")
	}
	m := tagMap{}
	var tagErrs error
	if c, err := r.packet(); err != nil {
		tagErrs = fmt.Errorf("comment header: %w", err)
	} else if len(c) < len(prefix) || string(c[:len(prefix)]) != prefix {
		tagErrs = errors.New("second packet is not a comment header")
	} else if err := readVorbisComments(c[len(prefix):], m); err != nil {
		tagErrs = err
	}
	granule, err := lastGranule(s, r.serial)
	if err != nil {
		return malformed(info.Format, "%v", err)
	}
	samples := granule - preskip
	if samples <= 0 {
		return malformed(info.Format, "last granule position %d is not past the start", granule)
	}
	rate := int64(info.SampleRate)
	info.DurationMs = toMs(samples, rate)
	if info.DurationMs > 0 {
		info.Bitrate = int(s.size * 8 / info.DurationMs)
	}
	m.apply(info)
	if tagErrs != nil {
		return tagErr(fmt.Errorf("%s: %w", info.Format, tagErrs))
	}
	return nil
}

// oggReader assembles the first logical stream's packets page by page.
type oggReader struct {
	s      *source
	off    int64
	pages  int
	serial uint32
	seg    []byte // lacing values left on the current page
	body   int64  // offset of the next unread body byte
}

func (r *oggReader) nextPage() error {
	for {
		if r.pages >= oggMaxHeaderPages {
			return errors.New("header packets span too many pages")
		}
		hb, err := r.s.bytes(r.off, min(27+255, r.s.size-r.off))
		if err != nil {
			return err
		}
		p, ok := parseOggPage(hb)
		if !ok {
			return fmt.Errorf("no Ogg page at offset %d", r.off)
		}
		if r.off+p.hdrLen+p.bodyLen > r.s.size {
			return fmt.Errorf("page at offset %d runs past end of file", r.off)
		}
		r.pages++
		start := r.off
		r.off += p.hdrLen + p.bodyLen
		if r.pages == 1 {
			r.serial = p.serial
		} else if p.serial != r.serial {
			continue // another multiplexed stream
		}
		r.seg = append(r.seg[:0], p.lacing...)
		r.body = start + p.hdrLen
		return nil
	}
}

// packet returns the next complete packet of the stream.
func (r *oggReader) packet() ([]byte, error) {
	var pkt []byte
	for {
		for len(r.seg) == 0 {
			if err := r.nextPage(); err != nil {
				return nil, err
			}
		}
		n := int64(0)
		done := false
		for len(r.seg) > 0 {
			l := r.seg[0]
			r.seg = r.seg[1:]
			n += int64(l)
			if l < 255 {
				done = true
				break
			}
		}
		if int64(len(pkt))+n > oggMaxPacket {
			return nil, errors.New("header packet too large")
		}
		b, err := r.s.bytes(r.body, n)
		if err != nil {
			return nil, err
		}
		pkt = append(pkt, b...)
		r.body += n
		if done {
			return pkt, nil
		}
	}
}

// lastGranule finds the granule position of the stream's last page by
// scanning the file's tail backwards for a page with a valid checksum.
func lastGranule(s *source, serial uint32) (int64, error) {
	for _, span := range []int64{oggTail, 1 << 20} {
		n := min(s.size, span)
		tail, err := s.bytes(s.size-n, n)
		if err != nil {
			return 0, err
		}
		for i := len(tail) - 27; i >= 0; i-- {
			if tail[i] != 'O' || string(tail[i:i+4]) != "OggS" {
				continue
			}
			p, ok := parseOggPage(tail[i:])
			if !ok || p.serial != serial || p.granule < 0 {
				continue
			}
			end := int64(i) + p.hdrLen + p.bodyLen
			if end > int64(len(tail)) || oggCRC(tail[i:end]) != binary.LittleEndian.Uint32(tail[i+22:]) {
				continue
			}
			return p.granule, nil
		}
		if n == s.size {
			break
		}
	}
	return 0, errors.New("no Ogg page with a granule position found at the end of the file")
}
