// Command yaml-oracle reads manifest files the way kubectl does and prints, for each file, one
// JSON line with what Kubernetes makes of every document in it. It is the reference of
// Stockade's YAML differential test (tests/tests/yaml_diff.rs); it is built offline from
// Debian's packages golang-go, golang-gopkg-yaml.v2-dev and golang-k8s-sigs-yaml-dev.
//
// The reading mirrors `kubectl apply -f FILE`:
//   - a UTF-8 byte order mark is dropped (kubectl's file visitor reads through BOMOverride);
//   - k8s.io/apimachinery's YAMLOrJSONDecoder looks at the first 4096 bytes: if they start with
//     `{` after white space, the file is a stream of JSON values (encoding/json); otherwise
//     NewYAMLReader cuts it into documents at lines that start with `---` (followed only by
//     white space or a comment: anything else is "invalid Yaml document separator"), reading
//     lines with bufio's ReadLine (so `\r\n` becomes `\n`); a separator line met while no
//     document text is pending is kept as the start of the next document;
//   - each YAML document goes through sigs.k8s.io/yaml's YAMLToJSON (go-yaml v2, then keys made
//     strings, then encoding/json), and a document that reads as `null` is skipped.
//
// kubectl stops at the first bad document; the oracle goes on with the next one (the splitting
// does not depend on the content), so that one broken document does not hide the rest. A bad
// separator ends the file, as it does in kubectl.
//
// Usage: yaml-oracle FILE... (or file names on standard input, one a line, with no argument).
// Output, one line per file:
//
//	{"file": F, "items": [{"line": L, "value": V} | {"line": L, "error": E}, ...]}
//
// where L is the 1-based line at which the document's text starts.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"sigs.k8s.io/yaml"
)

type item struct {
	Line  int             `json:"line"`
	Value json.RawMessage `json:"value,omitempty"`
	Error string          `json:"error,omitempty"`
}

type result struct {
	File  string `json:"file"`
	Items []item `json:"items"`
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

func main() {
	files := os.Args[1:]
	if len(files) == 0 {
		scanner := bufio.NewScanner(os.Stdin)
		scanner.Buffer(make([]byte, 1<<20), 1<<20)
		for scanner.Scan() {
			if name := scanner.Text(); name != "" {
				files = append(files, name)
			}
		}
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for _, name := range files {
		data, err := os.ReadFile(name)
		res := result{File: name, Items: []item{}}
		if err != nil {
			res.Items = append(res.Items, item{Line: 1, Error: err.Error()})
		} else {
			res.Items = read(data)
		}
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}

func read(data []byte) []item {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	head := data
	if len(head) > 4096 {
		head = head[:4096]
	}
	if bytes.HasPrefix(bytes.TrimLeftFunc(head, unicode.IsSpace), []byte("{")) {
		return readJSON(data)
	}
	return readYAML(data)
}

// readJSON reads a stream of JSON values, as apimachinery does once it has guessed JSON.
func readJSON(data []byte) []item {
	items := []item{}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		start := lineAt(data, int(dec.InputOffset()))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if err != io.EOF {
				items = append(items, item{Line: start, Error: err.Error()})
			}
			return items
		}
		trimmed := bytes.TrimSpace(raw)
		if len(trimmed) == 0 || string(trimmed) == "null" {
			continue
		}
		// kubectl goes on to decode the object into a map: a number out of range fails there.
		var object interface{}
		if err := json.Unmarshal(trimmed, &object); err != nil {
			items = append(items, item{Line: start, Error: err.Error()})
			continue
		}
		items = append(items, item{Line: start, Value: trimmed})
	}
}

// lineAt is the 1-based line of the first non-space byte at or after offset.
func lineAt(data []byte, offset int) int {
	for offset < len(data) && unicode.IsSpace(rune(data[offset])) {
		offset++
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// readYAML cuts the text as apimachinery's YAMLReader does and converts each document.
func readYAML(data []byte) []item {
	items := []item{}
	reader := bufio.NewReader(bytes.NewReader(data))
	var buffer bytes.Buffer
	line := 0
	start := 1
	flush := func() {
		if buffer.Len() == 0 {
			return
		}
		doc := append([]byte(nil), buffer.Bytes()...)
		buffer.Reset()
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			msg := err.Error()
			at := start
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				if n, e := strconv.Atoi(m[1]); e == nil {
					at = start + n - 1
				}
			}
			items = append(items, item{Line: at, Error: msg})
			return
		}
		if trimmed := bytes.TrimSpace(j); len(trimmed) != 0 && string(trimmed) != "null" {
			items = append(items, item{Line: start, Value: trimmed})
		}
	}
	for {
		text, err := readLine(reader)
		if err != nil && err != io.EOF {
			items = append(items, item{Line: line + 1, Error: err.Error()})
			return items
		}
		line++
		if bytes.HasPrefix(text, []byte("---")) {
			trimmed := strings.TrimSpace(string(text[3:]))
			if len(trimmed) > 0 && trimmed[0] != '#' {
				flush()
				items = append(items, item{Line: line, Error: "invalid Yaml document separator: " + trimmed})
				return items
			}
			if buffer.Len() != 0 {
				flush()
				continue
			}
			if err == io.EOF {
				return items
			}
			// A separator that opens the first document stays in it (apimachinery writes it to
			// the empty buffer), so go-yaml sees an explicit document start.
		}
		if err == io.EOF {
			flush()
			return items
		}
		if buffer.Len() == 0 {
			start = line
		}
		buffer.Write(text)
	}
}

// readLine is apimachinery's LineReader.Read: one line, its end (`\n` or `\r\n`) replaced by `\n`.
func readLine(r *bufio.Reader) ([]byte, error) {
	var buffer bytes.Buffer
	isPrefix := true
	var err error
	var line []byte
	for isPrefix && err == nil {
		line, isPrefix, err = r.ReadLine()
		buffer.Write(line)
	}
	buffer.WriteByte('\n')
	return buffer.Bytes(), err
}
