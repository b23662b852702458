package match

import (
	"regexp"
	"sort"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// title is a parsed track title: the song's name without annotations, the
// annotations that do not change the recording dropped, those that do
// (live, remix...) kept as markers, featured artists set apart.
type title struct {
	base  string // compact key of the title without any annotation
	full  string // compact key of the title with its unclassified annotations
	extra string // compact key of the unclassified annotations alone
	// remaster reports an annotation saying the audio was remastered, which
	// may have changed the silence at either end.
	remaster bool
	marks    []marker // version markers, sorted by kind
	feat     []string // featured artists named in the title
}

// marker is a version annotation: kind says what it is ("live", "remix",
// "edit"...), detail what distinguishes two of a kind ("wembley", the
// remixer) when the title says.
type marker struct {
	kind   string
	detail string
}

// soft markers name another edit of the same performance: the durations
// decide whether an unmarked file is that edit. Every other kind names
// another recording and must be on both sides.
var softKinds = map[string]bool{"edit": true, "extended": true}

var (
	featRe = regexp.MustCompile(`(?i)^\s*(?:feat\.?|ft\.?|featuring|with|w/)\s+(.+)$`)
	// featInline finds "feat. X" inside a title that does not bracket it.
	featInline = regexp.MustCompile(`(?i)\s+(?:feat\.|ft\.|featuring)\s+(.+)$`)
	yearRe     = regexp.MustCompile(`^(?:19|20)\d\d$`)
	dashSep    = regexp.MustCompile(`\s+[-–—]\s+`)
	takeRe     = regexp.MustCompile(`(^| )(alt )?take \d+( |$)`)
)

// parseTitle splits raw into its name and annotations: bracketed parts
// ("(Live)", "[Remastered]", "{feat. X}") and dashed suffixes
// (" - Remastered 2011", " - From "Film" Soundtrack").
func parseTitle(raw string) title {
	s := raw
	if !isASCII(s) {
		s = norm.NFKC.String(raw) // full-width brackets and dashes become ASCII
	}
	var anns []string
	name, brs := splitBrackets(s)
	if strings.ContainsAny(name, "-–—") {
		parts := dashSep.Split(name, -1)
		name = parts[0]
		anns = append(anns, parts[1:]...)
	}
	anns = append(anns, brs...)
	if mayFeat(name) {
		if m := featInline.FindStringSubmatchIndex(name); m != nil {
			anns = append(anns, "feat. "+name[m[2]:m[3]])
			name = name[:m[0]]
		}
	}
	var t title
	var unknown []string
	for _, a := range anns {
		var m []string
		if mayFeat(" " + a) {
			m = featRe.FindStringSubmatch(a)
		}
		if m != nil {
			t.feat = append(t.feat, splitArtists(m[1])...)
			continue
		}
		mk, known := classify(a)
		if known && mk.kind == "" && strings.Contains(Normalize(a), "remaster") {
			t.remaster = true
		}
		if mk.kind != "" {
			t.marks = append(t.marks, mk)
		}
		if !known {
			unknown = append(unknown, a)
		}
	}
	sort.Slice(t.marks, func(i, j int) bool { return t.marks[i].kind < t.marks[j].kind })
	t.base = titleKey(name)
	t.extra = titleKey(strings.Join(unknown, " "))
	t.full = t.base + t.extra
	if t.base == "" { // a title that is all annotation: "(Untitled)"
		t.base = t.extra
	}
	return t
}

// titleKey is the compact key of a title: "Pt." is spelt "part", so
// "Another Brick in the Wall, Pt. 2" agrees with "(Part 2)".
func titleKey(s string) string {
	n := Normalize(s)
	if strings.Contains(" "+n+" ", " pt ") {
		n = strings.TrimSpace(strings.ReplaceAll(" "+n+" ", " pt ", " part "))
	}
	return compact(n)
}

// mayFeat is a cheap test that s may name a featured artist, before the
// regular expressions run.
func mayFeat(s string) bool {
	for i := 0; i+3 <= len(s); i++ {
		c := s[i] | 0x20
		if (c == 'f' || c == 'w') && i > 0 && (s[i-1] == ' ' || s[i-1] == '(' || s[i-1] == '[') {
			w := strings.ToLower(s[i:min(len(s), i+5)])
			if strings.HasPrefix(w, "feat") || strings.HasPrefix(w, "ft") || strings.HasPrefix(w, "with") || strings.HasPrefix(w, "w/") {
				return true
			}
		}
	}
	return false
}

// splitBrackets returns s without its bracketed parts, and those parts.
// Unbalanced brackets are left in the name.
func splitBrackets(s string) (string, []string) {
	if !strings.ContainsAny(s, "([{<") {
		return strings.TrimSpace(s), nil
	}
	var out strings.Builder
	var parts []string
	open := map[rune]rune{'(': ')', '[': ']', '{': '}', '<': '>'}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		cl, ok := open[rs[i]]
		if !ok {
			out.WriteRune(rs[i])
			continue
		}
		depth, j := 0, i
		for ; j < len(rs); j++ {
			if rs[j] == rs[i] {
				depth++
			} else if rs[j] == cl {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if j == len(rs) {
			out.WriteRune(rs[i])
			continue
		}
		parts = append(parts, strings.TrimSpace(string(rs[i+1:j])))
		out.WriteRune(' ')
		i = j
	}
	return strings.TrimSpace(out.String()), parts
}

// classify says what an annotation means. known reports that it is a
// recognised annotation (so it is not part of the song's name); the marker
// is empty for annotations that keep the recording the same (remaster,
// deluxe, soundtrack, album version...).
func classify(a string) (mk marker, known bool) {
	n := Normalize(a)
	w := " " + n + " "
	has := func(words ...string) bool {
		for _, x := range words {
			if strings.Contains(w, " "+x+" ") {
				return true
			}
		}
		return false
	}
	trimmed := func(words ...string) string { // the annotation less the given words
		out := w
		for _, x := range words {
			out = strings.ReplaceAll(out, " "+x+" ", " ")
		}
		return compact(strings.TrimSpace(out))
	}
	switch {
	case n == "":
		return marker{}, true
	case strings.HasPrefix(n, "from ") || has("soundtrack", "ost", "motion picture", "original score", "theme from"):
		return marker{}, true
	case has("taylors version", "re recorded", "rerecorded", "re recording", "new recording"):
		return marker{kind: "rerecord"}, true
	case has("live", "in concert", "live at", "unplugged", "mtv unplugged", "live session", "bbc session", "concert",
		"recorded at", "recorded live", "spotify singles", "spotify sessions", "live lounge", "peel session"):
		if has("unplugged") {
			return marker{kind: "live", detail: trimmed("live", "at", "from", "in", "mtv", "unplugged", "version", "recording")}, true
		}
		return marker{kind: "live", detail: trimmed("live", "at", "from", "in", "the", "version", "recording", "recorded", "concert")}, true
	case has("karaoke", "off vocal", "backing track", "minus one"):
		return marker{kind: "karaoke"}, true
	case has("instrumental", "inst"):
		return marker{kind: "instrumental"}, true
	case has("a cappella", "acapella", "acappella", "a capella", "vocals only"):
		return marker{kind: "acapella"}, true
	case has("acoustic", "stripped", "piano version", "unplugged"):
		return marker{kind: "acoustic"}, true
	case has("original mix"):
		return marker{}, true
	case has("remix", "rmx", "remixed", "mix", "dub", "vip", "rework", "bootleg", "mashup", "flip", "club mix", "mixed"):
		return marker{kind: "remix", detail: trimmed("remix", "rmx", "remixed", "mix", "official", "version")}, true
	case has("cover", "tribute"):
		return marker{kind: "cover"}, true
	case has("demo", "outtake", "alternate", "alternative", "alt", "rehearsal", "early version", "early take", "work in progress",
		"session", "voice memo", "rough", "sketch") || takeRe.MatchString(n):
		return marker{kind: "demo", detail: trimmed("demo", "version")}, true
	case has("slowed", "sped up", "reverb", "nightcore", "8d", "8 bit"):
		return marker{kind: "altered"}, true
	case has("reprise"):
		return marker{kind: "reprise"}, true
	case has("orchestral", "symphonic", "piano", "strings", "lofi", "lo fi", "chillout", "chill", "jazz", "reggae", "bossa nova",
		"swing", "gospel", "choir", "duet", "spanish", "english", "japanese", "french", "german", "italian", "korean", "portuguese"):
		return marker{kind: "arrangement", detail: trimmed("version")}, true
	case has("commentary", "interview", "spoken", "intro", "outro", "skit"):
		return marker{kind: "spoken", detail: trimmed()}, true
	case has("radio edit", "radio version", "single edit", "single version", "edit", "short version", "clean edit", "7 version", "7 edit"):
		return marker{kind: "edit"}, true
	case has("extended", "long version", "12 version", "12 mix", "full length", "full version"):
		return marker{kind: "extended"}, true
	case has("mono"):
		return marker{kind: "mono"}, true
	case has("remaster", "remastered", "remasterd", "remasters", "deluxe", "edition", "anniversary", "expanded",
		"bonus", "bonus track", "stereo", "album version", "original version", "lp version", "main version",
		"explicit", "clean", "digital", "hd", "hq", "official audio", "audio", "official", "original", "single",
		"mastered", "2009 mix", "super deluxe", "collectors"):
		return marker{}, true
	case yearRe.MatchString(n):
		return marker{}, true // "(1999)": a release year
	case has("version"):
		// "2016 Version", "Spanish Version", "Orchestral Version": another
		// recording unless it was recognised above.
		return marker{kind: "version", detail: trimmed("version")}, true
	}
	return marker{}, false
}

// marksAgree compares version markers. It reports the first hard
// disagreement ("live on one side only"), and whether a soft marker (an
// edit) is on one side only.
func marksAgree(a, b []marker) (ok bool, soft bool, why string) {
	for _, m := range a {
		if !hasMark(b, m) {
			if softKinds[m.kind] {
				soft = true
				continue
			}
			return false, soft, describeMark(m) + " on the Spotify side only"
		}
	}
	for _, m := range b {
		if !hasMark(a, m) {
			if softKinds[m.kind] {
				soft = true
				continue
			}
			return false, soft, describeMark(m) + " on the file only"
		}
	}
	return true, soft, ""
}

// hasMark reports whether ms holds a marker of m's kind with a compatible
// detail: details agree when equal, when one side has none, or when one
// contains the other ("wembley" and "wembleystadium").
func hasMark(ms []marker, m marker) bool {
	for _, x := range ms {
		if x.kind != m.kind {
			continue
		}
		if x.detail == "" || m.detail == "" || strings.Contains(x.detail, m.detail) || strings.Contains(m.detail, x.detail) {
			return true
		}
	}
	return false
}

func describeMark(m marker) string {
	if m.detail != "" {
		return m.kind + " (" + m.detail + ")"
	}
	return m.kind
}
