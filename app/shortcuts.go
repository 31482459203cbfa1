package app

// shortcut is a keyboard command of the map page.
type shortcut int

// Keyboard commands.
const (
	shortcutNone shortcut = iota
	shortcutSearch
	shortcutFit
	shortcutPause
	shortcutZoomIn
	shortcutZoomOut
	shortcutClear
	shortcutTheme
)

// shortcutFor maps a key press (KeyboardEvent.key) on an element (its
// tagName, upper case) to a command. Keys typed into a form field, space on
// a button or link (which activates it), and keys pressed with Ctrl, Alt or
// Meta are left to the browser, except Escape, which clears the selection
// from anywhere.
func shortcutFor(key, tag string, modified bool) shortcut {
	if key == "Escape" || key == "Esc" {
		return shortcutClear
	}
	if isTextField(tag) || modified {
		return shortcutNone
	}
	if (key == " " || key == "Spacebar") && (tag == "BUTTON" || tag == "A" || tag == "SUMMARY") {
		return shortcutNone
	}
	switch key {
	case "/":
		return shortcutSearch
	case "f", "F":
		return shortcutFit
	case " ", "Spacebar":
		return shortcutPause
	case "+", "=":
		return shortcutZoomIn
	case "-", "_":
		return shortcutZoomOut
	case "t", "T":
		return shortcutTheme
	default:
		return shortcutNone
	}
}

// ShortcutHelp lists the keyboard shortcuts for the help text.
func ShortcutHelp() [][2]string {
	return [][2]string{
		{"/", "search services"},
		{"f", "zoom to fit"},
		{"space", "pause or resume live updates"},
		{"+ / -", "zoom in or out"},
		{"t", "switch dark and light theme"},
		{"Esc", "clear the selection"},
	}
}

// isTextField reports whether an element tag (upper case, as
// Element.tagName gives it) takes typed text.
func isTextField(tag string) bool {
	return tag == "INPUT" || tag == "TEXTAREA" || tag == "SELECT"
}
