package amiref

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/quick"
)

// checkOnlyTokensChanged walks input and output side by side: outside the
// replaced tokens every byte must be equal, and each replaced token must
// read as its replacement.
func checkOnlyTokensChanged(t *testing.T, in []byte, repl map[string]string) {
	t.Helper()
	checkDiff(t, in, Rewrite(in, FindTokens(in), repl), repl)
}

// checkDiff checks out against in, token by token, as found in in.
func checkDiff(t *testing.T, in, out []byte, repl map[string]string) {
	t.Helper()
	toks := FindTokens(in)
	i, j := 0, 0
	for _, tok := range toks {
		to, ok := repl[tok.AMI]
		if !ok {
			continue
		}
		if j+tok.Offset-i+len(to) > len(out) || !bytes.Equal(in[i:tok.Offset], out[j:j+tok.Offset-i]) {
			t.Fatalf("bytes %d..%d changed outside a token:\n in: %q\nout: %q", i, tok.Offset, in, out)
		}
		j += tok.Offset - i
		if string(out[j:j+len(to)]) != to {
			t.Fatalf("token at %d is %q, want %q", tok.Offset, out[j:j+len(to)], to)
		}
		i, j = tok.Offset+len(tok.AMI), j+len(to)
	}
	if !bytes.Equal(in[i:], out[j:]) {
		t.Fatalf("the tail changed:\n in: %q\nout: %q", in[i:], out[j:])
	}
}

// replacementsFor maps every AMI in data to a distinct new one, of the
// other length where possible, to catch offset slips.
func replacementsFor(data []byte) map[string]string {
	repl := map[string]string{}
	for n, tok := range FindTokens(data) {
		if _, ok := repl[tok.AMI]; ok {
			continue
		}
		if len(tok.AMI) == 12 {
			repl[tok.AMI] = fmt.Sprintf("ami-%017x", 0xabc00000+n)
		} else {
			repl[tok.AMI] = fmt.Sprintf("ami-%08x", 0xab000000+n)
		}
	}
	return repl
}

func TestRewritePropertyOnlyTokensChange(t *testing.T) {
	pieces := []string{"ami-0123456789abcdef0", "ami-89abcdef", "xami-12345678", "ami-1234567", "ami-0123456789abcdef01", "\r\n", "\n", " # ", "\"", "é", "ami-", "-ami-12345678", "ami-ABCDEF12"}
	f := func(choices []uint8) bool {
		var b bytes.Buffer
		for _, c := range choices {
			b.WriteString(pieces[int(c)%len(pieces)])
		}
		checkOnlyTokensChanged(t, b.Bytes(), replacementsFor(b.Bytes()))
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 2000}); err != nil {
		t.Error(err)
	}
}

func TestFindTokensBoundaries(t *testing.T) {
	in := "ami-12345678 xami-12345678 ami-123456789 ami-0123456789abcdef0 ami-0123456789abcdef0a _ami-12345678 ami-12345678_ (ami-87654321)"
	var got []string
	for _, tok := range FindTokens([]byte(in)) {
		got = append(got, tok.AMI)
	}
	want := []string{"ami-12345678", "ami-0123456789abcdef0", "ami-87654321"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func FuzzRewrite(f *testing.F) {
	_ = filepath.WalkDir("testdata/repo", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
		return nil
	})
	f.Add([]byte("ami-12345678\r\nami-0123456789abcdef0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkOnlyTokensChanged(t, data, replacementsFor(data))
	})
}
