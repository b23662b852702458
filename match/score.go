package match

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// isrcTolerance bounds the duration gap an ISRC match tolerates. The same
// recording on an album and on a compilation differs by its gaps (a second
// or two, a longer fade); a radio edit has its own ISRC, so a file 10 s or
// more away from the track is more likely mistagged than the same recording.
const isrcTolerance = 10 * time.Second

// remasterSlack widens the duration tolerance when either side says it is
// a remaster: remastering often trims or lengthens the silence and fades.
const remasterSlack = 2 * time.Second

// minScore is the lowest score a text match is taken with.
const minScore = 0.5

// verdict is the judgement of one file for one track.
type verdict struct {
	e        *entry
	method   string
	score    float64
	accepted bool
	reason   string
}

// Match finds the local file for r, honouring the listener's override.
func (ix *Index) Match(r Remote, ov Override) Result { return ix.match(r, ov, false) }

// Explain is Match with every candidate considered, its score and the reason
// it was taken or refused.
func (ix *Index) Explain(r Remote, ov Override) Result { return ix.match(r, ov, true) }

func (ix *Index) match(r Remote, ov Override, explain bool) Result {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var res Result
	if ov.Pin != "" {
		if slot, ok := ix.byPath[ov.Pin]; ok {
			l := ix.files[slot].l
			res = Result{Local: &l, Method: MethodPin, Score: 1}
			if explain {
				res.Candidates = []Candidate{{Local: l, Method: MethodPin, Score: 1, Accepted: true, Reason: "pinned by the listener"}}
			}
			return res
		}
		if explain {
			res.Candidates = append(res.Candidates, Candidate{Local: Local{Path: ov.Pin}, Method: MethodPin,
				Reason: "pinned by the listener, but the file is not in the library: matching as usual"})
		}
	}
	if r.Kind == "episode" {
		return res
	}
	rp := prepareRemote(r)
	vs := ix.judge(r, rp, ov, explain)
	best := ix.choose(vs)
	if ov.None {
		res.Method = MethodNone
		if explain {
			res.Candidates = append(res.Candidates, candidates(vs, -1, "the listener said there is no local copy")...)
		}
		return res
	}
	if best >= 0 {
		l := vs[best].e.l
		res.Local, res.Method, res.Score = &l, vs[best].method, vs[best].score
	}
	if explain {
		res.Candidates = append(res.Candidates, candidates(vs, best, "")...)
	}
	return res
}

// judge scores every file sharing a key with the track.
func (ix *Index) judge(r Remote, rp prepared, ov Override, explain bool) []verdict {
	var slots []int32
	for _, k := range rp.keys {
		slots = append(slots, ix.byKey[k]...)
	}
	if len(rp.keys) > 1 {
		sort.Slice(slots, func(i, j int) bool { return slots[i] < slots[j] })
		slots = dedup(slots)
	}
	vs := make([]verdict, 0, len(slots))
	for _, s := range slots {
		e := ix.files[s]
		v := verdict{e: e}
		if rejected(ov.Rejected, e.l.Path) {
			v.reason = "refused: the listener rejected this file"
		} else {
			v = ix.judgeOne(r, rp, e, explain)
		}
		vs = append(vs, v)
	}
	return vs
}

func dedup(s []int32) []int32 {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func rejected(paths []string, p string) bool {
	for _, x := range paths {
		if x == p {
			return true
		}
	}
	return false
}

// judgeOne applies the rules in their order: ISRC, MusicBrainz id, text.
// An identifier match that the titles or durations contradict is distrusted
// and the text decides.
func (ix *Index) judgeOne(r Remote, rp prepared, e *entry, explain bool) verdict {
	v := verdict{e: e}
	dd := durDiff(r.DurationMs, e.l.DurationMs)
	var note string
	for _, id := range []struct{ method, a, b string }{
		{MethodISRC, rp.isrc, e.p.isrc},
		{MethodMBID, rp.mbid, e.p.mbid},
	} {
		if id.a == "" || id.a != id.b {
			continue
		}
		doubt, why := idDoubt(rp, e.p, dd, explain)
		if !doubt {
			v.method, v.accepted, v.score = id.method, true, 1
			if explain {
				v.reason = "same " + idName(id.method) + durNote(dd)
			}
			return v
		}
		if explain {
			note = "same " + idName(id.method) + " but " + why + ", so not trusted; "
		}
	}
	v.method = MethodText
	if r.Kind == "local" {
		v.method = MethodLocalFile
	}
	best := textVerdict{why: "no title in common"}
	for _, a := range rp.readings {
		for _, b := range e.p.readings {
			if tv := ix.textScore(a, b, dd, rp, e.p, explain); tv.score > best.score || best.score == 0 && best.why == "no title in common" {
				best = tv
			}
		}
	}
	v.score = round(best.score)
	v.accepted = best.score >= minScore
	if explain {
		if v.accepted {
			v.reason = note + "title, artist" + best.why + durNote(dd)
		} else {
			v.reason = note + "refused: " + best.why
		}
	}
	return v
}

// idDoubt says why an identifier match should not be believed: a duration
// far from the track's, or a version marker (live, remix...) on one side only.
func idDoubt(rp, lp prepared, dd time.Duration, explain bool) (bool, string) {
	if dd > isrcTolerance {
		if !explain {
			return true, ""
		}
		return true, fmt.Sprintf("the durations differ by %s", dd.Round(time.Second))
	}
	if len(rp.readings) == 0 || len(lp.readings) == 0 {
		return false, ""
	}
	if ok, _, why := marksAgree(rp.readings[0].t.marks, lp.readings[0].t.marks); !ok {
		return true, why
	}
	return false, ""
}

type textVerdict struct {
	score float64
	why   string
}

// textScore compares one reading of the track with one reading of the file.
func (ix *Index) textScore(a, b reading, dd time.Duration, rp, lp prepared, explain bool) textVerdict {
	score := 1.0
	switch {
	case a.t.full == b.t.full:
	case a.t.base == b.t.base:
		// "Song (Part 2)" against "Song (Part 3)" is another song;
		// against "Song" it may be the same one, left unannotated.
		if a.t.extra != "" && b.t.extra != "" {
			return textVerdict{why: "the titles differ in their brackets"}
		}
		score *= 0.9
	case a.t.full == b.t.base || a.t.base == b.t.full:
		score *= 0.95 // "Work - I. Movement" against "Work: I. Movement"
	default:
		return textVerdict{why: "no title in common"}
	}
	ok, soft, why := marksAgree(a.t.marks, b.t.marks)
	if !ok {
		return textVerdict{why: "another version: " + why}
	}
	tol := ix.opts.DurationTolerance
	if a.t.remaster || b.t.remaster {
		tol += remasterSlack
	}
	known := dd >= 0
	if known && dd > tol {
		if !explain {
			return textVerdict{why: "durations"}
		}
		return textVerdict{why: fmt.Sprintf("the durations differ by %s: another edit", dd.Round(100*time.Millisecond))}
	}
	if !known {
		if soft {
			return textVerdict{why: "an edit on one side only and no duration to tell"}
		}
		score *= 0.85
	} else {
		score *= 1 - 0.1*float64(dd)/float64(tol)
	}
	if soft {
		score *= 0.9
	}
	sameAlbum := a.album != "" && a.album == b.album
	as := compareArtists(a.artists, b.artists)
	switch {
	case as > 0:
		score *= as
	case a.artists.empty() || b.artists.empty() || otherScript(a.artists, b.artists):
		// No artist on one side, or the artist written in another script
		// ("Кино" and "Kino"): only a title that agrees whole, with the
		// album or a very close duration, will do.
		if a.t.full != b.t.full || !sameAlbum && !(known && dd <= time.Second) {
			return textVerdict{why: "no artist to compare, and neither the album nor the exact duration agrees"}
		}
		score *= 0.6
	default:
		return textVerdict{why: "the artists differ"}
	}
	if !sameAlbum {
		score *= 0.97
	}
	if rp.isrc != "" && lp.isrc != "" && rp.isrc != lp.isrc {
		score *= 0.95
	}
	tv := textVerdict{score: score}
	if explain {
		tv.why = " and duration agree"
		if soft {
			tv.why = " and duration agree (an edit marked on one side only)"
		}
		if a.t.full != b.t.full {
			tv.why += "; the titles differ in their brackets"
		}
		if sameAlbum {
			tv.why += "; same album"
		}
	}
	return tv
}

// durDiff is the absolute gap between two durations, or -1 when one is
// unknown.
func durDiff(a, b int64) time.Duration {
	if a <= 0 || b <= 0 {
		return -1
	}
	d := a - b
	if d < 0 {
		d = -d
	}
	return time.Duration(d) * time.Millisecond
}

func durNote(dd time.Duration) string {
	if dd < 0 {
		return " (no duration to compare)"
	}
	return fmt.Sprintf(" (durations %s apart)", dd.Round(100*time.Millisecond))
}

func idName(method string) string {
	if method == MethodISRC {
		return "ISRC"
	}
	return "MusicBrainz recording id"
}

func methodRank(m string) int {
	switch m {
	case MethodISRC:
		return 0
	case MethodMBID:
		return 1
	}
	return 2
}

func round(f float64) float64 { return math.Round(f*1000) / 1000 }

// choose picks the file to play among the accepted ones, or -1. The
// strongest evidence wins (ISRC, then MusicBrainz id, then text, then
// score); files that are the same recording as the winner (same
// identifier, or a close text match of the same length) are then ordered
// by format preference, so a FLAC beats an MP3 of the same recording.
func (ix *Index) choose(vs []verdict) int {
	best := -1
	for i := range vs {
		if !vs[i].accepted {
			continue
		}
		if best < 0 || better(vs[i], vs[best]) {
			best = i
		}
	}
	if best < 0 {
		return -1
	}
	top := vs[best]
	pick := best
	for i := range vs {
		v := vs[i]
		if i == best || !v.accepted || !sameRecording(v, top, ix.opts.DurationTolerance) {
			continue
		}
		ri, rp := ix.formatRank(&v.e.l), ix.formatRank(&vs[pick].e.l)
		if ri < rp || ri == rp && better(v, vs[pick]) {
			pick = i
		}
	}
	return pick
}

// better orders verdicts by evidence, score, then path for determinism.
func better(a, b verdict) bool {
	if ma, mb := methodRank(a.method), methodRank(b.method); ma != mb {
		return ma < mb
	}
	if a.score != b.score {
		return a.score > b.score
	}
	return a.e.l.Path < b.e.l.Path
}

func sameRecording(v, top verdict, tol time.Duration) bool {
	if v.e.p.isrc != "" && v.e.p.isrc == top.e.p.isrc || v.e.p.mbid != "" && v.e.p.mbid == top.e.p.mbid {
		return true
	}
	if v.e.p.isrc != "" && top.e.p.isrc != "" || v.e.p.mbid != "" && top.e.p.mbid != "" {
		return false // both identified, differently
	}
	if d := durDiff(v.e.l.DurationMs, top.e.l.DurationMs); d < 0 || d > tol {
		return false
	}
	return v.score >= 0.85 || top.score-v.score <= 0.1
}

// candidates lists the verdicts for Explain: the chosen one first, then
// the acceptable ones, then the refused, each by score.
func candidates(vs []verdict, chosen int, override string) []Candidate {
	order := make([]int, len(vs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if (a == chosen) != (b == chosen) {
			return a == chosen
		}
		if vs[a].accepted != vs[b].accepted {
			return vs[a].accepted
		}
		return vs[a].score > vs[b].score
	})
	out := make([]Candidate, 0, len(vs))
	for _, i := range order {
		v := vs[i]
		c := Candidate{Local: v.e.l, Method: v.method, Score: v.score, Accepted: v.accepted, Reason: v.reason}
		switch {
		case override != "" && v.accepted:
			c.Reason = "acceptable (" + v.reason + "), but " + override
		case i == chosen:
			c.Reason = "taken: " + v.reason
		case v.accepted && chosen >= 0:
			c.Reason = "acceptable (" + v.reason + "), but " + vs[chosen].e.l.Path + " is preferred"
		}
		out = append(out, c)
	}
	return out
}
