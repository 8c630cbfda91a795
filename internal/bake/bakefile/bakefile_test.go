package bakefile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file without winbake's version, such as another tool's JSON, is
// refused with what to give instead.
func TestReadWrongVersionSaysWhatToGive(t *testing.T) {
	f := filepath.Join(t.TempDir(), "bake.json")
	if err := os.WriteFile(f, []byte(`{"images": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Read(f)
	if err == nil || !strings.Contains(err.Error(), "is a bake file of version 0; this winbake reads version 1 (give the bake.json winbake bake wrote, or bake again)") {
		t.Errorf("err = %v", err)
	}
}
