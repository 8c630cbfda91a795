// Package components holds the Windows side of winbake: the PowerShell that
// caches container images on a node, and the renderers that wrap it into
// EC2 Image Builder component documents, image recipes and Packer variables.
//
// The scripts exist once, here; Image Builder gets them inside a component
// document and the Packer provisioner uploads the same files over WinRM.
package components

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
)

//go:embed scripts/*.ps1
var scripts embed.FS

// Script file names under scripts/.
const (
	CacheScript  = "cache-images.ps1"
	VerifyScript = "verify-images.ps1"
)

// CompletionMarker is printed as the last line of a successful cache run;
// callers check it besides the exit code, which WinRM can report as 0 for a
// killed script.
const CompletionMarker = "WINBAKE-CACHE-COMPLETE"

// VerifyMarker ends a successful verification.
const VerifyMarker = "WINBAKE-VERIFY-COMPLETE"

// Script returns the text of a script under scripts/.
func Script(name string) string {
	b, err := scripts.ReadFile("scripts/" + name)
	if err != nil {
		panic(fmt.Sprintf("components: no embedded script %s", name))
	}
	return string(b)
}

// ScriptNames lists the embedded scripts.
func ScriptNames() []string {
	entries, _ := scripts.ReadDir("scripts")
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

// Invocation returns PowerShell that runs an embedded script with the images
// as its data (none: the script's defaults). The script body runs as a
// script block; the images reach it as one single-quoted JSON literal, so no
// reference is ever parsed as code.
func Invocation(script string, images []CacheImage) (string, error) {
	if images == nil {
		return fmt.Sprintf("& {\n%s\n}\n", compact(Script(script))), nil
	}
	data, err := json.Marshal(images)
	if err != nil {
		return "", fmt.Errorf("encoding the image list: %w", err)
	}
	return fmt.Sprintf("& {\n%s\n} -ImagesJson %s\n", compact(Script(script)), Quote(string(data))), nil
}

// verifyPath is where the build leaves verify-images.ps1 on the node,
// beside the list cache-images.ps1 leaves there.
const verifyPath = `(Join-Path $env:ProgramData 'winbake\verify-images.ps1')`

// InstallVerifyScript is PowerShell that writes verify-images.ps1 (ASCII,
// compacted) to the node.
func InstallVerifyScript() string {
	return fmt.Sprintf("$path = %s\nNew-Item -ItemType Directory -Force -Path (Split-Path -Parent $path) | Out-Null\nSet-Content -LiteralPath $path -Encoding ASCII -Value %s\n",
		verifyPath, Quote(compact(Script(VerifyScript))))
}

// RunVerifyScript runs the verify-images.ps1 the build left on the node. It
// runs as a script block made from the file's text, which no execution
// policy stops, as the inline commands themselves are.
var RunVerifyScript = fmt.Sprintf("& ([scriptblock]::Create((Get-Content -Raw -LiteralPath %s)))\n", verifyPath)

// Quote makes s a PowerShell single-quoted string literal. PowerShell also
// takes the typographic single quotes as quote characters; all are doubled.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'', '\u2018', '\u2019', '\u201a', '\u201b':
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// compact drops the help block, comment lines, blank lines and indentation:
// inline component data is limited to 16,000 characters, every line of it
// is indented again by the YAML, and the comments are in the repository.
// Indentation means nothing to PowerShell except inside a here-string,
// which is kept as it is.
func compact(script string) string {
	var out []string
	inHelp, inHere := false, false
	for _, line := range strings.Split(strings.ReplaceAll(script, "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case inHere:
			out = append(out, line)
			inHere = !strings.HasPrefix(line, "'@") && !strings.HasPrefix(line, `"@`)
		case trimmed == "<#":
			inHelp = true
		case trimmed == "#>":
			inHelp = false
		case inHelp, trimmed == "", strings.HasPrefix(trimmed, "# "):
		default:
			out = append(out, trimmed)
			inHere = strings.HasSuffix(trimmed, "@'") || strings.HasSuffix(trimmed, `@"`)
		}
	}
	return strings.Join(out, "\n")
}
