package report

import (
	"fmt"
	"strings"

	"github.com/winbake/winbake/internal/bake/bakefile"
)

// BakeMarkdown is the table of what a bake produced, for a job summary.
func BakeMarkdown(f *bakefile.File) string {
	var b strings.Builder
	b.WriteString("### Baked\n\n| image | region | AMI | built with |\n|---|---|---|---|\n")
	for _, img := range f.Images {
		for _, a := range img.AMIs {
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s |\n", img.Name, a.Region, a.AMI, img.Builder)
		}
	}
	return b.String() + "\n"
}
