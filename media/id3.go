package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// maxFrame caps the size of one ID3 frame that is read into memory; larger
// text frames are not plausible and pictures are skipped without reading.
const maxFrame = 1 << 20

// id3Size returns the total size (header, body, footer) of the ID3v2 tag at
// the start of b, or 0 when b does not start with one.
func id3Size(b []byte) int64 {
	if len(b) < 10 || string(b[:3]) != "ID3" || b[3] < 2 || b[3] > 4 || b[5]&0x0f != 0 {
		return 0
	}
	sz, ok := syncsafe(b[6:10])
	if !ok {
		return 0
	}
	n := int64(sz) + 10
	if b[3] == 4 && b[5]&0x10 != 0 {
		n += 10
	}
	return n
}

func syncsafe(b []byte) (uint32, bool) {
	var n uint32
	for _, c := range b {
		if c&0x80 != 0 {
			return 0, false
		}
		n = n<<7 | uint32(c)
	}
	return n, true
}

// v22Names maps ID3v2.2 frame ids to their v2.3 equivalents.
var v22Names = map[string]string{
	"TT2": "TIT2", "TP1": "TPE1", "TP2": "TPE2", "TAL": "TALB", "TRK": "TRCK",
	"TPA": "TPOS", "TYE": "TYER", "TCO": "TCON", "TRC": "TSRC", "TXX": "TXXX",
	"UFI": "UFID", "TOR": "TORY",
}

// id3Keys maps ID3 text frames onto tagMap keys.
var id3Keys = map[string]string{
	"TIT2": "TITLE", "TPE1": "ARTIST", "TALB": "ALBUM", "TPE2": "ALBUMARTIST",
	"TRCK": "TRACKNUMBER", "TPOS": "DISCNUMBER", "TDRC": "DATE", "TYER": "YEAR",
	"TCON": "GENRE", "TSRC": "ISRC", "TDOR": "ORIGINALDATE", "TORY": "ORIGINALYEAR",
}

// readID3v2 parses the ID3v2 tag at off into m, reading only the frames it
// maps. It returns an error on a malformed tag, keeping what it had read.
func readID3v2(s *source, off int64, m tagMap) error {
	hdr, err := s.bytes(off, 10)
	if err != nil {
		return fmt.Errorf("id3v2 header: %w", err)
	}
	total := id3Size(hdr)
	if total == 0 {
		return errors.New("bad id3v2 header")
	}
	ver, flags := hdr[3], hdr[5]
	size := total - 10
	if ver == 4 && flags&0x10 != 0 {
		size -= 10
	}
	if size > s.size-off-10 {
		return errors.New("id3v2 tag runs past end of file")
	}
	t := &id3Tag{s: s, ver: ver, m: m, pos: off + 10, end: off + 10 + size}
	if flags&0x80 != 0 && ver < 4 {
		// Tag-wide unsynchronisation: undo it in memory, then parse there.
		body, err := s.bytes(t.pos, size)
		if err != nil {
			return fmt.Errorf("id3v2: %w", err)
		}
		t.mem = unsync(body)
		t.pos, t.end = 0, int64(len(t.mem))
	}
	t.unsyncAll = flags&0x80 != 0 && ver == 4
	if flags&0x40 != 0 && ver >= 3 {
		if err := t.skipExtHeader(); err != nil {
			return err
		}
	}
	return t.frames()
}

type id3Tag struct {
	s         *source
	mem       []byte // set when the tag body was de-unsynchronised in memory
	ver       byte
	unsyncAll bool
	pos, end  int64
	m         tagMap
}

func (t *id3Tag) read(off, n int64) ([]byte, error) {
	if t.mem != nil {
		if off < 0 || n < 0 || off+n > int64(len(t.mem)) {
			return nil, errShort
		}
		return t.mem[off : off+n], nil
	}
	return t.s.bytes(off, n)
}

func (t *id3Tag) skipExtHeader() error {
	b, err := t.read(t.pos, 4)
	if err != nil {
		return fmt.Errorf("id3v2 extended header: %w", err)
	}
	var n int64
	if t.ver == 3 {
		n = int64(binary.BigEndian.Uint32(b)) + 4
	} else {
		v, ok := syncsafe(b)
		if !ok {
			return errors.New("id3v2: bad extended header size")
		}
		n = int64(v)
	}
	if n < 4 || n > t.end-t.pos {
		return errors.New("id3v2: bad extended header size")
	}
	t.pos += n
	return nil
}

func validFrameID(id []byte) bool {
	for _, c := range id {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func (t *id3Tag) frames() error {
	hlen := int64(10)
	if t.ver == 2 {
		hlen = 6
	}
	for t.pos+hlen <= t.end {
		h, err := t.read(t.pos, hlen)
		if err != nil {
			return fmt.Errorf("id3v2 frame header: %w", err)
		}
		if h[0] == 0 {
			return nil // padding
		}
		idLen := 4
		if t.ver == 2 {
			idLen = 3
		}
		if !validFrameID(h[:idLen]) {
			return fmt.Errorf("id3v2: bad frame id %q at offset %d", h[:idLen], t.pos)
		}
		id := string(h[:idLen])
		var size int64
		var fflags uint16
		switch t.ver {
		case 2:
			size = int64(h[3])<<16 | int64(h[4])<<8 | int64(h[5])
			id = v22Names[id]
		case 3:
			size = int64(binary.BigEndian.Uint32(h[4:8]))
			fflags = binary.BigEndian.Uint16(h[8:10])
		case 4:
			size = t.v4FrameSize(h[4:8])
			fflags = binary.BigEndian.Uint16(h[8:10])
		}
		body := t.pos + hlen
		if size > t.end-body {
			return fmt.Errorf("id3v2: frame %s of %d bytes runs past the tag", id, size)
		}
		t.pos = body + size
		if !wantFrame(id) || size > maxFrame {
			continue
		}
		b, err := t.read(body, size)
		if err != nil {
			return fmt.Errorf("id3v2 frame %s: %w", id, err)
		}
		b, ok := t.frameData(b, fflags)
		if !ok {
			continue
		}
		if err := t.frame(id, b); err != nil {
			return err
		}
	}
	return nil
}

// v4FrameSize reads a v2.4 frame size, which should be syncsafe; iTunes and
// others wrote plain integers, detected by a high bit set or by the syncsafe
// reading not landing on a frame boundary while the plain one does.
func (t *id3Tag) v4FrameSize(b []byte) int64 {
	plain := int64(binary.BigEndian.Uint32(b))
	v, ok := syncsafe(b)
	if !ok {
		return plain
	}
	safe := int64(v)
	if safe == plain || t.landsOnFrame(safe) || !t.landsOnFrame(plain) {
		return safe
	}
	return plain
}

func (t *id3Tag) landsOnFrame(size int64) bool {
	next := t.pos + 10 + size
	if next == t.end {
		return true
	}
	b, err := t.read(next, 4)
	if err != nil {
		return false
	}
	return b[0] == 0 || validFrameID(b)
}

func wantFrame(id string) bool {
	if id == "" {
		return false
	}
	_, ok := id3Keys[id]
	return ok || id == "TXXX" || id == "UFID"
}

// frameData undoes per-frame flags; ok is false for frames that cannot be
// read (compressed or encrypted), which are skipped.
func (t *id3Tag) frameData(b []byte, flags uint16) ([]byte, bool) {
	switch t.ver {
	case 3:
		if flags&0x00c0 != 0 { // compression, encryption
			return nil, false
		}
		if flags&0x0020 != 0 { // grouping identity
			if len(b) < 1 {
				return nil, false
			}
			b = b[1:]
		}
	case 4:
		if flags&0x000c != 0 { // compression, encryption
			return nil, false
		}
		if flags&0x0040 != 0 {
			if len(b) < 1 {
				return nil, false
			}
			b = b[1:]
		}
		if flags&0x0001 != 0 { // data length indicator
			if len(b) < 4 {
				return nil, false
			}
			b = b[4:]
		}
		if flags&0x0002 != 0 || t.unsyncAll {
			b = unsync(b)
		}
	}
	return b, true
}

func (t *id3Tag) frame(id string, b []byte) error {
	switch id {
	case "TXXX":
		if len(b) < 1 {
			return nil
		}
		vals := decodeText(b[0], b[1:])
		if len(vals) < 2 {
			return nil
		}
		for _, v := range vals[1:] {
			t.m.add(vals[0], v)
		}
	case "UFID":
		owner, ident, ok := bytes.Cut(b, []byte{0})
		if ok && string(owner) == "http://musicbrainz.org" {
			t.m.add("MUSICBRAINZ_TRACKID", string(ident))
		}
	default:
		if len(b) < 1 {
			return nil
		}
		key := id3Keys[id]
		for _, v := range decodeText(b[0], b[1:]) {
			if key == "GENRE" {
				v = id3Genre(v)
			}
			t.m.add(key, v)
		}
	}
	return nil
}

// unsync removes the 0x00 stuffed after every 0xFF.
func unsync(b []byte) []byte {
	if !bytes.Contains(b, []byte{0xff, 0x00}) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		out = append(out, b[i])
		if b[i] == 0xff && i+1 < len(b) && b[i+1] == 0 {
			i++
		}
	}
	return out
}

// decodeText decodes an ID3 text field into its NUL-separated values. Empty
// values are dropped except the first (a TXXX description may be empty).
func decodeText(enc byte, b []byte) []string {
	var vals []string
	switch enc {
	case 1, 2:
		var order binary.ByteOrder = binary.BigEndian
		if enc == 1 {
			order = binary.LittleEndian
		}
		for len(b) >= 2 {
			i := 0
			for i+1 < len(b) && (b[i] != 0 || b[i+1] != 0) {
				i += 2
			}
			part := b[:min(i, len(b))]
			if len(part) >= 2 {
				switch {
				case part[0] == 0xff && part[1] == 0xfe:
					order, part = binary.LittleEndian, part[2:]
				case part[0] == 0xfe && part[1] == 0xff:
					order, part = binary.BigEndian, part[2:]
				}
			}
			u := make([]uint16, len(part)/2)
			for j := range u {
				u[j] = order.Uint16(part[2*j:])
			}
			vals = append(vals, string(utf16.Decode(u)))
			if i+2 > len(b) {
				break
			}
			b = b[i+2:]
		}
	default:
		for _, part := range bytes.Split(b, []byte{0}) {
			if enc == 3 {
				vals = append(vals, strings.ToValidUTF8(string(part), "\uFFFD"))
			} else {
				vals = append(vals, latin1(part))
			}
		}
	}
	out := vals[:0]
	for i, v := range vals {
		if i == 0 || v != "" {
			out = append(out, v)
		}
	}
	return out
}

func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// id3Genre resolves ID3v1 genre references like "(17)" or "17".
func id3Genre(v string) string {
	s := v
	if strings.HasPrefix(s, "(") {
		end := strings.IndexByte(s, ')')
		if end < 0 {
			return v
		}
		if rest := strings.TrimSpace(s[end+1:]); rest != "" {
			return rest
		}
		s = s[1:end]
	}
	n := atoi(s)
	if s == "" || (n == 0 && s != "0") || n >= len(id3v1Genres) {
		return v
	}
	return id3v1Genres[n]
}

var id3v1Genres = []string{
	"Blues", "Classic Rock", "Country", "Dance", "Disco", "Funk", "Grunge",
	"Hip-Hop", "Jazz", "Metal", "New Age", "Oldies", "Other", "Pop", "R&B",
	"Rap", "Reggae", "Rock", "Techno", "Industrial", "Alternative", "Ska",
	"Death Metal", "Pranks", "Soundtrack", "Euro-Techno", "Ambient",
	"Trip-Hop", "Vocal", "Jazz+Funk", "Fusion", "Trance", "Classical",
	"Instrumental", "Acid", "House", "Game", "Sound Clip", "Gospel", "Noise",
	"AlternRock", "Bass", "Soul", "Punk", "Space", "Meditative",
	"Instrumental Pop", "Instrumental Rock", "Ethnic", "Gothic", "Darkwave",
	"Techno-Industrial", "Electronic", "Pop-Folk", "Eurodance", "Dream",
	"Southern Rock", "Comedy", "Cult", "Gangsta", "Top 40", "Christian Rap",
	"Pop/Funk", "Jungle", "Native American", "Cabaret", "New Wave",
	"Psychadelic", "Rave", "Showtunes", "Trailer", "Lo-Fi", "Tribal",
	"Acid Punk", "Acid Jazz", "Polka", "Retro", "Musical", "Rock & Roll",
	"Hard Rock",
}

// readID3v1 parses a 128-byte ID3v1(.1) tag.
func readID3v1(b []byte, m tagMap) {
	field := func(f []byte) string {
		if i := bytes.IndexByte(f, 0); i >= 0 {
			f = f[:i]
		}
		return strings.TrimSpace(latin1(f))
	}
	m.add("TITLE", field(b[3:33]))
	m.add("ARTIST", field(b[33:63]))
	m.add("ALBUM", field(b[63:93]))
	m.add("YEAR", field(b[93:97]))
	if b[125] == 0 && b[126] != 0 {
		m.add("TRACKNUMBER", fmt.Sprint(b[126]))
	}
	if int(b[127]) < len(id3v1Genres) {
		m.add("GENRE", id3v1Genres[b[127]])
	}
}
