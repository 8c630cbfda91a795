package amiref

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// jsonScan reads JSON text once, without building it: it says where each
// token sits (by byte offset, so the thousand AMIs of a minified template
// each get their own path) and fingerprints the structure (every key and
// nesting), to compare before and after a rewrite. It runs at the speed of
// a byte loop and allocates only for the paths it returns.
type jsonScan struct {
	data  []byte
	toks  []Token
	next  int // the first token not yet placed
	pos   int
	path  []seg
	hash  uint64
	top   map[string]string // top-level keys: string values, or "" for others
	meta  string            // metadata.name
	place []Place
}

// seg is one level of the path: an object key (raw, as written) or an
// array index.
type seg struct {
	key []byte
	idx int
}

// analyzeJSON places the tokens and fingerprints data.
func analyzeJSON(name string, data []byte, toks []Token) ([]Place, string, error) {
	s := &jsonScan{data: data, toks: toks, place: make([]Place, len(toks)), top: map[string]string{}, hash: 14695981039346656037}
	// A UTF-8 BOM, as Windows PowerShell 5.1's Out-File -Encoding utf8
	// writes, comes before the value.
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		s.pos = 3
	}
	s.ws()
	if err := s.value(); err != nil {
		return s.place, "", err
	}
	if s.ws(); s.pos != len(data) {
		return s.place, "", s.errorf("unexpected %q after the top-level value", data[s.pos])
	}
	_, cfn := s.top["AWSTemplateFormatVersion"]
	_, res := s.top["Resources"]
	label := docKind(name, s.top["apiVersion"], s.top["kind"], s.meta, cfn || res)
	for i := range s.place {
		if s.place[i].Where != "" {
			s.place[i].Where = label + s.place[i].Where
		}
	}
	return s.place, strconv.FormatUint(s.hash, 16), nil
}

func (s *jsonScan) errorf(format string, args ...any) error {
	line := 1 + bytes.Count(s.data[:min(s.pos, len(s.data))], []byte{'\n'})
	return fmt.Errorf("does not parse as JSON: line %d: %s", line, fmt.Sprintf(format, args...))
}

func (s *jsonScan) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\r', '\n':
			s.pos++
		default:
			return
		}
	}
}

// mix adds a structural event to the FNV-1a fingerprint.
func (s *jsonScan) mix(b byte, str []byte) {
	const prime = 1099511628211
	h := (s.hash ^ uint64(b)) * prime
	for _, c := range str {
		h = (h ^ uint64(c)) * prime
	}
	s.hash = h
}

func (s *jsonScan) value() error {
	if s.pos >= len(s.data) {
		return s.errorf("unexpected end of input")
	}
	switch c := s.data[s.pos]; c {
	case '{':
		return s.object()
	case '[':
		return s.array()
	case '"':
		start := s.pos
		if err := s.str(); err != nil {
			return err
		}
		s.mark(start, false)
		switch {
		case len(s.path) == 1 && s.path[0].key != nil:
			s.top[string(s.path[0].key)] = string(s.data[start+1 : s.pos-1])
		case len(s.path) == 2 && string(s.path[0].key) == "metadata" && string(s.path[1].key) == "name":
			s.meta = string(s.data[start+1 : s.pos-1])
		}
		s.mix('s', nil)
	default:
		start := s.pos
		for s.pos < len(s.data) && strings.IndexByte("+-.0123456789eEtrufalsn", s.data[s.pos]) >= 0 {
			s.pos++
		}
		lit := s.data[start:s.pos]
		ok := len(lit) > 0 && (lit[0] == '-' || lit[0] >= '0' && lit[0] <= '9') || string(lit) == "true" || string(lit) == "false" || string(lit) == "null"
		if !ok {
			s.pos = start
			return s.errorf("unexpected %q", s.data[start:min(start+20, len(s.data))])
		}
		s.mix('v', nil)
	}
	return nil
}

// str skips a string literal, escapes included.
func (s *jsonScan) str() error {
	s.pos++
	for {
		i := bytes.IndexByte(s.data[s.pos:], '"')
		if i < 0 {
			return s.errorf("unterminated string")
		}
		end := s.pos + i
		n := 0
		for k := end - 1; k >= s.pos && s.data[k] == '\\'; k-- {
			n++
		}
		s.pos = end + 1
		if n%2 == 0 {
			return nil
		}
	}
}

// mark places the tokens inside the string that ends at s.pos; tokens
// before it are outside any string, which valid JSON cannot have.
func (s *jsonScan) mark(start int, key bool) {
	for s.next < len(s.toks) && s.toks[s.next].Offset < s.pos {
		if s.toks[s.next].Offset > start {
			s.place[s.next] = Place{Where: s.where(), InKey: key}
		}
		s.next++
	}
}

func (s *jsonScan) where() string {
	var b strings.Builder
	for _, p := range s.path {
		if p.key == nil {
			fmt.Fprintf(&b, "[%d]", p.idx)
			continue
		}
		k := string(p.key)
		if bytes.IndexByte(p.key, '\\') >= 0 {
			if u, err := strconv.Unquote(`"` + k + `"`); err == nil {
				k = u
			}
		}
		if k == "" {
			b.WriteString(`[""]`) // an empty key would vanish from the path
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(k)
	}
	return b.String()
}

func (s *jsonScan) object() error {
	s.pos++
	s.mix('{', nil)
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		s.mix('}', nil)
		return nil
	}
	for {
		s.ws()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return s.errorf("expected a key")
		}
		start := s.pos
		if err := s.str(); err != nil {
			return err
		}
		raw := s.data[start+1 : s.pos-1]
		s.mix('k', raw)
		if len(s.path) == 0 {
			if _, ok := s.top[string(raw)]; !ok {
				s.top[string(raw)] = ""
			}
		}
		s.ws()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return s.errorf("expected ':' after key %q", raw)
		}
		s.pos++
		s.ws()
		s.path = append(s.path, seg{key: raw})
		s.mark(start, true) // a key's place is the key itself
		if err := s.value(); err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
		s.ws()
		if s.pos >= len(s.data) {
			return s.errorf("unexpected end of input in an object")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			s.mix('}', nil)
			return nil
		default:
			return s.errorf("expected ',' or '}'")
		}
	}
}

func (s *jsonScan) array() error {
	s.pos++
	s.mix('[', nil)
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		s.mix(']', nil)
		return nil
	}
	for i := 0; ; i++ {
		s.ws()
		s.path = append(s.path, seg{idx: i})
		if err := s.value(); err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
		s.ws()
		if s.pos >= len(s.data) {
			return s.errorf("unexpected end of input in an array")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.mix(']', nil)
			return nil
		default:
			return s.errorf("expected ',' or ']'")
		}
	}
}
