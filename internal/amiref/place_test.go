package amiref

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// On one line, each AMI gets its own path: places come from byte offsets
// (JSON) and line and column (YAML flow collections), not from the line.
func TestPlacesOnOneLine(t *testing.T) {
	a, b := "ami-0123456789abcdef0", "ami-0fedcba9876543210"
	json := `[{"Resources":{"One":{"Properties":{"ImageId":"` + a + `"}}}},{"Resources":{"Two":{"Properties":{"LaunchTemplateData":{"ImageId":"` + b + `"}}}}}]`
	places, _, err := Analyze("stacks.json", []byte(json), FindTokens([]byte(json)))
	must(t, err == nil, "%v", err)
	must(t, len(places) == 2 && places[0].Where == "[0].Resources.One.Properties.ImageId" && places[1].Where == "[1].Resources.Two.Properties.LaunchTemplateData.ImageId", "JSON: %+v", places)
	yaml := "amis: {east: " + a + ", west: [\"x\", " + b + "]}  # was " + a + "\n"
	places, _, err = Analyze("amis.yaml", []byte(yaml), FindTokens([]byte(yaml)))
	must(t, err == nil, "%v", err)
	must(t, len(places) == 3 && places[0].Where == "amis.east" && places[1].Where == "amis.west[1]", "YAML: %+v", places)
}

// A large minified CloudFormation JSON is parsed once to place its tokens
// and once to check the rewrite, with memory a small multiple of the file.
func TestLargeJSONMemory(t *testing.T) {
	seedAWS(t)
	var b strings.Builder
	b.WriteString(`{"AWSTemplateFormatVersion":"2010-09-09","Resources":{`)
	for i := 0; b.Len() < 10<<20; i++ {
		ami := linuxEast
		if i%40 == 0 {
			ami = stockEast
		}
		fmt.Fprintf(&b, `"LT%d":{"Type":"AWS::EC2::LaunchTemplate","Properties":{"LaunchTemplateName":"nodes-%d","LaunchTemplateData":{"ImageId":"%s","TagSpecifications":[{"ResourceType":"instance","Tags":[{"Key":"team","Value":"payments-edge-%d"}]}]}}},`, i, i, ami, i)
	}
	b.WriteString(`"End":{"Type":"AWS::CloudFormation::WaitConditionHandle"}}}`)
	root := writeTree(t, map[string]string{"big.json": b.String()})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := prepare(t, root, map[string]string{"us-east-1": newEast})
	runtime.ReadMemStats(&after)
	size := uint64(b.Len())
	allocated := after.TotalAlloc - before.TotalAlloc
	must(t, len(r.Changes) > 100 && r.Changes[1].Where == "CloudFormation: Resources.LT40.Properties.LaunchTemplateData.ImageId", "changes: %d, second at %q", len(r.Changes), r.Changes[1].Where)
	must(t, allocated < 8*size, "allocated %d MB for a %d MB file", allocated>>20, size>>20)
}

// The one-pass JSON reader accepts every valid document, never panics, and
// places every AMI of a valid document in the string that holds it.
func FuzzAnalyzeJSON(f *testing.F) {
	f.Add([]byte(`{"a": ["ami-12345678", {"ami-0123456789abcdef0": 1}], "b\"ami-87654321": null}`))
	f.Add([]byte(`[1, -2.5e3, true, false, null, "x\\"", {}]`))
	f.Add([]byte(`{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"LT": {"Properties": {"ImageId": "ami-12345678"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		toks := FindTokens(data)
		places, _, err := analyzeJSON("f.json", data, toks)
		if !json.Valid(data) {
			return
		}
		if err != nil {
			t.Fatalf("valid JSON refused: %v\n%q", err, data)
		}
		for i, p := range places {
			if p.Where == "" && !p.InKey && !inTopString(data, toks[i]) {
				t.Fatalf("token %d (%s) not placed in %q", i, toks[i].AMI, data)
			}
		}
	})
}

// inTopString reports a top-level string document: its path is empty.
func inTopString(data []byte, _ Token) bool {
	return len(bytes.TrimSpace(data)) > 0 && bytes.TrimSpace(data)[0] == '"'
}
