// Control characters (C0 and DEL): never in names, never raw in logs.
const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROL_BUT_NL_TAB = /[\u0000-\u0008\u000b-\u001f\u007f]/;
const CONTROL_BUT_TAB_G = /[\u0000-\u0008\u000a-\u001f\u007f]/g;

/** True when the text holds a control character (with allowText: other than newline and tab). */
export function hasControl(text: string, allowText = false): boolean {
  return (allowText ? CONTROL_BUT_NL_TAB : CONTROL).test(text);
}

const hex = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;

/** Control characters other than tab written as \xNN, so output cannot drive a terminal. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL_BUT_TAB_G, hex);
}

// C0, DEL and C1 (U+0080–U+009F: a terminal may act on CSI, U+009B).
const ANY_CONTROL_G = /[\u0000-\u001f\u007f-\u009f]/g;

/** One line with no control character at all: newline as \n, the rest as \xNN (log lines, journal fields). */
export function oneLine(text: string): string {
  return text.replace(/\r?\n/g, "\\n").replace(ANY_CONTROL_G, hex);
}
