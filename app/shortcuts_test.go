package app

import "testing"

func TestShortcut_For_keys(t *testing.T) {
	tests := []struct {
		name     string
		key, tag string
		mod      bool
		want     shortcut
	}{
		{"slash searches", "/", "BODY", false, shortcutSearch},
		{"f fits", "f", "BODY", false, shortcutFit},
		{"F fits", "F", "DIV", false, shortcutFit},
		{"space pauses", " ", "BODY", false, shortcutPause},
		{"space on a button clicks it", " ", "BUTTON", false, shortcutNone},
		{"plus zooms in", "+", "BODY", false, shortcutZoomIn},
		{"minus zooms out", "-", "svg", false, shortcutZoomOut},
		{"t switches theme", "t", "BODY", false, shortcutTheme},
		{"typing in the search box", "f", "INPUT", false, shortcutNone},
		{"typing in a select", "/", "SELECT", false, shortcutNone},
		{"ctrl+f is the browser's", "f", "BODY", true, shortcutNone},
		{"escape from a field", "Escape", "INPUT", false, shortcutClear},
		{"other keys", "x", "BODY", false, shortcutNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shortcutFor(tt.key, tt.tag, tt.mod); got != tt.want {
				t.Errorf("shortcutFor(%q, %q, %v) = %v, want %v", tt.key, tt.tag, tt.mod, got, tt.want)
			}
		})
	}
}

func TestTheme_Other_toggles(t *testing.T) {
	tests := []struct{ in, want string }{
		{ThemeDark, ThemeLight},
		{ThemeLight, ThemeDark},
		{"", ThemeLight},
	}
	for _, tt := range tests {
		if got := otherTheme(tt.in); got != tt.want {
			t.Errorf("otherTheme(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if normTheme("blue") != "" || normTheme(ThemeLight) != ThemeLight {
		t.Error("normTheme")
	}
}
