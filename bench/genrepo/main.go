// Command genrepo writes a synthetic infrastructure monorepo for the bump
// benchmark: Terraform, YAML and JSON files of realistic shape, with a few
// hundred AMI IDs among them, half of them of the benchmark image's lineage.
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	dir := flag.String("dir", "", "output `directory`")
	files := flag.Int("files", 20000, "number of files")
	size := flag.Int("size", 10<<10, "approximate bytes per file")
	refs := flag.Int("refs", 300, "AMI references in all")
	lineage := flag.String("lineage-ami", "ami-0e0e0e0e0e0e0e0e1", "the AMI of the image's lineage")
	other := flag.String("other-ami", "ami-0a1a1a1a1a1a1a1a1", "an AMI of another lineage (Linux)")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	every := max(*files / *refs, 1)
	filler := strings.Repeat("  # padding comment that stands for the rest of a real module\n", *size/64)
	for i := range *files {
		sub := filepath.Join(*dir, fmt.Sprintf("team-%02d", i%50), fmt.Sprintf("stack-%03d", (i/50)%400))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			log.Fatal(err)
		}
		ami := ""
		if i%every == 0 {
			ami = *other
			if rng.IntN(2) == 0 {
				ami = *lineage
			}
		}
		var name, body string
		switch i % 3 {
		case 0:
			name = fmt.Sprintf("main-%d.tf", i)
			body = fmt.Sprintf("resource \"aws_instance\" \"n%d\" {\n  instance_type = \"m6i.large\"\n%s}\n", i, filler)
			if ami != "" {
				body += fmt.Sprintf("resource \"aws_launch_template\" \"t%d\" {\n  image_id = %q\n}\n", i, ami)
			}
		case 1:
			name = fmt.Sprintf("values-%d.yaml", i)
			body = fmt.Sprintf("service: s%d\nreplicas: 3\n%s", i, filler)
			if ami != "" {
				body += "nodes:\n  ami: " + ami + "\n"
			}
		default:
			name = fmt.Sprintf("vars-%d.tfvars.json", i)
			body = fmt.Sprintf("{\n  \"name\": \"s%d\",\n  \"notes\": %q", i, filler)
			if ami != "" {
				body += fmt.Sprintf(",\n  \"ami\": %q", ami)
			}
			body += "\n}\n"
		}
		if err := os.WriteFile(filepath.Join(sub, name), []byte(body), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
