package media

import (
	"encoding/binary"
	"errors"
	"strings"
)

// readVorbisComments parses a Vorbis comment block (without any packet
// prefix) into m. Every length is checked against the block before use.
func readVorbisComments(b []byte, m tagMap) error {
	next := func() ([]byte, error) {
		if len(b) < 4 {
			return nil, errors.New("vorbis comment: truncated")
		}
		n := binary.LittleEndian.Uint32(b)
		b = b[4:]
		if uint64(n) > uint64(len(b)) {
			return nil, errors.New("vorbis comment: length runs past the block")
		}
		s := b[:n]
		b = b[n:]
		return s, nil
	}
	if _, err := next(); err != nil { // vendor string
		return err
	}
	if len(b) < 4 {
		return errors.New("vorbis comment: truncated")
	}
	count := binary.LittleEndian.Uint32(b)
	b = b[4:]
	if uint64(count) > uint64(len(b)/4) {
		return errors.New("vorbis comment: count exceeds the block")
	}
	for range count {
		c, err := next()
		if err != nil {
			return err
		}
		k, v, ok := strings.Cut(string(c), "=")
		if !ok {
			continue
		}
		m.add(k, strings.ToValidUTF8(v, "\uFFFD"))
	}
	return nil
}
