package report

import (
	"fmt"

	"github.com/winbake/winbake/internal/bake/bakefile"
)

// provenance says where an AMI comes from, one line per fact that is
// known: AMIs given by hand (bump --image) may carry none of it.
func provenance(img bakefile.Image) []string {
	var lines []string
	what := ""
	switch {
	case img.Kubernetes != "" && img.Windows != "":
		what = fmt.Sprintf("Kubernetes **%s**, Windows **%s**", img.Kubernetes, img.Windows)
	case img.Kubernetes != "":
		what = fmt.Sprintf("Kubernetes **%s**", img.Kubernetes)
	case img.Windows != "":
		what = fmt.Sprintf("Windows **%s**", img.Windows)
	}
	switch {
	case what != "" && img.Builder != "":
		lines = append(lines, what+", built with "+img.Builder)
	case what != "":
		lines = append(lines, what)
	case img.Builder != "":
		lines = append(lines, "Built with "+img.Builder)
	}
	if img.BaseAMI != "" {
		line := fmt.Sprintf("Base AMI `%s`", img.BaseAMI)
		if img.BaseAMIName != "" {
			line += " " + img.BaseAMIName
		}
		if img.SSMParameter != "" {
			line += fmt.Sprintf(", from `%s`", img.SSMParameter)
		}
		lines = append(lines, line)
	}
	// Only a build says whether it applied updates.
	if img.Builder != "" {
		if img.Updates {
			lines = append(lines, "Windows updates applied (`update-windows`)")
		} else {
			lines = append(lines, "Windows updates not applied")
		}
	}
	if img.BuildVersionARN != "" {
		lines = append(lines, fmt.Sprintf("Build `%s`", img.BuildVersionARN))
	}
	if img.Finished != "" {
		lines = append(lines, "Finished "+img.Finished)
	}
	return lines
}
