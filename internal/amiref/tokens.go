package amiref

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// FindTokens finds every whole AMI ID in data: "ami-" and exactly 8 or 17
// lower-case hex digits, not inside a longer word. It looks for the hyphen,
// which is far rarer in text than the letter a.
func FindTokens(data []byte) []Token {
	var toks []Token
	line, lineStart, counted := 1, 0, 0
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '-')
		if j < 0 {
			return toks
		}
		dash := i + j
		i = dash + 1
		at := dash - 3
		if at < 0 || data[at] != 'a' || data[at+1] != 'm' || data[at+2] != 'i' || at > 0 && isWordByte(data[at-1]) {
			continue
		}
		n := 0
		for at+4+n < len(data) && isHex(data[at+4+n]) {
			n++
		}
		if n != 8 && n != 17 || at+4+n < len(data) && isWordByte(data[at+4+n]) {
			continue
		}
		// Count lines only since the last match: each byte is looked at
		// once, even on a single-line file with thousands of AMIs.
		if n := bytes.Count(data[counted:at], []byte{'\n'}); n > 0 {
			line += n
			lineStart = counted + bytes.LastIndexByte(data[counted:at], '\n') + 1
		}
		counted = at
		toks = append(toks, Token{Offset: at, Line: line, Column: at - lineStart + 1, AMI: string(data[at : at+4+n])})
		i = at + 4 + n
	}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-'
}

// scanLarge finds the AMI IDs of a file too large to read whole, a chunk
// at a time. Each chunk starts with the previous one's last bytes, so a
// token across the seam is seen whole, with the byte before it.
func scanLarge(r io.Reader) ([]Token, error) {
	const chunk, keep = 4 << 20, 32 // keep > the longest token + 2
	var toks []Token
	buf := make([]byte, 0, chunk+keep)
	base, accept, line := 0, 0, 1 // file offset of buf[0]; first offset not yet taken
	for eof := false; !eof; {
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			eof = true
		} else if err != nil {
			return nil, err
		}
		limit := len(buf) - keep // tokens starting from here are taken next time
		if eof {
			limit = len(buf)
		}
		for _, t := range FindTokens(buf) {
			if off := base + t.Offset; off >= accept && t.Offset < limit {
				toks = append(toks, Token{Offset: off, Line: line + t.Line - 1, AMI: t.AMI})
			}
		}
		if eof || limit <= 0 {
			continue
		}
		// Keep one byte more than needed, so the next chunk's first
		// candidate has the byte before it.
		from := limit - 1
		line += bytes.Count(buf[:from], []byte{'\n'})
		accept = base + limit
		base += from
		buf = buf[:copy(buf, buf[from:])]
	}
	return toks, nil
}

// Encoding is how a text file is stored.
type Encoding int

// Encodings a file is read in. UTF-16 files (PowerShell and some Windows
// editors write them) are decoded, located and rewritten as UTF-8 text,
// then encoded back as they were, BOM and byte order included.
const (
	UTF8 Encoding = iota
	UTF16LEBOM
	UTF16BEBOM
	UTF16LE
	UTF16BE
	Binary
)

// sniff tells text from binary like git and grep -I (a NUL in the first
// 8000 bytes), but reads UTF-16 as text: by its BOM, or by the NUL in
// every other byte that ASCII text in UTF-16 has.
func sniff(data []byte) Encoding {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return UTF16LEBOM
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return UTF16BEBOM
	}
	head := data[:min(len(data), 8000)]
	if bytes.IndexByte(head, 0) < 0 {
		return UTF8
	}
	if len(head)%2 == 1 {
		head = head[:len(head)-1]
	}
	var even, odd int
	for i := 0; i < len(head); i += 2 {
		if head[i] == 0 {
			even++
		}
		if head[i+1] == 0 {
			odd++
		}
	}
	switch pairs := len(head) / 2; {
	case len(data)%2 == 1:
	case odd*10 >= pairs*9 && even == 0:
		return UTF16LE
	case even*10 >= pairs*9 && odd == 0:
		return UTF16BE
	}
	return Binary
}

// byteOrder is what binary.LittleEndian and BigEndian both are.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func (e Encoding) order() (byteOrder, int) {
	switch e {
	case UTF16LEBOM:
		return binary.LittleEndian, 2
	case UTF16BEBOM:
		return binary.BigEndian, 2
	case UTF16LE:
		return binary.LittleEndian, 0
	}
	return binary.BigEndian, 0
}

// decode returns the UTF-8 text of a UTF-16 file, and whether encoding it
// back gives the same bytes (no unpaired surrogates).
func (e Encoding) decode(data []byte) ([]byte, bool) {
	if e == UTF8 {
		return data, true
	}
	order, bom := e.order()
	body := data[bom:]
	if len(body)%2 != 0 {
		return nil, false
	}
	units := make([]uint16, len(body)/2)
	for i := range units {
		units[i] = order.Uint16(body[2*i:])
	}
	runes := utf16.Decode(units)
	text := make([]byte, 0, len(runes))
	for _, r := range runes {
		text = utf8.AppendRune(text, r)
	}
	back := e.encode(text)
	return text, bytes.Equal(back, data)
}

// encode writes UTF-8 text back in the encoding.
func (e Encoding) encode(text []byte) []byte {
	if e == UTF8 {
		return text
	}
	order, bom := e.order()
	units := utf16.Encode([]rune(string(text)))
	out := make([]byte, bom, bom+2*len(units))
	if bom > 0 {
		order.PutUint16(out, 0xFEFF)
	}
	for _, u := range units {
		out = order.AppendUint16(out, u)
	}
	return out
}
