package match

import (
	"runtime"
	"strings"
	gosync "sync"
	"time"
)

// Index holds the local files under their keys. Match and Explain may run
// concurrently with each other; Add and Remove take a write lock.
type Index struct {
	opts Options
	rank map[string]int // format preference: lower is better

	mu     gosync.RWMutex
	files  []*entry // by slot; nil once removed
	byID   map[int64]int32
	byPath map[string]int32
	byKey  map[string][]int32
	free   []int32
}

type entry struct {
	l Local
	p prepared
}

// NewIndex indexes locals. Preparing the files (parsing titles, paths and
// artists) runs on every CPU.
func NewIndex(locals []Local, opts Options) *Index {
	if len(opts.FormatPreference) == 0 {
		opts.FormatPreference = DefaultFormatPreference
	}
	if opts.DurationTolerance <= 0 {
		opts.DurationTolerance = 3 * time.Second
	}
	ix := &Index{
		opts:   opts,
		rank:   map[string]int{},
		files:  make([]*entry, 0, len(locals)),
		byID:   make(map[int64]int32, len(locals)),
		byPath: make(map[string]int32, len(locals)),
		byKey:  make(map[string][]int32, len(locals)),
	}
	for i, f := range opts.FormatPreference {
		f = strings.ToLower(strings.TrimSpace(f))
		if _, ok := ix.rank[f]; !ok {
			ix.rank[f] = i
		}
	}
	entries := make([]*entry, len(locals))
	workers := runtime.GOMAXPROCS(0)
	var wg gosync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(locals); i += workers {
				entries[i] = &entry{l: locals[i], p: prepareLocal(locals[i])}
			}
		}(w)
	}
	wg.Wait()
	for _, e := range entries {
		ix.insert(e)
	}
	return ix
}

// Add indexes a file, replacing any file with the same ID.
func (ix *Index) Add(l Local) {
	e := &entry{l: l, p: prepareLocal(l)}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(l.ID)
	ix.insert(e)
}

// Remove drops the file with this ID, if indexed.
func (ix *Index) Remove(id int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(id)
}

// Len is the number of files indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

func (ix *Index) insert(e *entry) {
	if old, ok := ix.byID[e.l.ID]; ok { // a duplicate id in NewIndex: the last wins
		ix.removeSlot(old)
	}
	var slot int32
	if n := len(ix.free); n > 0 {
		slot = ix.free[n-1]
		ix.free = ix.free[:n-1]
		ix.files[slot] = e
	} else {
		slot = int32(len(ix.files))
		ix.files = append(ix.files, e)
	}
	ix.byID[e.l.ID] = slot
	ix.byPath[e.l.Path] = slot
	for _, k := range e.p.keys {
		ix.byKey[k] = append(ix.byKey[k], slot)
	}
}

func (ix *Index) remove(id int64) {
	if slot, ok := ix.byID[id]; ok {
		ix.removeSlot(slot)
	}
}

func (ix *Index) removeSlot(slot int32) {
	e := ix.files[slot]
	delete(ix.byID, e.l.ID)
	if ix.byPath[e.l.Path] == slot {
		delete(ix.byPath, e.l.Path)
	}
	for _, k := range e.p.keys {
		s := ix.byKey[k]
		for i, x := range s {
			if x == slot {
				s[i] = s[len(s)-1]
				s = s[:len(s)-1]
				break
			}
		}
		if len(s) == 0 {
			delete(ix.byKey, k)
		} else {
			ix.byKey[k] = s
		}
	}
	ix.files[slot] = nil
	ix.free = append(ix.free, slot)
}

// formatRank places a file in the format preference: its codec first
// (FLAC in Ogg is FLAC), then its container.
func (ix *Index) formatRank(l *Local) int {
	if r, ok := ix.rank[strings.ToLower(l.Codec)]; ok {
		return r
	}
	if r, ok := ix.rank[strings.ToLower(l.Format)]; ok {
		return r
	}
	return len(ix.opts.FormatPreference)
}
