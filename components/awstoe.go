package components

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// The AWSTOE document rules, from the Image Builder user guide ("Component
// document framework" and "Action modules supported by AWSTOE").
var (
	toeTopLevel = set("name", "description", "schemaVersion", "parameters", "constants", "phases")
	toePhases   = set("build", "validate", "test", "container-host-test")
	toeStep     = set("name", "action", "inputs", "timeoutSeconds", "onFailure", "maxAttempts", "if", "loop")
	toeFailure  = set("Abort", "Continue", "Ignore")
	// Known actions and the inputs each takes (nil: not checked further).
	toeActions = map[string]map[string]bool{
		"ExecutePowerShell": set("commands", "file"),
		"ExecuteBash":       set("commands"),
		"ExecuteBinary":     set("path", "arguments"),
		"ExecuteDocument":   nil,
		"Reboot":            set("delaySeconds"),
		"SetRegistry":       nil,
		"UpdateOS":          set("include", "exclude"),
		"CreateFile":        nil,
		"CreateFolder":      nil,
		"DeleteFile":        nil,
		"DeleteFolder":      nil,
		"CopyFile":          nil,
		"MoveFile":          nil,
		"S3Download":        nil,
		"S3Upload":          nil,
		"WebDownload":       nil,
		"InstallMSI":        nil,
		"UninstallMSI":      nil,
		"AppendFile":        nil,
		"ReadFile":          nil,
		"ListFiles":         nil,
		"Assert":            nil,
	}
	toeStepName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)
)

func set(items ...string) map[string]bool {
	m := map[string]bool{}
	for _, i := range items {
		m[i] = true
	}
	return m
}

// CheckAWSTOE checks a component document against the AWSTOE rules and
// returns one line per problem.
func CheckAWSTOE(data []byte) []string {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []string{"not YAML: " + err.Error()}
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, k := range sortedKeys(doc) {
		if !toeTopLevel[k] {
			bad("unknown top-level key %q", k)
		}
	}
	if v, ok := doc["schemaVersion"].(float64); !ok || v != 1.0 {
		bad("schemaVersion is %v, want the number 1.0", doc["schemaVersion"])
	}
	if name, _ := doc["name"].(string); name == "" {
		bad("name is missing")
	}
	phases, ok := doc["phases"].([]any)
	if !ok || len(phases) == 0 {
		return append(problems, "phases must be a non-empty list")
	}
	seenPhase := map[string]bool{}
	for i, p := range phases {
		phase, _ := p.(map[string]any)
		name, _ := phase["name"].(string)
		if !toePhases[name] {
			bad("phases[%d]: %q is not a phase name", i, name)
		}
		if seenPhase[name] {
			bad("phases[%d]: phase %q appears twice", i, name)
		}
		seenPhase[name] = true
		steps, ok := phase["steps"].([]any)
		if !ok || len(steps) == 0 {
			bad("phases[%d] (%s): steps must be a non-empty list", i, name)
			continue
		}
		seenStep := map[string]bool{}
		for j, s := range steps {
			at := fmt.Sprintf("phases[%d].steps[%d]", i, j)
			step, _ := s.(map[string]any)
			for _, k := range sortedKeys(step) {
				if !toeStep[k] {
					bad("%s: unknown step field %q", at, k)
				}
			}
			sname, _ := step["name"].(string)
			if !toeStepName.MatchString(sname) {
				bad("%s: step name %q must be letters, digits, _ and -", at, sname)
			}
			if seenStep[sname] {
				bad("%s: step name %q is not unique in its phase", at, sname)
			}
			seenStep[sname] = true
			action, _ := step["action"].(string)
			inputsAllowed, known := toeActions[action]
			if !known {
				bad("%s: unknown action %q", at, action)
			}
			if v, ok := step["timeoutSeconds"]; ok {
				if n, ok := v.(int); !ok || (n != -1 && (n < 1 || n > 43200)) {
					bad("%s: timeoutSeconds %v must be 1..43200 or -1", at, v)
				}
			}
			if v, ok := step["maxAttempts"]; ok {
				if n, ok := v.(int); !ok || n < 1 {
					bad("%s: maxAttempts %v must be a positive integer", at, v)
				}
			}
			if v, ok := step["onFailure"]; ok && !toeFailure[fmt.Sprint(v)] {
				bad("%s: onFailure %v must be Abort, Continue or Ignore", at, v)
			}
			inputs, _ := step["inputs"].(map[string]any)
			if inputsAllowed != nil {
				for _, k := range sortedKeys(inputs) {
					if !inputsAllowed[k] {
						bad("%s: action %s takes no input %q", at, action, k)
					}
				}
			}
			// AWSTOE substitutes {{ name }} in step inputs with a constant or
			// parameter ("Use variables in your custom component document");
			// these documents define none, so any "{{" is a broken reference.
			if hasBraces(inputs) {
				bad("%s: inputs hold \"{{\", which AWSTOE reads as a variable reference (the document defines none)", at)
			}
			if action == "ExecutePowerShell" {
				cmds, isList := inputs["commands"].([]any)
				_, isFile := inputs["file"].(string)
				if isList == isFile || (isList && len(cmds) == 0) {
					bad("%s: ExecutePowerShell needs either a non-empty commands list or a file", at)
				}
				for k, c := range cmds {
					if _, ok := c.(string); !ok {
						bad("%s.inputs.commands[%d] is not a string", at, k)
					}
				}
			}
		}
	}
	if !seenPhase["build"] && !seenPhase["validate"] && !seenPhase["test"] {
		bad("a document needs a build, validate or test phase")
	}
	return problems
}

// hasBraces reports whether any string inside v holds "{{".
func hasBraces(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, "{{")
	case []any:
		return slices.ContainsFunc(v, hasBraces)
	case map[string]any:
		for _, x := range v {
			if hasBraces(x) {
				return true
			}
		}
	}
	return false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
