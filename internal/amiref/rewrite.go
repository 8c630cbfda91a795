package amiref

import "bytes"

// Rewrite replaces each token whose AMI has a replacement and changes no
// other byte: indentation, comments, line endings and the final newline
// stay as they were.
func Rewrite(data []byte, toks []Token, repl map[string]string) []byte {
	var out bytes.Buffer
	out.Grow(len(data) + 16*len(toks))
	last := 0
	for _, t := range toks {
		to, ok := repl[t.AMI]
		if !ok {
			continue
		}
		out.Write(data[last:t.Offset])
		out.WriteString(to)
		last = t.Offset + len(t.AMI)
	}
	out.Write(data[last:])
	return out.Bytes()
}
