package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

const (
	mp4MaxBoxes = 4096 // boxes visited at most
	mp4MaxDepth = 12
)

// mp4 holds what the box walk has found so far.
type mp4 struct {
	s     *source
	boxes int
	tags  tagMap
	keys  []string // mdta key names, 1-based in ilst
	err   error    // first tag error

	movieScale, movieDur uint64
	mediaScale, mediaDur uint64
	editDur              uint64 // sum of non-empty edit segments (movie scale)
	editStart            int64  // media time of the first edit
	hasEdit, isSound     bool
	smpb                 string
	trackDone            bool // the first sound track has been read
}

type box struct {
	typ       string
	off, size int64 // whole box
	body      int64 // offset of the payload
}

// boxes lists the child boxes in [off, end).
func (p *mp4) children(off, end int64) ([]box, error) {
	var out []box
	for off+8 <= end {
		p.boxes++
		if p.boxes > mp4MaxBoxes {
			return nil, fmt.Errorf("more than %d boxes", mp4MaxBoxes)
		}
		h, err := p.s.bytes(off, 8)
		if err != nil {
			return nil, err
		}
		b := box{typ: string(h[4:8]), off: off, body: off + 8}
		b.size = int64(binary.BigEndian.Uint32(h))
		switch b.size {
		case 0:
			b.size = end - off
		case 1:
			l, err := p.s.bytes(off+8, 8)
			if err != nil {
				return nil, err
			}
			u := binary.BigEndian.Uint64(l)
			if u > math.MaxInt64 {
				return nil, fmt.Errorf("box %q has an impossible size", b.typ)
			}
			b.size, b.body = int64(u), off+16
		}
		if b.size < b.body-off || b.size > end-off {
			return nil, fmt.Errorf("box %q at offset %d has bad size %d", b.typ, off, b.size)
		}
		out = append(out, b)
		off += b.size
	}
	return out, nil
}

func (p *mp4) payload(b box, max int64) ([]byte, error) {
	n := b.off + b.size - b.body
	if n > max {
		return nil, fmt.Errorf("box %q of %d bytes is too large", b.typ, n)
	}
	return p.s.bytes(b.body, n)
}

func readMP4(s *source, info *Info) error {
	info.Format = "m4a"
	p := &mp4{s: s, tags: tagMap{}}
	top, err := p.children(0, s.size)
	if err != nil && len(top) == 0 {
		return malformed("m4a", "%v", err)
	}
	if len(top) == 0 || (top[0].typ != "ftyp" && top[0].typ != "moov") {
		return malformed("m4a", "no ftyp box at start")
	}
	var moov *box
	for i := range top {
		if top[i].typ == "moov" {
			moov = &top[i]
		}
	}
	if moov == nil {
		return malformed("m4a", "no moov box")
	}
	s.preload(moov.off, moov.size)
	if err := p.walk(*moov, info, 0); err != nil {
		return malformed("m4a", "%v", err)
	}
	if info.Codec == "" {
		return malformed("m4a", "no audio track")
	}
	p.duration(info)
	if info.DurationMs <= 0 {
		return malformed("m4a", "no duration")
	}
	var mdat int64
	for _, b := range top {
		if b.typ == "mdat" {
			mdat += b.size
		}
	}
	if mdat > 0 { // the true average, where stsd's figures are nominal
		info.Bitrate = int(mdat * 8 / info.DurationMs)
	}
	p.tags.apply(info)
	if p.err != nil {
		return tagErr(fmt.Errorf("m4a: %w", p.err))
	}
	return nil
}

// walk visits the boxes that matter for properties and tags.
func (p *mp4) walk(parent box, info *Info, depth int) error {
	if depth > mp4MaxDepth {
		return errors.New("boxes nested too deeply")
	}
	start := parent.body
	if parent.typ == "meta" {
		// ISO meta is a full box (4 bytes of version/flags); QuickTime's
		// is not: it starts straight with a child box such as hdlr.
		h, err := p.s.bytes(start, 8)
		if err == nil && string(h[4:8]) != "hdlr" {
			start += 4
		}
	}
	kids, err := p.children(start, parent.off+parent.size)
	if err != nil {
		if parent.typ == "meta" || parent.typ == "udta" || parent.typ == "ilst" {
			p.tagErr(err)
		} else {
			return err
		}
	}
	for _, b := range kids {
		if err := p.visit(b, info, depth); err != nil {
			return err
		}
	}
	return nil
}

func (p *mp4) tagErr(err error) {
	if p.err == nil {
		p.err = err
	}
}

func (p *mp4) visit(b box, info *Info, depth int) error {
	switch b.typ {
	case "trak":
		if p.trackDone {
			return nil
		}
		p.isSound, p.hasEdit, p.editDur, p.editStart = false, false, 0, 0
		p.mediaScale, p.mediaDur = 0, 0
		if err := p.walk(b, info, depth+1); err != nil {
			return err
		}
		p.trackDone = p.isSound && info.Codec != ""
	case "mdia", "minf", "stbl", "edts", "udta":
		return p.walk(b, info, depth+1)
	case "meta":
		return p.walk(b, info, depth+1)
	case "mvhd":
		d, err := p.payload(b, 256)
		if err != nil {
			return err
		}
		p.movieScale, p.movieDur = timeAndDuration(d)
	case "mdhd":
		d, err := p.payload(b, 256)
		if err != nil {
			return err
		}
		p.mediaScale, p.mediaDur = timeAndDuration(d)
	case "hdlr":
		if d, err := p.payload(b, 4096); err == nil && len(d) >= 12 && string(d[8:12]) == "soun" {
			p.isSound = true
		}
	case "elst":
		d, err := p.payload(b, maxFrame)
		if err != nil {
			return err
		}
		p.editList(d)
	case "stsd":
		d, err := p.payload(b, maxFrame)
		if err != nil {
			return err
		}
		if p.isSound && !p.trackDone {
			sampleEntry(d, info)
		}
	case "keys":
		d, err := p.payload(b, maxFrame)
		if err != nil {
			p.tagErr(err)
			return nil
		}
		p.readKeys(d)
	case "ilst":
		kids, err := p.children(b.body, b.off+b.size)
		if err != nil {
			p.tagErr(err)
		}
		for _, item := range kids {
			if err := p.item(item); err != nil {
				p.tagErr(err)
			}
		}
	}
	return nil
}

// timeAndDuration decodes mvhd and mdhd, which share their first fields.
func timeAndDuration(d []byte) (scale, dur uint64) {
	if len(d) < 20 {
		return 0, 0
	}
	if d[0] == 1 {
		if len(d) < 32 {
			return 0, 0
		}
		return uint64(binary.BigEndian.Uint32(d[20:24])), binary.BigEndian.Uint64(d[24:32])
	}
	return uint64(binary.BigEndian.Uint32(d[12:16])), uint64(binary.BigEndian.Uint32(d[16:20]))
}

func (p *mp4) editList(d []byte) {
	if len(d) < 8 {
		return
	}
	v, n := d[0], binary.BigEndian.Uint32(d[4:8])
	d = d[8:]
	entry := 12
	if v == 1 {
		entry = 20
	}
	for i := uint32(0); i < n && len(d) >= entry; i++ {
		var dur uint64
		var mt int64
		if v == 1 {
			dur, mt = binary.BigEndian.Uint64(d), int64(binary.BigEndian.Uint64(d[8:]))
		} else {
			dur, mt = uint64(binary.BigEndian.Uint32(d)), int64(int32(binary.BigEndian.Uint32(d[4:])))
		}
		d = d[entry:]
		if mt < 0 {
			continue // empty edit: a gap before the media starts
		}
		if !p.hasEdit {
			p.editStart = mt
		}
		p.hasEdit = true
		p.editDur += dur
	}
}

// sampleEntry reads the first audio sample entry of an stsd box.
func sampleEntry(d []byte, info *Info) {
	if len(d) < 16 {
		return
	}
	e := d[8:] // skip version/flags and entry count
	size := int(binary.BigEndian.Uint32(e))
	if size < 36 || size > len(e) {
		return
	}
	e = e[:size]
	typ := string(e[4:8])
	switch typ {
	case "mp4a":
		info.Codec = "aac"
	case "alac":
		info.Codec = "alac"
	default:
		info.Codec = strings.TrimSpace(strings.ToLower(typ))
	}
	ver := binary.BigEndian.Uint16(e[16:18])
	info.Channels = int(binary.BigEndian.Uint16(e[24:26]))
	info.SampleRate = int(binary.BigEndian.Uint32(e[32:36]) >> 16)
	children := 36
	switch ver {
	case 1:
		children += 16
	case 2:
		children += 36
		if len(e) >= 72 {
			info.SampleRate = int(math.Float64frombits(binary.BigEndian.Uint64(e[40:48])))
			info.Channels = int(binary.BigEndian.Uint32(e[48:52]))
		}
	}
	for c := children; c+8 <= len(e); {
		n := int(binary.BigEndian.Uint32(e[c:]))
		if n < 8 || c+n > len(e) {
			return
		}
		body := e[c+8 : c+n]
		switch string(e[c+4 : c+8]) {
		case "alac":
			// ALACSpecificConfig after 4 bytes of version/flags; it has the
			// true rate where the entry's 16.16 field overflows.
			if len(body) >= 28 {
				info.Channels = int(body[13])
				info.Bitrate = int(binary.BigEndian.Uint32(body[20:24]) / 1000)
				info.SampleRate = int(binary.BigEndian.Uint32(body[24:28]))
			}
		case "esds":
			info.Bitrate = esdsBitrate(body)
		}
		c += n
	}
}

// esdsBitrate finds the average bitrate in the DecoderConfigDescriptor.
func esdsBitrate(b []byte) int {
	for i := 4; i+13 < len(b); i++ {
		if b[i] != 0x04 { // DecoderConfigDescrTag
			continue
		}
		j := i + 1
		for k := 0; k < 4 && j < len(b) && b[j]&0x80 != 0; k++ {
			j++
		}
		j++ // last length byte
		if j+13 > len(b) || b[j] != 0x40 {
			continue
		}
		return int(binary.BigEndian.Uint32(b[j+9:j+13]) / 1000)
	}
	return 0
}

// duration prefers iTunSMPB (exact sample count), then the edit list (which
// removes priming), then the media and movie headers.
func (p *mp4) duration(info *Info) {
	if delay, pad, total, ok := parseSMPB(p.smpb); ok && info.SampleRate > 0 {
		info.EncoderDelay, info.EncoderPadding = delay, pad
		info.DurationMs = toMs(int64(min(total, math.MaxInt64/2000)), int64(info.SampleRate))
		return
	}
	if p.hasEdit && p.editDur > 0 && p.movieScale > 0 {
		info.DurationMs = toMs(int64(min(p.editDur, math.MaxInt64/2000)), int64(p.movieScale))
		if p.editStart > 0 {
			info.EncoderDelay = int(min(p.editStart, math.MaxInt32))
		}
		return
	}
	if p.mediaScale > 0 && p.mediaDur > 0 {
		info.DurationMs = toMs(int64(min(p.mediaDur, math.MaxInt64/2000)), int64(p.mediaScale))
		return
	}
	if p.movieScale > 0 {
		info.DurationMs = toMs(int64(min(p.movieDur, math.MaxInt64/2000)), int64(p.movieScale))
	}
}

// parseSMPB decodes iTunSMPB: " 00000000 00000840 000001CA 00000000003A4F45 ...".
func parseSMPB(s string) (delay, pad int, total uint64, ok bool) {
	f := strings.Fields(s)
	if len(f) < 4 {
		return 0, 0, 0, false
	}
	d, err1 := strconv.ParseUint(f[1], 16, 32)
	pd, err2 := strconv.ParseUint(f[2], 16, 32)
	t, err3 := strconv.ParseUint(f[3], 16, 64)
	if err1 != nil || err2 != nil || err3 != nil || t == 0 {
		return 0, 0, 0, false
	}
	return int(d), int(pd), t, true
}

func (p *mp4) readKeys(d []byte) {
	if len(d) < 8 {
		return
	}
	n := binary.BigEndian.Uint32(d[4:8])
	d = d[8:]
	for i := uint32(0); i < n && len(d) >= 8; i++ {
		size := int(binary.BigEndian.Uint32(d))
		if size < 8 || size > len(d) {
			return
		}
		p.keys = append(p.keys, string(d[8:size]))
		d = d[size:]
	}
}

// ilstKeys maps iTunes item atoms onto tagMap keys.
var ilstKeys = map[string]string{
	"\xa9nam": "TITLE", "\xa9ART": "ARTIST", "\xa9alb": "ALBUM", "aART": "ALBUMARTIST",
	"\xa9day": "DATE", "\xa9gen": "GENRE",
}

// item reads one ilst entry: its data boxes and, for freeform ("----")
// items, the mean and name boxes.
func (p *mp4) item(it box) error {
	d, err := p.payload(it, maxFrame)
	if err != nil {
		if it.typ == "covr" {
			return nil
		}
		return err
	}
	var name string
	var values [][]byte
	for len(d) >= 8 {
		n := int(binary.BigEndian.Uint32(d))
		if n < 8 || n > len(d) {
			return fmt.Errorf("ilst item %q: bad child size", it.typ)
		}
		c := d[8:n]
		switch string(d[4:8]) {
		case "name":
			if len(c) >= 4 {
				name = string(c[4:])
			}
		case "data":
			if len(c) >= 8 {
				values = append(values, c[8:])
			}
		}
		d = d[n:]
	}
	key := ""
	switch {
	case it.typ == "----":
		key = name
		if strings.EqualFold(name, "iTunSMPB") && len(values) > 0 {
			p.smpb = string(values[0])
			return nil
		}
	case it.typ == "trkn" || it.typ == "disk":
		if len(values) > 0 && len(values[0]) >= 6 {
			v := values[0]
			k := "TRACKNUMBER"
			if it.typ == "disk" {
				k = "DISCNUMBER"
			}
			p.tags.add(k, fmt.Sprintf("%d/%d", binary.BigEndian.Uint16(v[2:4]), binary.BigEndian.Uint16(v[4:6])))
		}
		return nil
	case it.typ == "gnre":
		if len(values) > 0 && len(values[0]) >= 2 {
			if g := int(binary.BigEndian.Uint16(values[0])); g >= 1 && g <= len(id3v1Genres) {
				p.tags.add("GENRE", id3v1Genres[g-1])
			}
		}
		return nil
	case ilstKeys[it.typ] != "":
		key = ilstKeys[it.typ]
	default:
		// mdta-style metadata: the item type is a 1-based index into keys.
		idx := int(binary.BigEndian.Uint32([]byte(it.typ)))
		if idx >= 1 && idx <= len(p.keys) {
			key = mdtaKey(p.keys[idx-1])
		}
	}
	if key == "" {
		return nil
	}
	for _, v := range values {
		p.tags.add(key, strings.ToValidUTF8(string(v), "\uFFFD"))
	}
	return nil
}

// mdtaKey maps keys written by ffmpeg's -movflags use_metadata_tags (its
// own metadata names) and QuickTime's onto tagMap keys.
func mdtaKey(k string) string {
	switch strings.ToLower(k) {
	case "album_artist":
		return "ALBUMARTIST"
	case "track":
		return "TRACKNUMBER"
	case "disc":
		return "DISCNUMBER"
	}
	return k
}
