// Local-only check (see render.sh): renders the chart with Go's text/template and sprig, as Helm's engine does
// (include, toYaml via sigs.k8s.io/yaml, .Files.Get, missingkey=zero; no tpl), then parses each
// output as YAML. Not Helm itself: no chart loading, dependencies or schema validation.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

type files struct{ root string }

func (f files) Get(name string) string {
	b, err := os.ReadFile(filepath.Join(f.root, name))
	if err != nil {
		return ""
	}
	return string(b)
}

func merge(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				dst[k] = merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

func main() {
	chart := os.Args[1]
	out := os.Args[2]
	var values map[string]interface{}
	b, _ := os.ReadFile(filepath.Join(chart, "values.yaml"))
	if err := yaml.Unmarshal(b, &values); err != nil {
		panic(err)
	}
	for _, extra := range os.Args[3:] {
		var over map[string]interface{}
		b, _ := os.ReadFile(extra)
		if err := yaml.Unmarshal(b, &over); err != nil {
			panic(err)
		}
		values = merge(values, over)
	}

	t := template.New("gotpl")
	t.Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = func(v interface{}) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, fmt.Errorf(msg)
		}
		return v, nil
	}
	t.Funcs(funcs)

	names, _ := filepath.Glob(filepath.Join(chart, "templates", "*"))
	sort.Strings(names)
	for _, n := range names {
		src, _ := os.ReadFile(n)
		name := "watchtower/templates/" + filepath.Base(n)
		if _, err := t.New(name).Parse(string(src)); err != nil {
			fmt.Println("PARSE ERROR", name, err)
			os.Exit(1)
		}
	}
	failed := false
	for _, n := range names {
		base := filepath.Base(n)
		if strings.HasPrefix(base, "_") {
			continue
		}
		name := "watchtower/templates/" + base
		data := map[string]interface{}{
			"Values":       values,
			"Release":      map[string]interface{}{"Name": "tower", "Namespace": "channels", "Service": "Helm", "IsInstall": true},
			"Chart":        map[string]interface{}{"Name": "watchtower", "Version": "0.1.0", "AppVersion": "0.1.0"},
			"Files":        files{chart},
			"Template":     map[string]interface{}{"Name": name, "BasePath": "watchtower/templates"},
			"Capabilities": map[string]interface{}{},
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			fmt.Println("RENDER ERROR", name, err)
			failed = true
			continue
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		os.WriteFile(filepath.Join(out, base), []byte(text), 0o644)
		if strings.HasSuffix(base, ".yaml") && strings.TrimSpace(text) != "" {
			var doc map[string]interface{}
			if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
				fmt.Println("YAML ERROR", name, err)
				failed = true
				continue
			}
			meta, _ := doc["metadata"].(map[string]interface{})
			fmt.Printf("ok %-28s %s/%v %v\n", base, doc["apiVersion"], doc["kind"], meta["name"])
		} else {
			fmt.Printf("ok %-28s (%d bytes)\n", base, len(strings.TrimSpace(text)))
		}
	}
	if failed {
		os.Exit(1)
	}
}
