/**
 * Text from a server shown on a terminal must not drive the terminal. An error message or an operation name may hold
 * ESC sequences (clear the screen, move the cursor, set the window title, write the clipboard with OSC 52), 8-bit C1
 * controls that some terminals obey as well, or Unicode bidi controls that make a line read differently from what it
 * holds. Each such character is written as a `\uXXXX` escape instead: visible, and still a valid escape inside a JSON
 * string, so a JSON line passed through here parses to the same value with the characters spelled out.
 *
 * Escaped: C0 controls (tab and newline too: a newline in a message could forge a result line), DEL, C1 controls,
 * and the bidi embeddings, overrides, isolates and marks (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069).
 */
const unprintable = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escape(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `text` with every terminal control and bidi control written as `\uXXXX`; unchanged (same string) when it has none. */
export function printable(text: string): string {
  unprintable.lastIndex = 0;
  return unprintable.test(text) ? text.replace(unprintable, escape) : text;
}
