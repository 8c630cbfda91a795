// Command genrepo writes a synthetic infrastructure monorepo for the bump
// benchmark, shaped like a real one: Terraform, YAML (Kubernetes, eksctl,
// Helm values) and JSON (CloudFormation, tfvars) files of varied size
// (about 10 KB on average) full of hyphenated names, ARNs and resource IDs.
// One file in 50 holds an AMI ID; two thirds of those are AMIs of other
// lineages (Linux node groups, bastions) or unknown to the account.
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
	size := flag.Int("size", 10550, "average bytes per file")
	every := flag.Int("every", 50, "one file in this many holds an AMI ID")
	lineage := flag.String("lineage-ami", "ami-0e0e0e0e0e0e0e0e1", "the AMI of the image's lineage")
	other := flag.String("other-ami", "ami-0a1a1a1a1a1a1a1a1", "an AMI of another lineage (Linux)")
	minified := flag.Int("minified", 0, "write instead one single-line CloudFormation JSON of this many `MB`")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	if *minified > 0 {
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			log.Fatal(err)
		}
		body := gen{rng: rng}.minifiedJSON(*minified<<20, *lineage, *other)
		if err := os.WriteFile(filepath.Join(*dir, "stacks.json"), []byte(body), 0o644); err != nil {
			log.Fatal(err)
		}
		return
	}
	for i := range *files {
		sub := filepath.Join(*dir, fmt.Sprintf("team-%02d", i%50), fmt.Sprintf("stack-%03d", (i/50)%400))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			log.Fatal(err)
		}
		ami := ""
		if i%*every == 0 {
			switch rng.IntN(3) {
			case 0:
				ami = *lineage
			case 1:
				ami = *other
			default: // another account's or region's AMI: unknown here
				ami = fmt.Sprintf("ami-%017x", rng.Uint64()>>4)
			}
		}
		// Sizes vary from a quarter to twice the average, like real modules.
		target := *size/4 + rng.IntN(*size*3/2)
		g := gen{rng: rng, i: i}
		var name, body string
		switch i % 3 {
		case 0:
			name, body = fmt.Sprintf("main-%d.tf", i), g.terraform(target, ami)
		case 1:
			name, body = fmt.Sprintf("values-%d.yaml", i), g.yaml(target, ami)
		default:
			name, body = fmt.Sprintf("stack-%d.json", i), g.json(target, ami)
		}
		if err := os.WriteFile(filepath.Join(sub, name), []byte(body), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

type gen struct {
	rng *rand.Rand
	i   int
}

var words = []string{"payments", "orders", "edge", "batch", "ingest", "search", "auth", "billing", "reports", "gateway", "cache", "queue", "worker", "frontend", "metrics"}

func (g gen) word() string { return words[g.rng.IntN(len(words))] }

func (g gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(16)]
	}
	return string(b)
}

func (g gen) name() string { return g.word() + "-" + g.word() + "-" + fmt.Sprint(g.rng.IntN(100)) }

func (g gen) terraform(target int, ami string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s stack, managed by the platform team\nterraform {\n  required_version = \">= 1.5\"\n}\n\n", g.name())
	for n := 0; b.Len() < target; n++ {
		fmt.Fprintf(&b, `resource "aws_security_group_rule" "r%d" {
  type                     = "ingress"
  from_port                = %d
  to_port                  = %d
  protocol                 = "tcp"
  security_group_id        = "sg-%s"
  source_security_group_id = "sg-%s"
  description              = "allow %s to reach %s in us-east-1"
}

module "%s_%d" {
  source  = "git::https://example.com/modules/eks-addon.git?ref=v1.%d.0"
  name    = "%s"
  subnets = ["subnet-%s", "subnet-%s"]
  role    = "arn:aws:iam::123456789012:role/%s"
  tags = {
    "team"        = "%s"
    "cost-center" = "cc-%d"
  }
}

`, n, 443, 443, g.hex(17), g.hex(17), g.name(), g.name(), g.word(), n, g.rng.IntN(30), g.name(), g.hex(17), g.hex(17), g.name(), g.word(), g.rng.IntN(900))
	}
	if ami != "" {
		fmt.Fprintf(&b, "resource \"aws_launch_template\" \"nodes\" {\n  name_prefix = %q\n  image_id    = %q\n}\n", g.name(), ami)
	}
	return b.String()
}

func (g gen) yaml(target int, ami string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# values for %s\nreplicaCount: 3\nimage:\n  repository: 123456789012.dkr.ecr.us-east-1.amazonaws.com/%s\n  tag: v1.%d.%d\n", g.name(), g.name(), g.rng.IntN(20), g.rng.IntN(9))
	b.WriteString("services:\n")
	for b.Len() < target {
		fmt.Fprintf(&b, `  - name: %s
    port: %d
    annotations:
      service.beta.kubernetes.io/aws-load-balancer-type: nlb
      service.beta.kubernetes.io/aws-load-balancer-subnets: subnet-%s,subnet-%s
      external-dns.alpha.kubernetes.io/hostname: %s.example.com
    resources:
      limits: {cpu: 500m, memory: 512Mi}
    env:
      - {name: QUEUE_URL, value: "https://sqs.us-east-1.amazonaws.com/123456789012/%s"}
`, g.name(), 8000+g.rng.IntN(1000), g.hex(17), g.hex(17), g.name(), g.name())
	}
	if ami != "" {
		fmt.Fprintf(&b, "nodes:\n  ami: %s\n", ami)
	}
	return b.String()
}

func (g gen) json(target int, ami string) string {
	var b strings.Builder
	b.WriteString("{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Resources\": {\n")
	for n := 0; b.Len() < target; n++ {
		fmt.Fprintf(&b, `    "Queue%d": {
      "Type": "AWS::SQS::Queue",
      "Properties": {
        "QueueName": "%s",
        "RedrivePolicy": {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:%s-dlq", "maxReceiveCount": 5},
        "Tags": [{"Key": "team", "Value": "%s"}, {"Key": "subnet", "Value": "subnet-%s"}]
      }
    },
`, n, g.name(), g.name(), g.word(), g.hex(17))
	}
	if ami != "" {
		fmt.Fprintf(&b, "    \"Nodes\": {\n      \"Type\": \"AWS::EC2::LaunchTemplate\",\n      \"Properties\": {\"LaunchTemplateData\": {\"ImageId\": %q}}\n    },\n", ami)
	}
	b.WriteString("    \"End\": {\"Type\": \"AWS::CloudFormation::WaitConditionHandle\"}\n  }\n}\n")
	return b.String()
}

// minifiedJSON is a generated CloudFormation template on one line, as
// CDK and other generators write them: launch templates, one in 40 on the
// lineage AMI, the others on a Linux one.
func (g gen) minifiedJSON(target int, lineage, other string) string {
	var b strings.Builder
	b.WriteString(`{"AWSTemplateFormatVersion":"2010-09-09","Resources":{`)
	for n := 0; b.Len() < target; n++ {
		ami := other
		if n%40 == 0 {
			ami = lineage
		}
		fmt.Fprintf(&b, `"LT%d":{"Type":"AWS::EC2::LaunchTemplate","Properties":{"LaunchTemplateName":"%s","LaunchTemplateData":{"ImageId":"%s","SecurityGroupIds":["sg-%s"],"TagSpecifications":[{"ResourceType":"instance","Tags":[{"Key":"team","Value":"%s"}]}]}}},`, n, g.name(), ami, g.hex(17), g.word())
	}
	b.WriteString(`"End":{"Type":"AWS::CloudFormation::WaitConditionHandle"}}}`)
	return b.String()
}
