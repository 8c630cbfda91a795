// Command archive writes a reproducible release archive for scripts/release.sh:
//
//	go run ./scripts/archive OUT.tar.gz|OUT.zip FILE...
package main

import (
	"fmt"
	"os"

	"github.com/winbake/winbake/internal/release"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: archive OUT.tar.gz|OUT.zip FILE...")
		os.Exit(2)
	}
	if err := release.Write(os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "archive:", err)
		os.Exit(1)
	}
}
