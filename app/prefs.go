package app

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Themes.
const (
	ThemeDark  = "dark"
	ThemeLight = "light"
)

// Local storage keys of the user's preferences.
const (
	storageTheme  = "spanmap.theme"
	storageLabels = "spanmap.labels"
)

// otherTheme returns the theme a toggle switches to.
func otherTheme(t string) string {
	if t == ThemeLight {
		return ThemeDark
	}
	return ThemeLight
}

// normTheme returns t when it is a known theme, else "" (follow the
// system setting).
func normTheme(t string) string {
	if t == ThemeDark || t == ThemeLight {
		return t
	}
	return ""
}

// loadPrefs reads the stored theme and label mode. Without a stored theme
// it follows the system's colour-scheme preference.
func loadPrefs(ctx app.Context) (theme string, labels LabelMode) {
	var t, l string
	if err := ctx.LocalStorage().Get(storageTheme, &t); err != nil {
		app.Log(err)
	}
	if err := ctx.LocalStorage().Get(storageLabels, &l); err != nil {
		app.Log(err)
	}
	theme = normTheme(t)
	if theme == "" {
		theme = ThemeDark
		if mq := app.Window().Call("matchMedia", "(prefers-color-scheme: light)"); mq.Truthy() && mq.Get("matches").Bool() {
			theme = ThemeLight
		}
	}
	return theme, ParseLabelMode(l)
}

// savePref stores one preference, logging failures (private browsing can
// refuse storage; the preference then lasts for the page only).
func savePref(ctx app.Context, key, value string) {
	if err := ctx.LocalStorage().Set(key, value); err != nil {
		app.Log(err)
	}
}

// applyTheme sets the theme on the document root, so the page background
// outside the app follows it too.
func applyTheme(theme string) {
	if root := app.Window().Get("document").Get("documentElement"); root.Truthy() {
		root.Call("setAttribute", "data-theme", theme)
	}
}
