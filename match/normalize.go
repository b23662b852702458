package match

import (
	"strings"
	gosync "sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// folders pools case folders: a cases.Caser keeps state and is not safe for
// concurrent use, and Match runs concurrently.
var folders = gosync.Pool{New: func() any { c := cases.Fold(); return &c }}

// Normalize reduces text to the form titles, artists and albums are compared
// in: NFKC (full-width forms, ligatures), Unicode case folding, diacritics
// folded on Latin, Greek and Cyrillic letters (never on kana, where they
// change the word), apostrophes dropped ("don’t" = "dont"), "&" and "+"
// spelt "and", every other punctuation a space, spaces collapsed. It is
// idempotent.
func Normalize(s string) string {
	out := normalizeOnce(s)
	// Folding and composition can, for exotic input, yield a string that
	// one more pass changes; a few passes reach the fixed point.
	for i := 0; i < 3; i++ {
		next := normalizeOnce(out)
		if next == out {
			break
		}
		out = next
	}
	return out
}

func normalizeOnce(s string) string {
	if !isASCII(s) {
		s = strings.ToValidUTF8(s, " ")
		s = norm.NFKC.String(s)
		c := folders.Get().(*cases.Caser)
		s = c.String(s)
		folders.Put(c)
		s = stripMarks(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	space := true // no leading space
	put := func(r rune) {
		if r == ' ' {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			return
		}
		b.WriteRune(r)
		space = false
	}
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
			put(r)
		case 'A' <= r && r <= 'Z':
			put(r + 'a' - 'A')
		case isApostrophe(r):
			// dropped: "don't" and "dont" are the same word
		case r == '&' || r == '+':
			put(' ')
			put('a')
			put('n')
			put('d')
			put(' ')
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r):
			if f, ok := letterFold[r]; ok {
				for _, x := range f {
					put(x)
				}
				continue
			}
			put(r)
		default:
			put(' ')
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

// letterFold spells the Latin letters that carry their diacritic in the
// letter itself (so NFD does not split them) the way a listener types them.
var letterFold = map[rune]string{
	'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'æ': "ae", 'œ': "oe", 'ı': "i", 'ħ': "h", 'ŧ': "t",
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', 'ʼ', '`', '´', 'ʻ', '′':
		return true
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// stripMarks removes combining marks that follow a Latin, Greek or Cyrillic
// letter ("é" → "e", "й" → "и"), keeping those of other scripts, where a
// mark is part of the letter (Japanese dakuten, Indic vowel signs).
func stripMarks(s string) string {
	d := norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(d))
	strip := false
	changed := false
	for _, r := range d {
		if unicode.Is(unicode.Mn, r) {
			if strip {
				changed = true
				continue
			}
		} else {
			strip = r < 0x250 || unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic)
		}
		b.WriteRune(r)
	}
	if !changed {
		return s
	}
	return norm.NFC.String(b.String())
}

// compact is the comparison key of normalised text: spaces removed, so that
// "Jay-Z", "Jay Z" and "JAY Z" or "P.Y.T." and "PYT" agree.
func compact(normalized string) string {
	if !strings.Contains(normalized, " ") {
		return normalized
	}
	return strings.ReplaceAll(normalized, " ", "")
}

// key normalises and compacts s.
func key(s string) string { return compact(Normalize(s)) }
