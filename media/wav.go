package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

const maxWAVChunks = 4096

// infoKeys maps RIFF INFO chunk ids onto tagMap keys. "ISRC" is, by the
// RIFF spec, "source", but taggers write the recording code there.
var infoKeys = map[string]string{
	"INAM": "TITLE", "IART": "ARTIST", "IPRD": "ALBUM", "ITRK": "TRACKNUMBER",
	"IPRT": "TRACKNUMBER", "ICRD": "DATE", "IGNR": "GENRE", "ISRC": "ISRC",
}

func readWAV(s *source, info *Info) error {
	info.Format = "wav"
	h, err := s.bytes(0, 12)
	if err != nil || (string(h[:4]) != "RIFF" && string(h[:4]) != "RF64") || string(h[8:12]) != "WAVE" {
		return malformed("wav", "no RIFF/RF64 WAVE header")
	}
	rf64 := string(h[:4]) == "RF64"
	var (
		fmtSeen        bool
		dataSize       int64 = -1
		ds64Data       int64 = -1
		byteRate       int64
		fmtCode        uint16
		factSamples    int64 = -1
		infoTags, id3s       = tagMap{}, tagMap{}
		tagErrs        error
	)
	off := int64(12)
	for i := 0; off+8 <= s.size; i++ {
		if i == maxWAVChunks {
			return malformed("wav", "more than %d chunks", maxWAVChunks)
		}
		ch, err := s.bytes(off, 8)
		if err != nil {
			return malformed("wav", "chunk header at %d: %v", off, err)
		}
		id := string(ch[:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:8]))
		body := off + 8
		if id == "data" && rf64 && size == 0xffffffff && ds64Data >= 0 {
			size = ds64Data
		}
		avail := s.size - body
		switch id {
		case "fmt ":
			b, err := s.bytes(body, min(size, avail, 40))
			if err != nil || len(b) < 16 {
				return malformed("wav", "fmt chunk too short")
			}
			fmtCode = binary.LittleEndian.Uint16(b[0:2])
			if fmtCode == 0xfffe && len(b) >= 26 {
				fmtCode = binary.LittleEndian.Uint16(b[24:26]) // extensible sub-format
			}
			info.Channels = int(binary.LittleEndian.Uint16(b[2:4]))
			info.SampleRate = int(binary.LittleEndian.Uint32(b[4:8]))
			byteRate = int64(binary.LittleEndian.Uint32(b[8:12]))
			fmtSeen = true
		case "ds64":
			if b, err := s.bytes(body, min(size, avail, 28)); err == nil && len(b) >= 16 {
				ds64Data = int64(binary.LittleEndian.Uint64(b[8:16]))
			}
		case "fact":
			if b, err := s.bytes(body, min(size, avail, 4)); err == nil && len(b) == 4 {
				factSamples = int64(binary.LittleEndian.Uint32(b))
			}
		case "data":
			dataSize = min(size, avail) // a truncated file plays what it has
		case "LIST":
			if size <= maxFrame && size <= avail {
				if b, err := s.bytes(body, size); err == nil {
					readINFO(b, infoTags)
				}
			}
		case "id3 ", "ID3 ":
			if size <= avail {
				if err := readID3v2(s, body, id3s); err != nil && tagErrs == nil {
					tagErrs = err
				}
			}
		}
		off = body + size + size&1
	}
	if !fmtSeen {
		return malformed("wav", "no fmt chunk")
	}
	if dataSize < 0 {
		return malformed("wav", "no data chunk")
	}
	if info.SampleRate <= 0 || info.Channels <= 0 || byteRate <= 0 {
		return malformed("wav", "fmt chunk has zero rate, channels or byte rate")
	}
	switch fmtCode {
	case 1, 3:
		info.Codec = "pcm"
		info.DurationMs = toMs(dataSize, byteRate)
	default:
		info.Codec = fmt.Sprintf("wav-0x%04x", fmtCode)
		info.DurationMs = toMs(dataSize, byteRate)
		if factSamples > 0 {
			info.DurationMs = toMs(factSamples, int64(info.SampleRate))
		}
	}
	info.Bitrate = int(byteRate * 8 / 1000)
	// The id3 chunk is richer (multiple artists, MusicBrainz ids); INFO
	// fills what it lacks.
	for k, v := range infoTags {
		if _, ok := id3s[k]; !ok {
			id3s[k] = v
		}
	}
	id3s.apply(info)
	if tagErrs != nil {
		return tagErr(fmt.Errorf("wav: %w", tagErrs))
	}
	return nil
}

// readINFO parses a LIST chunk body of type INFO.
func readINFO(b []byte, m tagMap) {
	if len(b) < 4 || string(b[:4]) != "INFO" {
		return
	}
	b = b[4:]
	for len(b) >= 8 {
		id := string(b[:4])
		n := int(binary.LittleEndian.Uint32(b[4:8]))
		b = b[8:]
		if n < 0 || n > len(b) {
			return
		}
		if key, ok := infoKeys[id]; ok {
			v := b[:n]
			if i := bytes.IndexByte(v, 0); i >= 0 {
				v = v[:i]
			}
			m.add(key, string(bytes.ToValidUTF8(v, []byte("\uFFFD"))))
		}
		b = b[min(n+n&1, len(b)):]
	}
}
