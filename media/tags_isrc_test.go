package media

import "testing"

func TestNormalizeISRC(t *testing.T) {
	cases := map[string]string{
		"usrc17607839":                 "USRC17607839",
		" US-RC1-76-07839 ":            "USRC17607839",
		"\x00\x00\x00\x00GBAYE0601498": "GBAYE0601498",
		"GB.AYE.06.01498":              "GBAYE0601498",
		"":                             "",
	}
	for in, want := range cases {
		if got := NormalizeISRC(in); got != want {
			t.Errorf("NormalizeISRC(%q) = %q, want %q", in, got, want)
		}
	}
}
