package match

import (
	"regexp"
	"strings"
)

// artistSep splits a credit into artists: "A, B", "A; B", "A/B", "A & B",
// "A feat. B", "A ft. B", "A x B", "A vs. B", "A with B". " x " is split only
// in lower case so that "Lil Nas X" stays whole.
var artistSep = regexp.MustCompile(`\s*[,;/×、]\s*|\s+(?:&|\+|(?i:feat\.?|ft\.?|featuring|vs\.?|with|and))\s+|\s+x\s+|\x00`)

// splitArtists splits one credit into compact artist keys, each without a
// leading "the" ("The Beatles" = "Beatles"), dropping placeholders such as
// "Various Artists". The credit as a whole is kept too when it was split,
// so a band called "Simon & Garfunkel" agrees with itself whichever side
// splits it.
func splitArtists(credit string) []string {
	var out []string
	add := func(s string) {
		k := artistKey(s)
		if k == "" {
			return
		}
		for _, o := range out {
			if o == k {
				return
			}
		}
		out = append(out, k)
	}
	parts := []string{credit}
	if maySplit(credit) {
		parts = artistSep.Split(credit, -1)
	}
	for _, p := range parts {
		add(p)
	}
	if len(parts) > 1 {
		add(credit)
	}
	return out
}

// artistKey is the compact key of one artist name, or "" for a placeholder.
func artistKey(s string) string {
	n := Normalize(s)
	n = strings.TrimPrefix(n, "the ")
	if placeholderArtists[n] {
		return ""
	}
	return compact(n)
}

var placeholderArtists = map[string]bool{
	"": true, "various artists": true, "various": true, "va": true, "v a": true, "unknown artist": true,
	"unknown": true, "artist": true, "no artist": true, "[unknown]": true, "verschiedene interpreten": true,
	"multi interpretes": true, "varios artistas": true, "artistes divers": true, "sampler": true, "compilation": true,
}

// artistSet is a side's artists: primary is the first credited artist, all
// holds every artist named (credits split, featured artists from the title).
type artistSet struct {
	primary string
	all     []string
}

func newArtistSet(credits []string, feat []string) artistSet {
	var s artistSet
	for _, c := range credits {
		for _, k := range splitArtists(c) {
			s.add(k)
		}
	}
	for _, k := range feat {
		s.add(k)
	}
	return s
}

func (s *artistSet) add(k string) {
	if k == "" || s.has(k) {
		return
	}
	if s.primary == "" {
		s.primary = k
	}
	s.all = append(s.all, k)
}

func (s artistSet) has(k string) bool {
	for _, x := range s.all {
		if x == k {
			return true
		}
	}
	return false
}

func (s artistSet) empty() bool { return len(s.all) == 0 }

// compareArtists scores how well two sides' artists agree: 1 when either
// side's primary artist is among the other's, 0.9 when they share another
// artist, 0 when they share none.
func compareArtists(r, l artistSet) float64 {
	if r.empty() || l.empty() {
		return 0
	}
	if l.has(r.primary) || r.has(l.primary) {
		return 1
	}
	for _, k := range r.all {
		if l.has(k) {
			return 0.9
		}
	}
	return 0
}

// otherScript reports that one side names its artists only in Latin letters
// and the other only in another script, so that their disagreement says
// nothing.
func otherScript(a, b artistSet) bool {
	la, lb := latin(a), latin(b)
	return la >= 0 && lb >= 0 && la != lb
}

// latin is 1 when every artist is written in ASCII, 0 when none is, -1 when
// the side mixes scripts or has no artist.
func latin(s artistSet) int {
	n := 0
	for _, k := range s.all {
		if isASCII(k) {
			n++
		}
	}
	switch {
	case len(s.all) == 0:
		return -1
	case n == len(s.all):
		return 1
	case n == 0:
		return 0
	}
	return -1
}

// maySplit is a cheap test that a credit may name several artists, before
// the regular expression runs.
func maySplit(s string) bool {
	if strings.ContainsAny(s, ",;/×、&+\x00") {
		return true
	}
	for i := 0; i+3 < len(s); i++ {
		if s[i] == ' ' {
			switch s[i+1] | 0x20 {
			case 'f', 'v', 'w', 'a', 'x':
				return true
			}
		}
	}
	return false
}
