package registry

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sfcdc/sfcdc/integration"
	"go.yaml.in/yaml/v3"
)

// ReadSpecs reads the integrations to apply from path: a YAML file holding
// one integration (a mapping) or a list of them, or a directory of such
// files (*.yaml, *.yml, not recursive). Each integration is loaded like a
// configuration file (integration.Load: ${VAR} from env, unknown keys with
// their line, every problem at once); the error names every problem of
// every file, and nothing is returned when one is bad.
func ReadSpecs(path string, env integration.Env) ([]integration.Spec, error) {
	files, err := specFiles(path)
	if err != nil {
		return nil, err
	}
	var specs []integration.Spec
	var problems []string
	for _, file := range files {
		got, err := readSpecFile(file, env)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		specs = append(specs, got...)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: nothing was applied:\n%s", ErrInvalid, strings.Join(problems, "\n"))
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("%w: %s holds no integration", ErrInvalid, path)
	}
	return specs, nil
}

// specFiles is path itself, or the YAML files of the directory path.
func specFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %v", ErrInvalid, path, errors.Unwrap(err))
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("%w: read the folder %s: %v", ErrInvalid, path, err)
	}
	var files []string
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	slices.Sort(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: the folder %s holds no .yaml or .yml file", ErrInvalid, path)
	}
	return files, nil
}

// readSpecFile loads one file: a mapping is one integration, a sequence a
// list of them (each loaded on its own, named "<file>[i]" in messages).
func readSpecFile(file string, env integration.Env) ([]integration.Spec, error) {
	info, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("read %s: %v", file, errors.Unwrap(err))
	}
	if info.Size() > integration.MaxFileBytes {
		return nil, fmt.Errorf("%s is %d bytes; an integration file holds at most %d", file, info.Size(), integration.MaxFileBytes)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read %s: %v", file, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("%s is not YAML: %v", file, err)
	}
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.SequenceNode {
		var specs []integration.Spec
		var problems []string
		for i, item := range root.Content[0].Content {
			one, err := yaml.Marshal(item)
			if err == nil {
				var s integration.Spec
				s, err = integration.Load[integration.Spec](fmt.Sprintf("%s[%d] (line %d)", file, i, item.Line), one, env)
				specs = append(specs, s)
			}
			if err != nil {
				problems = append(problems, err.Error())
			}
		}
		if len(problems) > 0 {
			return nil, errors.New(strings.Join(problems, "\n"))
		}
		return specs, nil
	}
	s, err := integration.Load[integration.Spec](file, raw, env)
	if err != nil {
		return nil, err
	}
	return []integration.Spec{s}, nil
}
